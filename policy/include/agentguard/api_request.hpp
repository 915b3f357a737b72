#pragma once
// A raw HTTP request held in memory and run through the same core reassembler and classifier the
// preload uses. For examples, `agentguard policy explain --http FILE` and tests.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/aws_classify.hpp"
#include "core/http/request_stream.hpp"

namespace agentguard::policy {

class RawHttpRequest {
 public:
  // Accepts LF or CRLF line ends in the header block. Adds Content-Length when a body follows and
  // the header block has no framing (hand-written examples). Throws std::invalid_argument when
  // the core refuses the bytes (the reason is in the message).
  explicit RawHttpRequest(std::string_view text);
  RawHttpRequest(const RawHttpRequest&) = delete;
  RawHttpRequest& operator=(const RawHttpRequest&) = delete;

  const core::http::Request& request() const { return stream_.request(); }
  const core::http::Classification& classification() const { return classification_; }
  const std::string& wire_bytes() const { return wire_; }

 private:
  std::string wire_;
  std::vector<char> buffer_;
  core::http::RequestStream stream_;
  core::http::Classification classification_;
};

// "service:Operation Fact=value ..." -> a classification (what an example without raw bytes means).
core::http::Classification classification_from_call(std::string_view call);

}  // namespace agentguard::policy
