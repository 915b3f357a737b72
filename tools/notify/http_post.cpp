#include "notify/http_post.hpp"

#include <algorithm>

#include "notify/curl_library.hpp"

namespace agentguard::notify {
namespace {
size_t discard_body(char*, size_t size, size_t count, void*) { return size * count; }
}  // namespace

HttpAnswer http_post(const std::string& url, const std::string& body, const std::vector<std::string>& headers,
                     long total_timeout_ms) {
  HttpAnswer answer;
  const CurlApi* api = curl_api(&answer.error);
  if (api == nullptr) {
    answer.unreachable = true;  // kept in the spool and tried again, like an endpoint that is down
    return answer;
  }
  CURL* curl = api->easy_init();
  if (!curl) {
    answer.error = "cannot initialise libcurl";
    return answer;
  }
  curl_slist* header_list = nullptr;
  for (const auto& header : headers) header_list = api->slist_append(header_list, header.c_str());
  char error_buffer[CURL_ERROR_SIZE] = {};

  api->easy_setopt(curl, CURLOPT_URL, url.c_str());
  api->easy_setopt(curl, CURLOPT_POST, 1L);
  api->easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  api->easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  api->easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  api->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(kConnectTimeoutMs, total_timeout_ms));
  api->easy_setopt(curl, CURLOPT_TIMEOUT_MS, total_timeout_ms);
  api->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM games inside our process
  api->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  api->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // a redirected POST is not a delivery
  api->easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
  api->easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  // Webhook URLs are configured by the human; proxies come from the usual environment variables.

  CURLcode code = api->easy_perform(curl);
  if (code == CURLE_OK) {
    api->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
    if (answer.status < 200 || answer.status >= 300) answer.error = "HTTP " + std::to_string(answer.status);
  } else {
    answer.error = error_buffer[0] ? error_buffer : api->easy_strerror(code);
    answer.unreachable = code == CURLE_COULDNT_CONNECT || code == CURLE_OPERATION_TIMEDOUT ||
                         code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY;
  }
  api->slist_free_all(header_list);
  api->easy_cleanup(curl);
  return answer;
}

}  // namespace agentguard::notify
