// Fuzzes the reassembler as the TLS hook drives it. The first bytes choose the write sizes and
// the buffer geometry; the rest is the connection's plaintext. Checks the stream's promises:
// progress on every step, nothing on the wire that was not written, allowed bytes forwarded in
// order and unchanged, and a decided request's views inside the buffer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "core/http/api_decide.hpp"
#include "core/http/aws_classify.hpp"
#include "core/http/request_stream.hpp"

namespace http = agentguard::core::http;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool inside(http::Text t, const char* base, std::size_t size) {
  return t.size == 0 || (t.data >= base && t.data + t.size <= base + size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  std::size_t write_size = 1 + data[0] % 64 * (data[1] % 4 == 0 ? 97 : 1);
  std::size_t capacity = 2048 + static_cast<std::size_t>(data[2]) * 64;
  std::size_t peek = 64 + static_cast<std::size_t>(data[3] % 16) * 64;
  bool deny_deletes = data[1] & 1;
  const char* input = reinterpret_cast<const char*>(data + 4);
  std::size_t length = size - 4;

  static char buffer[64 * 1024];
  static char wire[1 << 20];
  std::size_t wire_len = 0;
  http::RequestStream stream;
  check(stream.init(buffer, capacity, peek));

  std::size_t offset = 0;
  int stalls = 0;
  while (offset < length) {
    std::size_t n = length - offset < write_size ? length - offset : write_size;
    const char* w = input + offset;
    std::size_t done = 0;
    while (done < n) {
      http::Step step = stream.offer(w + done, n - done);
      check(step.count <= n - done);
      if (step.kind == http::StepKind::error || step.kind == http::StepKind::refused) return 0;
      if (step.kind == http::StepKind::flush_first) {
        http::Text p = stream.pending();
        check(p.size > 0 && inside(p, buffer, capacity));
        std::size_t k = p.size / 2 + 1;
        if (wire_len + k <= sizeof wire) std::memcpy(wire + wire_len, p.data, k);
        wire_len += k;
        stream.flushed(k);
        continue;
      }
      if (step.kind == http::StepKind::pass) {
        check(step.count > 0);
        if (wire_len + step.count <= sizeof wire) std::memcpy(wire + wire_len, w + done, step.count);
        wire_len += step.count;
        stream.passed(w + done, step.count);
        done += step.count;
        continue;
      }
      done += step.count;
      if (step.kind == http::StepKind::hold) {
        check(step.count > 0);
        continue;
      }
      // decide
      if (step.count == 0 && ++stalls > 4) std::abort();  // decide without progress, repeatedly
      const http::Request& r = stream.request();
      check(inside(r.method, buffer, capacity) && inside(r.target, buffer, capacity) && inside(r.body, buffer, capacity));
      check(r.header_count <= http::kMaxHeaders);
      http::Classification c;
      http::classify(r, c);
      check(c.service[sizeof c.service - 1] == 0 && c.operation[sizeof c.operation - 1] == 0);
      if (c.uncertain && !r.body_complete && stream.keep_holding()) continue;
      stalls = 0;
      if (deny_deletes && std::strncmp(c.operation, "Delete", 6) == 0) {
        stream.deny();
        return 0;
      }
      stream.allow();
    }
    offset += n;
  }
  // Everything forwarded is a prefix of what was written, byte for byte.
  check(wire_len <= length);
  if (wire_len <= sizeof wire) check(std::memcmp(wire, input, wire_len) == 0);
  return 0;
}
