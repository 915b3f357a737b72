#include "request_guard.hpp"

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <asio/ssl/error.hpp>
#include <asio/use_awaitable.hpp>

#include <array>
#include <cstring>
#include <memory>

#include "core/http/api_decide.hpp"
#include "core/http/error_reply.hpp"
#include "core/http/request_stream.hpp"
#include "refusal_report.hpp"

namespace agentguard::proxy {
namespace {

namespace http = core::http;

constexpr std::size_t kStreamBuffer = 64 * 1024;  // the preload's sizes (preload/tls_connection.hpp)
constexpr std::size_t kBodyPeek = 16 * 1024;
constexpr std::size_t kReplyCap = 8 * 1024;

std::string text(http::Text t) { return std::string(t.data, t.size); }

bool contains_icase(http::Text hay, const char* needle_z) {
  const http::Text needle(needle_z, std::strlen(needle_z));
  if (hay.size < needle.size) return false;
  for (std::size_t i = 0; i + needle.size <= hay.size; ++i)
    if (http::istarts_with(hay.sub(i, needle.size), needle)) return true;
  return false;
}

struct Connection {
  http::RequestStream stream;
  std::unique_ptr<char[]> buffer{new char[kStreamBuffer]};
  std::unique_ptr<http::Classification> classification{new http::Classification()};
  bool passing = false;  // an allowed request's body is streaming
  bool opaque = false;   // not HTTP after all: bytes pass through untouched
};

RequestReport report_for(const http::Classification& c, const char* decision, http::Text rule_id, http::Text message,
                         const std::string& sentence) {
  RequestReport r;
  r.decision = decision;
  r.rule_id = text(rule_id);
  r.service = c.service;
  r.operation = c.operation;
  r.protocol = http::to_string(c.protocol);
  r.endpoint = text(c.host) + text(c.path);
  r.message = sentence;
  (void)message;
  return r;
}

// Runs on the report pool: finding the client and spawning the gate block. (A plain function, not
// a lambda: a coroutine's by-value parameters live in its frame, a lambda's captures do not.)
asio::awaitable<void> report_from_pool(RequestReport report, unsigned short client_port, unsigned short proxy_port) {
  report.client_pid = find_client_pid(client_port, proxy_port);
  report_request(report);
  co_return;
}

// Records the refusal on the report pool (spawning the gate blocks) and gives back the reply,
// once the record exists: a client that reads its error can already find it in the audit log.
asio::awaitable<std::string> refuse(Connection& c, ProxyShared& shared, unsigned short client_port,
                                    const char* decision, http::Text rule_id, http::Text message) {
  std::string reply(kReplyCap + message.size, '\0');
  std::size_t n = http::build_error_reply(*c.classification, rule_id, message, reply.data(), reply.size());
  if (n == 0) n = http::build_error_reply(*c.classification, rule_id, http::Text(), reply.data(), reply.size());
  reply.resize(n);
  std::string sentence(2048 + message.size, '\0');
  sentence.resize(http::error_message_text(*c.classification, rule_id, message, sentence.data(), sentence.size()));
  RequestReport report = report_for(*c.classification, decision, rule_id, message, sentence);
  c.stream.deny();
  co_await asio::co_spawn(*shared.report_pool, report_from_pool(std::move(report), client_port, shared.port),
                          asio::use_awaitable);
  co_return reply;
}

enum class Verdict { allow, hold_more, refuse };

struct Decided {
  Verdict verdict = Verdict::allow;
  std::string reply;
};

asio::awaitable<Decided> decide(Connection& c, ProxyShared& shared, unsigned short client_port) {
  const http::Request& request = c.stream.request();
  http::Classification& cls = *c.classification;
  http::classify(request, cls);
  if (!cls.aws) co_return Decided{Verdict::allow, {}};
  Decided refused{Verdict::refuse, {}};
  if (!shared.rules_problem.empty()) {
    refused.reply = co_await refuse(c, shared, client_port, "deny", http::Text("api-rules-unreadable"),
                                    http::Text(shared.rules_problem.data(), shared.rules_problem.size()));
    co_return refused;
  }
  http::ApiDecision d = http::decide_api_validated(shared.rules, shared.rules_size, cls);  // our validated copy
  if (cls.uncertain && !request.body_complete && c.stream.keep_holding()) co_return Decided{Verdict::hold_more, {}};
  switch (d.action) {
    case http::ApiAction::deny:
      refused.reply = co_await refuse(c, shared, client_port, "deny", d.rule_id, d.message);
      co_return refused;
    case http::ApiAction::ask:
      // Nobody can be asked in the middle of a request: refuse, tell the human, let them run it.
      refused.reply = co_await refuse(c, shared, client_port, "ask", d.rule_id, d.message);
      co_return refused;
    case http::ApiAction::log: {
      std::string sentence(2048 + d.message.size, '\0');
      sentence.resize(http::error_message_text(cls, d.rule_id, d.message, sentence.data(), sentence.size()));
      RequestReport report = report_for(cls, "log", d.rule_id, d.message, sentence);
      asio::post(*shared.report_pool, [report]() { report_request(report); });
      co_return Decided{Verdict::allow, {}};
    }
    case http::ApiAction::allow:
    case http::ApiAction::none:
      break;
  }
  co_return Decided{Verdict::allow, {}};
}

// The stream could not follow the bytes (docs/https-guard.md §1a): something that is not HTTP
// passes through untouched; an HTTP/2 preface, or anything that looks like an AWS call, is refused.
asio::awaitable<std::optional<std::string>> on_stream_error(Connection& c, ProxyShared& shared,
                                                            unsigned short client_port) {
  const http::Text held = c.stream.held_bytes();
  const bool h2 = http::starts_with(held, http::Text("PRI * HTTP/2.0"));
  const bool aws_like = contains_icase(held, "AWS4-") || contains_icase(held, "X-Amz-") ||
                        contains_icase(held, "amazonaws.");
  if (!h2 && !aws_like && !c.passing) {
    c.opaque = true;
    co_return std::nullopt;
  }
  std::memset(static_cast<void*>(c.classification.get()), 0, sizeof(http::Classification));
  c.classification->aws = true;
  const char* why = h2 ? "an HTTP/2 connection, which the guard does not read" : c.stream.error_reason();
  std::string message = std::string("agentguard cannot inspect this request (") + (why ? why : "") + ").";
  std::string reply = co_await refuse(c, shared, client_port, "deny", http::Text("uninspectable-request"),
                                      http::Text(message.data(), message.size()));
  co_return reply;
}

bool is_end_of_stream(const std::system_error& e) {
  return e.code() == asio::error::eof || e.code() == asio::ssl::error::stream_truncated ||
         e.code() == asio::error::connection_reset;
}

// Plaintext taken from the client per wake-up: several records, so an upload's body leaves in
// large writes (one send of many records each).
constexpr std::size_t kReadSize = 64 * 1024;

}  // namespace

asio::awaitable<std::optional<std::string>> guard_requests(RequestRelay& relay, ProxyShared& shared,
                                                           unsigned short client_port) {
  auto c = std::make_unique<Connection>();
  c->stream.init(c->buffer.get(), kStreamBuffer, kBodyPeek);
  std::unique_ptr<char[]> in(new char[kReadSize]);
  for (;;) {
    std::size_t n = 0;
    try {
      n = co_await relay.read_client(in.get(), kReadSize);
    } catch (const std::system_error& e) {
      if (is_end_of_stream(e)) co_return std::nullopt;
      throw;
    }
    if (c->opaque) {
      co_await relay.write_upstream(in.get(), n);
      continue;
    }
    std::size_t off = 0;
    while (off < n) {
      const http::Step step = c->stream.offer(in.get() + off, n - off);
      switch (step.kind) {
        case http::StepKind::hold: {
          if (step.count == 0) {  // cannot happen with bytes offered; never spin
            std::optional<std::string> reply = co_await on_stream_error(*c, shared, client_port);
            if (reply) co_return reply;
            break;
          }
          c->passing = false;
          off += step.count;
          break;
        }
        case http::StepKind::decide: {
          c->passing = false;
          off += step.count;
          const bool body_complete = c->stream.request().body_complete;
          Decided d;
          d = co_await decide(*c, shared, client_port);
          if (d.verdict == Verdict::refuse) co_return std::move(d.reply);
          if (d.verdict == Verdict::allow) {
            std::optional<std::string> cannot = co_await relay.open_request(c->stream.request());
            if (cannot) co_return cannot;
            c->stream.allow();
            c->passing = !body_complete;
            const http::Text pending = c->stream.pending();
            if (pending.size > 0) {
              co_await relay.write_upstream(pending.data, pending.size);
              c->stream.flushed(pending.size);
            }
          }
          break;
        }
        case http::StepKind::pass:
          co_await relay.write_upstream(in.get() + off, step.count);
          c->stream.passed(in.get() + off, step.count);
          off += step.count;
          break;
        case http::StepKind::flush_first: {
          const http::Text pending = c->stream.pending();
          if (pending.size == 0) {
            std::optional<std::string> reply = co_await on_stream_error(*c, shared, client_port);
            if (reply) co_return reply;
            break;
          }
          co_await relay.write_upstream(pending.data, pending.size);
          c->stream.flushed(pending.size);
          break;
        }
        case http::StepKind::error: {
          off += step.count;
          std::optional<std::string> reply = co_await on_stream_error(*c, shared, client_port);
          if (reply) co_return reply;
          break;
        }
        case http::StepKind::refused:
          co_return std::string();
      }
      if (c->opaque) {
        // Not HTTP: what the stream held goes first, then the rest of this read, then everything.
        const http::Text held = c->stream.held_bytes();
        co_await relay.write_upstream(held.data, held.size);
        co_await relay.write_upstream(in.get() + off, n - off);
        off = n;
      }
    }
  }
}

}  // namespace agentguard::proxy
