#pragma once
// The proxy the caller of `agentguard run` had configured for HTTPS (a company's outbound proxy).
// The gate points static programs' HTTPS_PROXY at the session proxy, which then opens their
// tunnels through the caller's proxy instead of going direct, as those programs would have.
// Read as Go's net/http reads it (golang.org/x/net/http/httpproxy): HTTPS_PROXY, else
// https_proxy; NO_PROXY, else no_proxy.
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

// The caller's HTTPS proxy from this process's environment, or nullopt (none, or one the session
// proxy cannot use: another scheme than http://; *problem then says why).
std::optional<UpstreamProxy> upstream_proxy_from_environment(std::string* problem);

}  // namespace agentguard::proxy
