#include "layers.hpp"

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "paths.hpp"

namespace agentguard::layers {

std::vector<std::string> files_in_force(const std::vector<std::string>& explicit_files) {
  std::vector<std::string> files;
  for (const auto& candidate : {paths::system_policy_file(), paths::user_policy_file()}) {
    std::error_code ec;
    if (std::filesystem::exists(candidate, ec)) files.push_back(candidate.string());
  }
  for (const auto& f : explicit_files) files.push_back(std::filesystem::absolute(f).lexically_normal().string());
  return files;
}

std::vector<std::string> files_for_session() {
  const char* fixed = std::getenv("AGENTGUARD_POLICY");
  if (!fixed) return files_in_force({});
  std::vector<std::string> files;
  std::stringstream in(fixed);
  for (std::string item; std::getline(in, item, ':');)
    if (!item.empty()) files.push_back(item);
  return files;
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
