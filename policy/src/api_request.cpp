#include "agentguard/api_request.hpp"

#include <stdexcept>

namespace agentguard::policy {

namespace http = core::http;

namespace {

std::string normalise(std::string_view text) {
  std::string s(text);
  auto head_end = s.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    // Hand-written: LF line ends. Convert the header block only; the body stays as written.
    auto lf_end = s.find("\n\n");
    std::string head = s.substr(0, lf_end == std::string::npos ? s.size() : lf_end);
    std::string body = lf_end == std::string::npos ? "" : s.substr(lf_end + 2);
    while (!head.empty() && head.back() == '\n') head.pop_back();
    std::string crlf;
    for (char c : head) {
      if (c == '\n') crlf += "\r\n";
      else if (c != '\r') crlf += c;
    }
    std::string lower = crlf;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!body.empty() && lower.find("\r\ncontent-length:") == std::string::npos &&
        lower.find("\r\ntransfer-encoding:") == std::string::npos)
      crlf += "\r\nContent-Length: " + std::to_string(body.size());
    return crlf + "\r\n\r\n" + body;
  }
  return s;
}

}  // namespace

RawHttpRequest::RawHttpRequest(std::string_view text) : wire_(normalise(text)), buffer_(64 * 1024) {
  if (!stream_.init(buffer_.data(), buffer_.size(), 16 * 1024)) throw std::invalid_argument("cannot set up the HTTP parser");
  std::size_t offset = 0;
  while (true) {
    http::Step step = stream_.offer(wire_.data() + offset, wire_.size() - offset);
    offset += step.count;
    if (step.kind == http::StepKind::decide) break;
    if (step.kind == http::StepKind::error)
      throw std::invalid_argument(std::string("not a valid HTTP/1.1 request: ") + stream_.error_reason());
    if (step.kind != http::StepKind::hold || offset >= wire_.size()) {
      if (offset >= wire_.size() && step.kind == http::StepKind::hold)
        throw std::invalid_argument("incomplete HTTP request (the body is shorter than its Content-Length?)");
      throw std::invalid_argument("unexpected parser state");
    }
  }
  http::classify(stream_.request(), classification_);
}

http::Classification classification_from_call(std::string_view call) {
  http::Classification c;
  std::string text(call);
  auto space = text.find(' ');
  std::string action = text.substr(0, space);
  auto colon = action.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == action.size())
    throw std::invalid_argument("`" + action + "` is not service:Operation");
  c.aws = true;
  http::copy_to(c.service, sizeof c.service, http::Text(action.data(), colon));
  http::copy_to(c.operation, sizeof c.operation, http::Text(action.data() + colon + 1, action.size() - colon - 1));
  std::size_t pos = space;
  while (pos != std::string::npos && pos < text.size()) {
    auto start = text.find_first_not_of(' ', pos);
    if (start == std::string::npos) break;
    auto end = text.find(' ', start);
    std::string pair = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    pos = end;
    auto eq = pair.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("`" + pair + "` is not Fact=value");
    http::Fact fact;
    if (!http::fact_from_name(http::Text(pair.data(), eq), &fact))
      throw std::invalid_argument("unknown fact `" + pair.substr(0, eq) + "`");
    auto& slot = c.facts[static_cast<std::size_t>(fact)];
    slot.present = true;
    http::copy_to(slot.value, sizeof slot.value, http::Text(pair.data() + eq + 1, pair.size() - eq - 1));
  }
  return c;
}

}  // namespace agentguard::policy
