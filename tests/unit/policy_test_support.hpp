#pragma once
// Helpers for the policy unit tests: requests built from command lines, temp directories.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "agentguard/policy.hpp"

namespace agentguard::policy::test {

// A launch of `argv` as if resolved at `path` (need not exist: then it is judged by its name).
inline ExecRequest request(const std::string& path, std::vector<std::string> argv, std::vector<std::string> env = {},
                           std::string cwd = "/work") {
  return ExecRequest{path, std::move(argv), std::move(env), std::move(cwd)};
}

// A fresh empty directory under the system temp dir, removed by the destructor.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "agentguard-policy-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

}  // namespace agentguard::policy::test
