#include "gate/proxy_env.hpp"

#include <unistd.h>

#include <string_view>

#include "core/protocol.hpp"

namespace agentguard::gate {
namespace {

std::string value_of(const std::vector<std::string>& env, std::string_view name) {
  for (const auto& e : env)
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=')
      return e.substr(name.size() + 1);
  return {};
}

void remove(std::vector<std::string>& env, std::string_view name) {
  std::erase_if(env, [&](const std::string& e) {
    return e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=';
  });
}

}  // namespace

void steer_to_proxy(std::vector<std::string>& env) {
  const std::string proxy = value_of(env, protocol::kEnvProxy);
  if (proxy.empty()) return;
  for (const char* name : {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY",
                           "all_proxy"})
    remove(env, name);
  // https:// URLs arrive as CONNECT, http:// ones as absolute-form requests (forward_http.hpp).
  for (const char* name : {"HTTPS_PROXY=http://", "https_proxy=http://", "HTTP_PROXY=http://", "http_proxy=http://"})
    env.push_back(name + proxy);
  const std::string state = value_of(env, protocol::kEnvStateDir);
  const std::string session = value_of(env, protocol::kEnvSession);
  const std::string bundle = state + "/sessions/" + session + ".trust.pem";
  if (!state.empty() && !session.empty() && access(bundle.c_str(), R_OK) == 0) {
    remove(env, "SSL_CERT_FILE");
    remove(env, "SSL_CERT_DIR");
    env.push_back("SSL_CERT_FILE=" + bundle);
  }
}

}  // namespace agentguard::gate
