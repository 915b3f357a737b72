#pragma once
// The proxies the caller of `agentguard run` had configured (a company's outbound proxy). The gate
// points static programs' HTTPS_PROXY and HTTP_PROXY at the session proxy, which then sends their
// tunnels and http:// requests through the caller's proxies instead of going direct, as those
// programs would have. Read as Go's net/http reads them (golang.org/x/net/http/httpproxy):
// HTTPS_PROXY else https_proxy, HTTP_PROXY else http_proxy, NO_PROXY else no_proxy.
#include <optional>
#include <string>
#include <vector>

namespace agentguard::proxy {

struct UpstreamProxy {
  std::string host;           // the caller's proxy
  std::string port;
  std::string authorization;  // "Basic ..." for user:password@ in its URL, else empty
  std::vector<std::string> no_proxy;  // NO_PROXY's entries, lower case

  // Whether a tunnel to host:port goes direct: loopback, or excluded by NO_PROXY ("*"; an exact
  // IP; "name" for the name and its subdomains; ".name" for subdomains only; either with ":port").
  bool bypassed_for(const std::string& target_host, const std::string& target_port) const;
};

// "host", "host:port", "[v6]:port" -> host and port ("80" when absent); false when malformed (also
// for user info: "user@host"). Shared by the forwarded http:// requests and the caller's proxy URL.
bool split_authority(const std::string& authority, std::string& host, std::string& port);

// The caller's proxy for https:// (HTTPS_PROXY, https_proxy) or http:// (HTTP_PROXY, http_proxy)
// from this process's environment, or nullopt (none, or one the session proxy cannot use: another
// scheme than http://; *problem then says why).
enum class ProxiedScheme { https, http };
std::optional<UpstreamProxy> upstream_proxy_from_environment(ProxiedScheme scheme, std::string* problem);

}  // namespace agentguard::proxy
