#include "layers.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/protocol.hpp"
#include "support/paths.hpp"

namespace agentguard::layers {

namespace {

std::vector<std::string> split(const char* list) {
  std::vector<std::string> files;
  std::stringstream in(list ? list : "");
  for (std::string item; std::getline(in, item, ':');)
    if (!item.empty()) files.push_back(item);
  return files;
}

bool inside_session() {
  const char* session = std::getenv(protocol::kEnvSession);
  return session && *session && std::getenv(protocol::kEnvPolicy);
}

}  // namespace

std::vector<std::string> files_from_environment() {
  if (const char* value = std::getenv(protocol::kEnvPolicy)) return split(value);
  const char* old = std::getenv(protocol::kEnvPolicyFileDeprecated);
  if (!old) return {};
  static bool warned = false;
  if (!warned) {
    warned = true;
    std::fprintf(stderr,
                 "agentguard: warning: AGENTGUARD_POLICY_FILE is deprecated and will be removed; "
                 "set AGENTGUARD_POLICY (':'-separated files) instead\n");
  }
  return split(old);
}

std::vector<std::string> files_in_force(const std::vector<std::string>& explicit_files) {
  std::vector<std::string> files;
  const auto add = [&](const std::string& file) {
    if (std::find(files.begin(), files.end(), file) == files.end()) files.push_back(file);
  };
  std::vector<std::filesystem::path> candidates = paths::system_policy_files();
  candidates.push_back(paths::user_policy_file());
  for (const auto& candidate : candidates) {
    std::error_code ec;
    if (std::filesystem::exists(candidate, ec)) add(candidate.lexically_normal().string());
  }
  for (const auto& f : explicit_files) add(std::filesystem::absolute(f).lexically_normal().string());
  return files;
}

std::vector<std::string> files_for_session() {
  if (inside_session()) return split(std::getenv(protocol::kEnvPolicy));
  return files_in_force(files_from_environment());
}

policy::LoadOptions session_load_options(const std::string& cwd) {
  policy::LoadOptions options;
  options.builtin_default = true;
  options.files = files_for_session();
  if (std::string project = policy::find_project_policy(cwd); !project.empty()) options.project_files.push_back(project);
  return options;
}

std::string join(const std::vector<std::string>& files) {
  std::string out;
  for (const auto& f : files) {
    if (!out.empty()) out += ':';
    out += f;
  }
  return out;
}

}  // namespace agentguard::layers
