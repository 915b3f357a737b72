#include "inspected_hosts.hpp"

#include <algorithm>
#include <cctype>

namespace agentguard::proxy {
namespace {

bool ends_with_label(const std::string& name, const std::string& suffix) {
  if (name == suffix) return true;
  return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
         name[name.size() - suffix.size() - 1] == '.';
}

}  // namespace

bool should_inspect(const std::string& server_name, const std::vector<std::string>& extra) {
  if (server_name.empty()) return true;
  std::string name = server_name;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!name.empty() && name.back() == '.') name.pop_back();
  for (const char* suffix : {"amazonaws.com", "amazonaws.com.cn", "api.aws", "on.aws", "localhost",
                             "localstack.cloud"})
    if (ends_with_label(name, suffix)) return true;
  for (const auto& host : extra)
    if (name == host) return true;
  return false;
}

}  // namespace agentguard::proxy
