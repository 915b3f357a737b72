#pragma once
// Per-connection HTTP/1.1 request reassembly for the TLS hooks. Allocation-free: it works in a
// buffer the caller provides (64 KiB is plenty for AWS control-plane calls).
//
// The hook offers every plaintext write; the stream answers with a Step:
//   hold        - `count` bytes were copied into the buffer. Tell the application they were
//                 written; send nothing yet (botocore writes the headers, then the body).
//   decide      - `count` bytes were copied and the request is decidable: classify request(),
//                 then call allow(), deny() or keep_holding().
//   pass        - the first `count` offered bytes are the rest of an allowed body (or the body of
//                 a request allowed on its headers): send them straight from the caller's memory,
//                 then report what was really sent with passed(). No copy.
//   flush_first - an allowed request still has held bytes: send pending(), report flushed().
//   refused     - this connection carried a denied request; nothing more goes out on it.
//   error       - not HTTP/1.x, or beyond the bounds (header block larger than the buffer,
//                 conflicting Content-Length/Transfer-Encoding). The caller must fail closed.
//
// "Decidable" means: the header block is complete and the body is complete, or the raw buffer
// is full, or the decoded prefix of a chunked body reached `body_peek` bytes, or the request
// carries `Expect: 100-continue` (the client waits for the server before sending the body). In
// the last three cases request().body_complete is false; the classifier knows which protocols
// put the operation in the body and the caller may keep_holding() for more.
#include <cstddef>
#include <cstdint>

#include "core/http/text.hpp"

namespace agentguard::core::http {

inline constexpr std::size_t kMaxHeaders = 64;

struct Header {
  Text name;
  Text value;
};

struct Request {
  Text method;
  Text target;   // request-target as sent: origin-form "/path?query" (absolute-form kept as is)
  Text version;  // "HTTP/1.1" or "HTTP/1.0"
  Header headers[kMaxHeaders];
  std::size_t header_count = 0;
  Text head;                // the raw header block including the final CRLFCRLF
  Text body;                // decoded body bytes seen so far (chunk framing removed)
  bool body_complete = false;
  bool chunked = false;
  bool expect_continue = false;
  std::uint64_t content_length = 0;  // when !chunked

  // First value of a header (ASCII case-insensitive name), or an empty Text.
  Text header(Text name) const;
  bool has_header(Text name) const;
  Text path() const;   // target up to '?' (for absolute-form, from the '/' after the authority)
  Text query() const;  // after '?', or empty
  Text authority() const;  // absolute-form's "host[:port]", or empty for origin-form
};

enum class StepKind : std::uint8_t { hold, decide, pass, flush_first, refused, error };

struct Step {
  StepKind kind;
  std::size_t count;
};

const char* to_string(StepKind kind);

// Incremental body framing (Content-Length or chunked) shared by the holding and passing phases.
struct BodyFramer {
  enum class Mode : std::uint8_t { none, length, chunked };
  enum class Chunk : std::uint8_t { size, ext, size_lf, data, data_cr, data_lf, trailer_start, trailer_line, trailer_lf, final_lf };
  Mode mode = Mode::none;
  Chunk chunk = Chunk::size;
  bool done = false;
  bool failed = false;
  int size_digits = 0;
  std::uint64_t remaining = 0;  // length: body bytes left; chunked: bytes left in this chunk

  void start_length(std::uint64_t length);
  void start_chunked();
  // Consumes bytes of this message's body from `p` (stops at its end). Decoded data bytes are
  // appended to `decoded` (up to decoded_cap; *decoded_len is updated) when decoded != nullptr.
  std::size_t advance(const char* p, std::size_t n, char* decoded, std::size_t decoded_cap, std::size_t* decoded_len);
};

class RequestStream {
 public:
  // `buffer` must outlive the stream. `body_peek` bytes at its end hold the decoded prefix of a
  // chunked body; the rest holds raw bytes. Needs capacity >= body_peek + 1024.
  bool init(char* buffer, std::size_t capacity, std::size_t body_peek);

  Step offer(const char* data, std::size_t size);

  // Valid after `decide` until the next offer()/allow()/deny(); its views point into the buffer.
  const Request& request() const { return request_; }
  void allow();
  void deny();
  // After a decide on an incomplete body: go on collecting up to the buffer limit. False when
  // nothing more can be held (the caller must decide on what is there).
  bool keep_holding();

  Text pending() const { return Text(buffer_ + pending_from_, pending_to_ - pending_from_); }
  void flushed(std::size_t n);
  void passed(const char* data, std::size_t n);

  const char* error_reason() const { return error_; }
  // Bytes taken into the buffer for the current request and not yet sent. After an `error` on
  // a connection the hook decides not to inspect (not an AWS host), it sends these first and then
  // passes the rest of the connection through untouched.
  Text held_bytes() const { return Text(buffer_, len_); }
  std::uint64_t requests_decided() const { return decided_count_; }

 private:
  enum class Phase : std::uint8_t { head, body, deciding, passing, refused, failed };

  Step fail(const char* reason, std::size_t consumed);
  Step take_head(const char* data, std::size_t size);
  Step take_body(const char* data, std::size_t size, std::size_t consumed_before);
  bool parse_head();
  bool body_decidable() const;
  Step decide_now(std::size_t consumed);
  void reset_for_next();
  void clear_request();

  char* buffer_ = nullptr;
  std::size_t raw_cap_ = 0;
  std::size_t peek_cap_ = 0;
  std::size_t len_ = 0;
  std::size_t head_end_ = 0;
  std::size_t decoded_len_ = 0;
  std::size_t pending_from_ = 0;
  std::size_t pending_to_ = 0;
  bool hold_to_limit_ = false;
  Phase phase_ = Phase::failed;
  BodyFramer framer_;
  Request request_;
  const char* error_ = "not initialised";
  std::uint64_t decided_count_ = 0;
};

}  // namespace agentguard::core::http
