// The write/read engine shared by the OpenSSL and GnuTLS hooks (docs/https-guard.md §1).
#include <string.h>
#include <sys/socket.h>
#include <errno.h>

#include "core/http/api_decide.hpp"
#include "core/http/error_reply.hpp"
#include "tls_connection.hpp"
#include "tls_report.hpp"
#include "tls_rules.hpp"

namespace agentguard::preload {
namespace {

namespace http = core::http;

enum class Verdict { allow, hold_more, refuse };

void refuse(TlsConnection& c, const TlsTransport& t, const char* decision, http::Text rule_id, http::Text message) {
  c.reply_len = http::build_error_reply(c.classification, rule_id, message, c.reply, kReplyCap);
  if (c.reply_len == 0) c.reply_len = http::build_error_reply(c.classification, rule_id, http::Text(), c.reply, kReplyCap);
  c.reply_sent = 0;
  c.refused = true;
  c.owed = 0;
  c.stream.deny();
  report_http_event(decision, rule_id, c.classification, message);
  // The client now waits for an answer the server will never send. Shutting our read side makes
  // poll()/epoll report the socket readable at once, so it comes to SSL_read and gets the reply
  // (served by the hook; the real library is not read again). Writes stay open: no SIGPIPE.
  if (t.socket_fd != nullptr) {
    const int saved_errno = errno;
    int fd = t.socket_fd(t.session);
    if (fd >= 0) shutdown(fd, SHUT_RD);
    errno = saved_errno;
  }
}

Verdict decide(TlsConnection& c, const TlsTransport& t) {
  const http::Request& request = c.stream.request();
  http::classify(request, c.classification);
  if (!c.classification.aws) return Verdict::allow;
  const ApiRules& rules = api_rules();
  if (rules.problem != nullptr) {
    refuse(c, t, "deny", http::Text("api-rules-unreadable"),
           http::Text(rules.problem, strlen(rules.problem)));
    return Verdict::refuse;
  }
  http::ApiDecision d = http::decide_api(rules.blob, rules.size, c.classification);
  if (c.classification.uncertain && !request.body_complete && c.stream.keep_holding()) return Verdict::hold_more;
  switch (d.action) {
    case http::ApiAction::deny:
      refuse(c, t, "deny", d.rule_id, d.message);
      return Verdict::refuse;
    case http::ApiAction::ask:
      // Nobody can be asked inside SSL_write: refuse, tell the human, let them run it.
      refuse(c, t, "ask", d.rule_id, d.message);
      return Verdict::refuse;
    case http::ApiAction::log:
      report_http_event("log", d.rule_id, c.classification, d.message);
      return Verdict::allow;
    case http::ApiAction::allow:
    case http::ApiAction::none:
      return Verdict::allow;
  }
  return Verdict::allow;
}

bool contains_icase(http::Text hay, http::Text needle) {
  if (needle.size == 0 || hay.size < needle.size) return false;
  for (std::size_t i = 0; i + needle.size <= hay.size; ++i)
    if (http::istarts_with(hay.sub(i, needle.size), needle)) return true;
  return false;
}

// The stream could not follow the bytes. Something that is not HTTP (another protocol over TLS,
// a websocket after its upgrade) is passed through; something that looks like an AWS call, or an
// HTTP/2 connection we cannot read, is refused (fail closed).
void on_stream_error(TlsConnection& c, const TlsTransport& t) {
  http::Text held = c.stream.held_bytes();
  bool h2 = http::starts_with(held, http::Text("PRI * HTTP/2.0"));
  bool aws_like = contains_icase(held, http::Text("AWS4-")) || contains_icase(held, http::Text("X-Amz-")) ||
                  contains_icase(held, http::Text("amazonaws."));
  if (!h2 && !aws_like && !c.passing) {
    c.opaque = true;
    c.opaque_sent = 0;
    return;
  }
  memset(static_cast<void*>(&c.classification), 0, sizeof c.classification);
  c.classification.aws = true;
  const char* reason = h2 ? "an HTTP/2 connection, which the guard does not read" : c.stream.error_reason();
  char message[256];
  const char lead[] = "agentguard cannot inspect this request (";
  std::size_t n = 0;
  memcpy(message, lead, sizeof lead - 1);
  n = sizeof lead - 1;
  std::size_t rn = reason != nullptr ? strlen(reason) : 0;
  if (rn > 200) rn = 200;
  memcpy(message + n, reason, rn);
  n += rn;
  message[n++] = ')';
  message[n++] = '.';
  refuse(c, t, "deny", http::Text("uninspectable-request"), http::Text(message, n));
}

http::Text unsent(const TlsConnection& c) {
  if (c.opaque) return c.stream.held_bytes().sub(c.opaque_sent);
  return c.stream.pending();
}

void mark_sent(TlsConnection& c, std::size_t n) {
  if (c.opaque)
    c.opaque_sent += n;
  else
    c.stream.flushed(n);
}

}  // namespace

long guarded_write(TlsConnection& c, const TlsTransport& t, const char* data, std::size_t n) {
  if (c.refused) return static_cast<long>(n);
  // A retry after WANT_WRITE/EAGAIN: the first `owed` bytes of this call are already ours.
  std::size_t off = c.owed < n ? c.owed : n;
  std::size_t taken = off;  // bytes of this call in our buffer and not yet sent
  c.owed = 0;
  for (;;) {
    http::Text rest = unsent(c);
    if (rest.size > 0) {
      long r = t.write(t.session, rest.data, rest.size);
      if (r <= 0) {
        // Report only what really left; the caller retries with the same buffer, whose first
        // `taken` bytes we skip then.
        c.owed = taken;
        std::size_t done = off - taken;
        return done > 0 ? static_cast<long>(done) : r;
      }
      mark_sent(c, static_cast<std::size_t>(r));
      if (unsent(c).size == 0) taken = 0;
      continue;
    }
    if (off == n) break;
    if (c.opaque) {
      long r = t.write(t.session, data + off, n - off);
      if (r <= 0) return off > 0 ? static_cast<long>(off) : r;
      off += static_cast<std::size_t>(r);
      continue;
    }
    http::Step step = c.stream.offer(data + off, n - off);
    switch (step.kind) {
      case http::StepKind::hold:
        if (step.count == 0) {  // cannot happen with bytes offered; never spin
          on_stream_error(c, t);
          if (c.refused) return static_cast<long>(n);
          continue;
        }
        c.passing = false;
        off += step.count;
        taken += step.count;
        break;
      case http::StepKind::decide: {
        c.passing = false;
        off += step.count;
        taken += step.count;
        bool body_complete = c.stream.request().body_complete;
        Verdict v = decide(c, t);
        if (v == Verdict::refuse) return static_cast<long>(n);
        if (v == Verdict::allow) {
          c.stream.allow();
          c.passing = !body_complete;
        }
        break;
      }
      case http::StepKind::pass: {
        long r = t.write(t.session, data + off, step.count);
        if (r <= 0) return off > 0 ? static_cast<long>(off) : r;
        c.stream.passed(data + off, static_cast<std::size_t>(r));
        off += static_cast<std::size_t>(r);
        break;
      }
      case http::StepKind::flush_first:
        // unsent() was empty, so the stream has nothing pending: treat as broken.
      case http::StepKind::error:
        off += step.count;
        taken += step.count;
        on_stream_error(c, t);
        if (c.refused) return static_cast<long>(n);
        break;
      case http::StepKind::refused:
        return static_cast<long>(n);
    }
  }
  return static_cast<long>(n);
}

std::size_t read_reply(TlsConnection& c, char* out, std::size_t cap) {
  std::size_t left = c.reply_len - c.reply_sent;
  std::size_t n = left < cap ? left : cap;
  memcpy(out, c.reply + c.reply_sent, n);
  c.reply_sent += n;
  return n;
}

}  // namespace agentguard::preload
