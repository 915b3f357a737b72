#pragma once
// Per-connection state of the HTTPS guard, keyed by the SSL* / gnutls_session_t, and the engine
// the OpenSSL and GnuTLS hooks share (docs/https-guard.md, "Driving the reassembler").
#include <cstddef>

#include "core/http/aws_classify.hpp"
#include "core/http/request_stream.hpp"

namespace agentguard::preload {

inline constexpr std::size_t kStreamBuffer = 64 * 1024;  // raw request bytes held back
inline constexpr std::size_t kBodyPeek = 16 * 1024;      // decoded prefix of a chunked body
inline constexpr std::size_t kReplyCap = 8 * 1024;

struct TlsConnection {
  const void* key = nullptr;
  core::http::RequestStream stream;
  // The first `owed` bytes of the application's next write are already in our buffer: a write
  // that took them reported WANT_WRITE/EAGAIN because flushing them could not finish, and the
  // library's contract makes the caller retry with the same bytes.
  std::size_t owed = 0;
  bool opaque = false;          // not HTTP: the held bytes are flushed, the rest passes through
  std::size_t opaque_sent = 0;  // how much of held_bytes() went out after turning opaque
  bool passing = false;         // an allowed request's body is streaming through
  bool refused = false;         // a request was refused: nothing more goes out on this connection
  std::size_t reply_len = 0;
  std::size_t reply_sent = 0;
  core::http::Classification classification;
  char reply[kReplyCap];
  char buffer[kStreamBuffer];
};

// The library side of one connection.
struct TlsTransport {
  void* session;
  // One real write: > 0 bytes written, <= 0 the library's failure value, returned to the caller
  // unchanged (its own error state stays with the library, so SSL_get_error etc. are right).
  long (*write)(void* session, const char* data, std::size_t n);
  // The connection's socket, or -1 (memory BIOs, custom transports).
  int (*socket_fd)(void* session);
};

// The table. find_connection is what the read hooks use; nullptr when the connection was never
// written to by a guarded process (or the guard is off).
TlsConnection* find_connection(const void* key);
// nullptr when the table is full or memory is short: the caller fails closed.
TlsConnection* find_or_create_connection(const void* key);
void drop_connection(const void* key);

// The write hooks' engine. Returns > 0 bytes the caller may consider written, or the (<= 0)
// failure value of a real write.
long guarded_write(TlsConnection& connection, const TlsTransport& transport, const char* data, std::size_t n);

// Read hooks on a refused connection: copies the next bytes of the synthetic reply. Returns the
// count (0 once it has all been read: end of stream).
std::size_t read_reply(TlsConnection& connection, char* out, std::size_t cap);

}  // namespace agentguard::preload
