#include "core/http/request_stream.hpp"

#include <cstring>

namespace agentguard::core::http {

Text Request::header(Text name) const {
  for (std::size_t i = 0; i < header_count; ++i)
    if (iequals(headers[i].name, name)) return headers[i].value;
  return Text();
}

bool Request::has_header(Text name) const {
  for (std::size_t i = 0; i < header_count; ++i)
    if (iequals(headers[i].name, name)) return true;
  return false;
}

// Absolute-form ("http://host:port/path?query", what a client sends to a forward proxy, RFC 9112
// §3.2.2): the scheme's length, or 0 for origin-form; the authority runs to the first '/' or '?'.
static std::size_t absolute_scheme(Text target) {
  return istarts_with(target, Text("http://")) ? 7 : istarts_with(target, Text("https://")) ? 8 : 0;
}

static std::size_t authority_end(Text target, std::size_t from) {
  while (from < target.size && target[from] != '/' && target[from] != '?') ++from;
  return from;
}

// REST routes are read the same whichever form the client used.
Text Request::path() const {
  const std::size_t scheme = absolute_scheme(target);
  const Text t = scheme > 0 ? target.sub(authority_end(target, scheme)) : target;
  return t.sub(0, find_char(t, '?'));
}

Text Request::authority() const {
  const std::size_t scheme = absolute_scheme(target);
  return scheme > 0 ? target.sub(scheme, authority_end(target, scheme) - scheme) : Text();
}

Text Request::query() const {
  std::size_t q = find_char(target, '?');
  return q < target.size ? target.sub(q + 1) : Text();
}

const char* to_string(StepKind kind) {
  switch (kind) {
    case StepKind::hold: return "hold";
    case StepKind::decide: return "decide";
    case StepKind::pass: return "pass";
    case StepKind::flush_first: return "flush_first";
    case StepKind::refused: return "refused";
    case StepKind::error: return "error";
  }
  return "?";
}

// ---- body framing ----------------------------------------------------------------------------

void BodyFramer::start_length(std::uint64_t length) {
  *this = BodyFramer();
  mode = Mode::length;
  remaining = length;
  done = length == 0;
}

void BodyFramer::start_chunked() {
  *this = BodyFramer();
  mode = Mode::chunked;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::size_t BodyFramer::advance(const char* p, std::size_t n, char* decoded, std::size_t decoded_cap,
                                std::size_t* decoded_len) {
  if (done || failed) return 0;
  if (mode == Mode::none) {
    done = true;
    return 0;
  }
  auto keep = [&](const char* from, std::size_t count) {
    if (!decoded) return;
    std::size_t room = decoded_cap - *decoded_len;
    std::size_t k = count < room ? count : room;
    std::memcpy(decoded + *decoded_len, from, k);
    *decoded_len += k;
  };
  if (mode == Mode::length) {
    std::size_t k = remaining < n ? static_cast<std::size_t>(remaining) : n;
    keep(p, k);
    remaining -= k;
    done = remaining == 0;
    return k;
  }
  std::size_t i = 0;
  while (i < n && !done && !failed) {
    char c = p[i];
    switch (chunk) {
      case Chunk::size: {
        int d = hex_digit(c);
        if (d >= 0) {
          if (++size_digits > 15) { failed = true; break; }
          remaining = remaining * 16 + static_cast<std::uint64_t>(d);
        } else if (size_digits > 0 && (c == ';' || c == ' ' || c == '\t')) {
          chunk = Chunk::ext;
        } else if (size_digits > 0 && c == '\r') {
          chunk = Chunk::size_lf;
        } else {
          failed = true;
          break;
        }
        ++i;
        break;
      }
      case Chunk::ext:
        if (c == '\r') chunk = Chunk::size_lf;
        else if (c == '\n') { failed = true; break; }
        ++i;
        break;
      case Chunk::size_lf:
        if (c != '\n') { failed = true; break; }
        chunk = remaining == 0 ? Chunk::trailer_start : Chunk::data;
        ++i;
        break;
      case Chunk::data: {
        std::size_t avail = n - i;
        std::size_t k = remaining < avail ? static_cast<std::size_t>(remaining) : avail;
        keep(p + i, k);
        remaining -= k;
        i += k;
        if (remaining == 0) chunk = Chunk::data_cr;
        break;
      }
      case Chunk::data_cr:
        if (c != '\r') { failed = true; break; }
        chunk = Chunk::data_lf;
        ++i;
        break;
      case Chunk::data_lf:
        if (c != '\n') { failed = true; break; }
        chunk = Chunk::size;
        size_digits = 0;
        remaining = 0;
        ++i;
        break;
      case Chunk::trailer_start:
        chunk = c == '\r' ? Chunk::final_lf : Chunk::trailer_line;
        if (c == '\n') { failed = true; break; }
        ++i;
        break;
      case Chunk::trailer_line:
        if (c == '\r') chunk = Chunk::trailer_lf;
        else if (c == '\n') { failed = true; break; }
        ++i;
        break;
      case Chunk::trailer_lf:
        if (c != '\n') { failed = true; break; }
        chunk = Chunk::trailer_start;
        ++i;
        break;
      case Chunk::final_lf:
        if (c != '\n') { failed = true; break; }
        done = true;
        ++i;
        break;
    }
  }
  return i;
}

// Methods are upper-case tokens in practice (RFC 9110 registers no others); the longest
// registered one is 17 bytes (UPDATEREDIRECTREF).
constexpr std::size_t kMaxMethod = 20;
static bool is_method_char(char c) { return (c >= 'A' && c <= 'Z') || c == '-' || c == '_'; }

// ---- the stream ------------------------------------------------------------------------------

bool RequestStream::init(char* buffer, std::size_t capacity, std::size_t body_peek) {
  // Reset in place (every default is zero) rather than through a 2 KiB temporary on the stack.
  std::memset(static_cast<void*>(this), 0, sizeof *this);
  phase_ = Phase::failed;
  error_ = "not initialised";
  if (!buffer || capacity < body_peek + 1024) return false;
  buffer_ = buffer;
  peek_cap_ = body_peek;
  raw_cap_ = capacity - body_peek;
  phase_ = Phase::head;
  error_ = nullptr;
  return true;
}

Step RequestStream::fail(const char* reason, std::size_t consumed) {
  phase_ = Phase::failed;
  error_ = reason;
  return Step{StepKind::error, consumed};
}

void RequestStream::reset_for_next() {
  len_ = head_end_ = decoded_len_ = 0;
  pending_from_ = pending_to_ = 0;
  hold_to_limit_ = false;
  framer_ = BodyFramer();
  clear_request();
  phase_ = Phase::head;
}

void RequestStream::clear_request() { std::memset(static_cast<void*>(&request_), 0, sizeof request_); }

Step RequestStream::offer(const char* data, std::size_t size) {
  switch (phase_) {
    case Phase::failed: return Step{StepKind::error, 0};
    case Phase::refused: return Step{StepKind::refused, 0};
    case Phase::deciding: return Step{StepKind::decide, 0};
    case Phase::head:
      if (pending_to_ > pending_from_) return Step{StepKind::flush_first, 0};
      return take_head(data, size);
    case Phase::body: return take_body(data, size, 0);
    case Phase::passing: {
      if (pending_to_ > pending_from_) return Step{StepKind::flush_first, 0};
      BodyFramer probe = framer_;  // a dry run finds where this body ends in the offered bytes
      std::size_t n = probe.advance(data, size, nullptr, 0, nullptr);
      if (probe.failed) {
        // Bytes before the framing error are still this body's; past them the stream is broken.
        if (n == 0) return fail("malformed chunked framing", 0);
      }
      return Step{StepKind::pass, n};
    }
  }
  return Step{StepKind::error, 0};
}

Step RequestStream::take_head(const char* data, std::size_t size) {
  std::size_t room = raw_cap_ - len_;
  std::size_t take = size < room ? size : room;
  std::size_t scan_from = len_ >= 3 ? len_ - 3 : 0;
  std::memcpy(buffer_ + len_, data, take);
  len_ += take;
  std::size_t end = find(Text(buffer_, len_), Text("\r\n\r\n"), scan_from);
  if (end == len_) {
    if (len_ == raw_cap_) return fail("header block larger than the buffer", take);
    // Anything that does not start like a request line fails at once, so a non-HTTP protocol
    // over TLS is never held waiting for a CRLFCRLF that will not come.
    Text so_far(buffer_, len_);
    std::size_t sp = find_char(so_far, ' ');
    for (std::size_t i = 0; i < sp; ++i)
      if (!is_method_char(so_far[i])) return fail("not an HTTP request", take);
    if (sp == len_ && len_ > kMaxMethod) return fail("not an HTTP request", take);
    return Step{StepKind::hold, take};
  }
  head_end_ = end + 4;
  std::size_t body_bytes_in_take = len_ - head_end_;
  len_ = head_end_;  // body bytes go through the framer below
  std::size_t consumed = take - body_bytes_in_take;
  if (!parse_head()) return fail(error_, consumed);
  if (framer_.done || request_.expect_continue) return decide_now(consumed);
  phase_ = Phase::body;
  return take_body(data + consumed, size - consumed, consumed);
}

Step RequestStream::take_body(const char* data, std::size_t size, std::size_t consumed_before) {
  std::size_t room = raw_cap_ - len_;
  std::size_t limit = size < room ? size : room;
  char* decoded = framer_.mode == BodyFramer::Mode::chunked ? buffer_ + raw_cap_ : nullptr;
  std::size_t n = framer_.advance(data, limit, decoded, peek_cap_, &decoded_len_);
  if (framer_.failed) return fail("malformed chunked framing", consumed_before);
  std::memcpy(buffer_ + len_, data, n);
  len_ += n;
  if (framer_.mode == BodyFramer::Mode::length) decoded_len_ = len_ - head_end_;
  if (framer_.done || body_decidable()) return decide_now(consumed_before + n);
  return Step{StepKind::hold, consumed_before + n};
}

bool RequestStream::body_decidable() const {
  // Hold as much of the body as fits: facts (DeletionProtection=false, a Route53 DELETE in a big
  // change batch) can sit anywhere in it. Only large uploads reach these limits, and they are
  // then decided on their prefix.
  if (len_ >= raw_cap_) return true;
  return framer_.mode == BodyFramer::Mode::chunked && decoded_len_ >= peek_cap_;
}

Step RequestStream::decide_now(std::size_t consumed) {
  request_.head = Text(buffer_, head_end_);
  if (framer_.mode == BodyFramer::Mode::chunked)
    request_.body = Text(buffer_ + raw_cap_, decoded_len_);
  else
    request_.body = Text(buffer_ + head_end_, len_ - head_end_);
  request_.body_complete = framer_.done;
  phase_ = Phase::deciding;
  ++decided_count_;
  return Step{StepKind::decide, consumed};
}

bool RequestStream::keep_holding() {
  if (phase_ != Phase::deciding || framer_.done) return false;
  if (len_ >= raw_cap_) return false;
  if (framer_.mode == BodyFramer::Mode::chunked && decoded_len_ >= peek_cap_) return false;
  hold_to_limit_ = true;
  request_.expect_continue = false;  // from now on wait for the body
  phase_ = Phase::body;
  return true;
}

void RequestStream::allow() {
  if (phase_ != Phase::deciding) return;
  pending_from_ = 0;
  pending_to_ = len_;
  if (framer_.done) {
    phase_ = Phase::head;
    // The next request starts after the held bytes are flushed; keep them until then.
    clear_request();
    len_ = head_end_ = decoded_len_ = 0;
    framer_ = BodyFramer();
    hold_to_limit_ = false;
  } else {
    phase_ = Phase::passing;
  }
}

void RequestStream::deny() {
  phase_ = Phase::refused;
  pending_from_ = pending_to_ = 0;
}

void RequestStream::flushed(std::size_t n) {
  std::size_t left = pending_to_ - pending_from_;
  pending_from_ += n < left ? n : left;
  if (pending_from_ == pending_to_) pending_from_ = pending_to_ = 0;
}

void RequestStream::passed(const char* data, std::size_t n) {
  if (phase_ != Phase::passing) return;
  std::size_t k = framer_.advance(data, n, nullptr, 0, nullptr);
  if (framer_.failed || k != n) {
    fail("malformed chunked framing", 0);
    return;
  }
  if (framer_.done) reset_for_next();
}

// ---- the header block ------------------------------------------------------------------------

static bool is_token_char(char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (is_digit(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~': return true;
    default: return false;
  }
}

bool RequestStream::parse_head() {
  Text head(buffer_, head_end_ - 2);  // each line below ends with CRLF
  std::size_t line_end = find(head, Text("\r\n"));
  Text line = head.sub(0, line_end);
  std::size_t sp1 = find_char(line, ' ');
  std::size_t sp2 = find_char(line, ' ', sp1 + 1);
  if (sp1 == 0 || sp1 >= line.size || sp2 >= line.size || sp2 == sp1 + 1) {
    error_ = "malformed request line";
    return false;
  }
  request_.method = line.sub(0, sp1);
  request_.target = line.sub(sp1 + 1, sp2 - sp1 - 1);
  request_.version = line.sub(sp2 + 1);
  for (std::size_t i = 0; i < request_.method.size; ++i)
    if (!is_token_char(request_.method[i])) {
      error_ = "malformed method";
      return false;
    }
  if (!equals(request_.version, Text("HTTP/1.1")) && !equals(request_.version, Text("HTTP/1.0"))) {
    error_ = "not HTTP/1.x";
    return false;
  }
  for (std::size_t i = 0; i < request_.target.size; ++i) {
    char c = request_.target[i];
    if (c <= ' ' || c == 0x7f) {
      error_ = "malformed request target";
      return false;
    }
  }

  bool have_length = false;
  std::uint64_t length = 0;
  bool chunked = false;
  std::size_t pos = line_end + 2;
  while (pos < head.size) {
    std::size_t end = find(head, Text("\r\n"), pos);
    Text h = head.sub(pos, end - pos);
    pos = end + 2;
    std::size_t colon = find_char(h, ':');
    if (colon == 0 || colon >= h.size) {
      error_ = "malformed header line";  // also obsolete line folding (leading space)
      return false;
    }
    Text name = h.sub(0, colon);
    for (std::size_t i = 0; i < name.size; ++i)
      if (!is_token_char(name[i])) {
        error_ = "malformed header name";  // "Content-Length :" is a smuggling trick
        return false;
      }
    Text value = trim(h.sub(colon + 1));
    for (std::size_t i = 0; i < value.size; ++i)
      if (value[i] == '\r' || value[i] == '\n' || value[i] == '\0') {
        error_ = "bare CR/LF/NUL in a header value";
        return false;
      }
    if (request_.header_count == kMaxHeaders) {
      error_ = "too many headers";
      return false;
    }
    request_.headers[request_.header_count++] = Header{name, value};
    if (iequals(name, Text("Content-Length"))) {
      std::uint64_t v = 0;
      if (!parse_decimal(value, &v) || (have_length && v != length)) {
        error_ = "bad or conflicting Content-Length";
        return false;
      }
      have_length = true;
      length = v;
    } else if (iequals(name, Text("Transfer-Encoding"))) {
      if (!iequals(value, Text("chunked")) || chunked) {
        error_ = "unsupported Transfer-Encoding";
        return false;
      }
      chunked = true;
    } else if (iequals(name, Text("Expect"))) {
      if (iequals(value, Text("100-continue"))) request_.expect_continue = true;
    }
  }
  if (chunked && have_length) {
    error_ = "both Content-Length and Transfer-Encoding";
    return false;
  }
  request_.chunked = chunked;
  request_.content_length = length;
  if (chunked)
    framer_.start_chunked();
  else if (have_length)
    framer_.start_length(length);
  else
    framer_.start_length(0);  // a request without framing has no body (RFC 9112 6.3)
  return true;
}

}  // namespace agentguard::core::http
