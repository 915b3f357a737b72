#include "gate/program_environment.hpp"

#include <string_view>

namespace agentguard::gate {
namespace {
constexpr std::string_view kCallerPreload = "AGENTGUARD_CALLER_LD_PRELOAD=";
constexpr std::string_view kPreload = "LD_PRELOAD=";

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
}  // namespace

std::vector<std::string> environment_for_program(const std::vector<std::string>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  std::string preload;
  for (const std::string& entry : env) {
    if (starts_with(entry, kCallerPreload)) {
      preload = entry.substr(kCallerPreload.size());
    } else if (!starts_with(entry, kPreload)) {
      out.push_back(entry);
    }
  }
  if (!preload.empty()) out.push_back(std::string(kPreload) + preload);
  return out;
}

}  // namespace agentguard::gate
