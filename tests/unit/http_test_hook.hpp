#pragma once
// A simulated TLS write hook for the reassembler tests: offers each application write to a
// RequestStream exactly as the preload will, records what would reach the wire, and decides each
// request with a caller-supplied predicate.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/aws_classify.hpp"
#include "core/http/request_stream.hpp"

namespace http_test {

namespace http = agentguard::core::http;

struct SimulatedHook {
  std::vector<char> buffer;
  http::RequestStream stream;
  std::string wire;                                   // bytes the server would receive
  std::vector<http::Classification> decisions;        // one per decide step
  std::vector<std::size_t> wire_size_at_decision;     // how much had reached the wire by then
  std::function<bool(const http::Classification&, const http::Request&)> allow =
      [](const http::Classification&, const http::Request&) { return true; };
  bool refused = false;
  bool failed = false;
  std::size_t flush_piece = 7;  // flush held bytes in small pieces, like a non-blocking socket

  explicit SimulatedHook(std::size_t capacity = 64 * 1024, std::size_t peek = 16 * 1024) : buffer(capacity) {
    EXPECT_TRUE(stream.init(buffer.data(), buffer.size(), peek));
  }

  void flush() {
    while (!stream.pending().empty()) {
      http::Text p = stream.pending();
      std::size_t n = p.size < flush_piece ? p.size : flush_piece;
      wire.append(p.data, n);
      stream.flushed(n);
    }
  }

  // Returns how many bytes of `data` the application was told were written.
  std::size_t write(std::string_view data) {
    std::size_t off = 0;
    int guard = 0;
    while (off < data.size()) {
      if (++guard > 1000000) {
        ADD_FAILURE() << "no progress";
        return off;
      }
      http::Step step = stream.offer(data.data() + off, data.size() - off);
      switch (step.kind) {
        case http::StepKind::hold:
          if (step.count == 0) {
            ADD_FAILURE() << "hold without progress";
            return off;
          }
          off += step.count;
          break;
        case http::StepKind::decide: {
          off += step.count;
          http::Classification c;
          http::classify(stream.request(), c);
          if (c.uncertain && !stream.request().body_complete && stream.keep_holding()) break;
          decisions.push_back(c);
          wire_size_at_decision.push_back(wire.size());
          if (allow(c, stream.request())) {
            stream.allow();
            flush();
          } else {
            stream.deny();
            refused = true;
            return off;
          }
          break;
        }
        case http::StepKind::pass: {
          // Send in two pieces to exercise partial writes.
          std::size_t first = step.count / 2 + (step.count > 0 ? 1 : 0);
          if (first > step.count) first = step.count;
          wire.append(data.substr(off, first));
          stream.passed(data.data() + off, first);
          off += first;
          break;
        }
        case http::StepKind::flush_first:
          flush();
          break;
        case http::StepKind::refused:
          refused = true;
          return off;
        case http::StepKind::error:
          failed = true;
          return off;
      }
    }
    return off;
  }
};

}  // namespace http_test
