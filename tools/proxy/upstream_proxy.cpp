#include "upstream_proxy.hpp"

#include <arpa/inet.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>

namespace agentguard::proxy {
namespace {

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string first_set(const char* upper, const char* lower_name) {
  for (const char* name : {upper, lower_name})
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') return v;
  return "";
}

std::string base64(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

// %XX in URL user info.
std::string unescaped(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  unsigned char ip[16];
  if (inet_pton(AF_INET, host.c_str(), ip) == 1) return ip[0] == 127;
  if (inet_pton(AF_INET6, host.c_str(), ip) == 1) {
    static const unsigned char one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return std::equal(ip, ip + 16, one);
  }
  return false;
}

}  // namespace

bool split_authority(const std::string& authority, std::string& host, std::string& port) {
  port = "80";
  if (!authority.empty() && authority[0] == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string::npos) return false;
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return false;
      port = authority.substr(close + 2);
    }
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (authority.find('@') != std::string::npos) return false;  // no userinfo
  return !host.empty() && !port.empty() && port.size() <= 5 &&
         port.find_first_not_of("0123456789") == std::string::npos;
}

bool UpstreamProxy::bypassed_for(const std::string& target_host, const std::string& target_port) const {
  const std::string name = lower(target_host);
  if (is_loopback(name)) return true;
  for (std::string entry : no_proxy) {
    if (entry == "*") return true;
    std::string entry_port;
    if (const std::size_t colon = entry.rfind(':'); colon != std::string::npos && entry.find(':') == colon) {
      entry_port = entry.substr(colon + 1);
      entry = entry.substr(0, colon);
    }
    if (!entry_port.empty() && entry_port != target_port) continue;
    if (entry.empty()) continue;
    if (entry[0] == '.') {
      if (name.size() > entry.size() && name.compare(name.size() - entry.size(), entry.size(), entry) == 0) return true;
      continue;
    }
    if (name == entry) return true;
    if (name.size() > entry.size() + 1 && name.compare(name.size() - entry.size(), entry.size(), entry) == 0 &&
        name[name.size() - entry.size() - 1] == '.')
      return true;
  }
  return false;
}

std::optional<UpstreamProxy> upstream_proxy_from_environment(ProxiedScheme proxied, std::string* problem) {
  const char* variable = proxied == ProxiedScheme::https ? "HTTPS_PROXY" : "HTTP_PROXY";
  std::string url = proxied == ProxiedScheme::https ? first_set("HTTPS_PROXY", "https_proxy") : first_set("HTTP_PROXY", "http_proxy");
  if (url.empty()) return std::nullopt;
  const std::size_t scheme_end = url.find("://");
  if (scheme_end != std::string::npos) {
    const std::string scheme = lower(url.substr(0, scheme_end));
    if (scheme != "http") {
      if (problem) *problem = std::string("the caller's ") + variable + " (" + scheme + "://) is not an http:// proxy; not used";
      return std::nullopt;
    }
    url = url.substr(scheme_end + 3);
  }
  url = url.substr(0, url.find('/'));
  UpstreamProxy p;
  if (const std::size_t at = url.rfind('@'); at != std::string::npos) {
    p.authorization = "Basic " + base64(unescaped(url.substr(0, at)));
    url = url.substr(at + 1);
  }
  if (!split_authority(url, p.host, p.port)) {
    if (problem) *problem = std::string("the caller's ") + variable + " cannot be read; not used";
    return std::nullopt;
  }
  std::string list = first_set("NO_PROXY", "no_proxy");
  for (std::size_t from = 0; from <= list.size();) {
    std::size_t comma = list.find(',', from);
    if (comma == std::string::npos) comma = list.size();
    std::string entry = list.substr(from, comma - from);
    const std::size_t a = entry.find_first_not_of(" \t"), b = entry.find_last_not_of(" \t");
    if (a != std::string::npos) p.no_proxy.push_back(lower(entry.substr(a, b - a + 1)));
    from = comma + 1;
  }
  return p;
}

}  // namespace agentguard::proxy
