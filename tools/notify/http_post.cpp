#include "notify/http_post.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

namespace agentguard::notify {
namespace {
size_t discard_body(char*, size_t size, size_t count, void*) { return size * count; }

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}
}  // namespace

HttpAnswer http_post(const std::string& url, const std::string& body, const std::vector<std::string>& headers,
                     long total_timeout_ms) {
  init_curl_once();
  HttpAnswer answer;
  CURL* curl = curl_easy_init();
  if (!curl) {
    answer.error = "cannot initialise libcurl";
    return answer;
  }
  curl_slist* header_list = nullptr;
  for (const auto& header : headers) header_list = curl_slist_append(header_list, header.c_str());
  char error_buffer[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(kConnectTimeoutMs, total_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, total_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM games inside our process
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // a redirected POST is not a delivery
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  // Webhook URLs are configured by the human; proxies come from the usual environment variables.

  CURLcode code = curl_easy_perform(curl);
  if (code == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
    if (answer.status < 200 || answer.status >= 300) answer.error = "HTTP " + std::to_string(answer.status);
  } else {
    answer.error = error_buffer[0] ? error_buffer : curl_easy_strerror(code);
    answer.unreachable = code == CURLE_COULDNT_CONNECT || code == CURLE_OPERATION_TIMEDOUT ||
                         code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY;
  }
  curl_slist_free_all(header_list);
  curl_easy_cleanup(curl);
  return answer;
}

}  // namespace agentguard::notify
