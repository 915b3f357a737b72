#pragma once
// One HTTP POST with libcurl and short timeouts: a webhook that hangs costs at most total_ms.
#include <string>
#include <vector>

namespace agentguard::notify {

inline constexpr long kConnectTimeoutMs = 3000;
inline constexpr long kTotalTimeoutMs = 10000;

struct HttpAnswer {
  long status = 0;        // 0 when no HTTP answer came back
  std::string error;      // transport error (refused, timed out, TLS...), empty otherwise
  bool unreachable = false;  // could not connect or timed out: do not try this URL again this pass
};

HttpAnswer http_post(const std::string& url, const std::string& body, const std::vector<std::string>& headers,
                     long total_timeout_ms = kTotalTimeoutMs);

}  // namespace agentguard::notify
