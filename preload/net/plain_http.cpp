// Plain-HTTP inspection (docs/https-guard.md §1b): the same engine as the TLS hooks
// (tls_guard.cpp), with a socket as the transport.
#include "plain_http.hpp"

#include <errno.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/launch/guard_env.hpp"
#include "guard_state.hpp"
#include "proxy_redirect.hpp"
#include "socket_marks.hpp"
#include "socket_real.hpp"
#include "tls/tls_connection.hpp"
#include "tls/tls_rules.hpp"

namespace agentguard::preload {
namespace {

using SendFn = ssize_t (*)(int, const void*, std::size_t, int);
using GetSockOptFn = int (*)(int, int, int, void*, socklen_t*);

struct PlainSocket {
  int fd;
  int flags;
};

// For a descriptor that is not a socket: send() would fail with ENOTSOCK.
ssize_t send_or_write(int fd, const char* data, std::size_t n) {
  using WriteFn = ssize_t (*)(int, const void*, std::size_t);
  auto real = socket_real<WriteFn>(SocketFn::write);
  return real != nullptr ? real(fd, data, n) : syscall(SYS_write, fd, data, n);
}

// write() when there are no flags: the same call on a socket, and the right one on a number
// that turned out not to be a socket (a stale mark) where send() would fail with ENOTSOCK.
long send_real(void* session, const char* data, std::size_t n) {
  const auto* s = static_cast<const PlainSocket*>(session);
  if (s->flags == 0) return static_cast<long>(send_or_write(s->fd, data, n));
  auto real = socket_real<SendFn>(SocketFn::send);
  ssize_t r = real != nullptr ? real(s->fd, data, n, s->flags) : syscall(SYS_sendto, s->fd, data, n, s->flags, nullptr, 0);
  return static_cast<long>(r);
}

int socket_of(void* session) { return static_cast<const PlainSocket*>(session)->fd; }

bool is_tcp_stream(int fd, const struct sockaddr* address) {
  if (address == nullptr || (address->sa_family != AF_INET && address->sa_family != AF_INET6)) return false;
  int type = 0;
  socklen_t len = sizeof type;
  return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

bool is_socket(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

// Whether the first bytes of a connection may be an HTTP/1.x request we inspect. Anything else
// (a TLS ClientHello, which the TLS hooks or the proxy see; SSH; a database protocol) leaves the
// descriptor for good. So do an HTTP/2 prior-knowledge preface (plaintext gRPC: AWS endpoints
// take HTTP/2 only over TLS) and a CONNECT, whose tunnel carries TLS.
bool may_be_inspected_request(const char* data, std::size_t n) {
  if (data[0] < 'A' || data[0] > 'Z') return false;
  constexpr char kConnect[] = "CONNECT ";
  constexpr char kPreface[] = "PRI * HTTP/2";
  auto starts = [&](const char* word, std::size_t len) {
    std::size_t k = n < len ? n : len;
    for (std::size_t i = 0; i < k; ++i)
      if (data[i] != word[i]) return false;
    return true;
  };
  return !starts(kConnect, sizeof kConnect - 1) && !starts(kPreface, sizeof kPreface - 1);
}

// After the engine turned a connection opaque (not HTTP after all) and flushed what it held,
// the descriptor leaves the table: its later writes take the fast path.
void release_if_opaque(int fd, TlsConnection* c) {
  if (!c->opaque || c->opaque_sent != c->stream.held_bytes().size) return;
  drop_connection(fd_key(fd));
  unmark_fd(fd);
}

std::size_t copy_to_iov(const char* data, std::size_t n, const struct iovec* iov, int count) {
  std::size_t done = 0;
  for (int i = 0; i < count && done < n; ++i) {
    std::size_t room = iov[i].iov_len;
    std::size_t k = n - done < room ? n - done : room;
    __builtin_memcpy(iov[i].iov_base, data + done, k);
    done += k;
  }
  return done;
}

}  // namespace

void on_connected(int fd, const struct sockaddr* address) {
  const int saved_errno = errno;
  if (current_guard().value(core::kVarApiRules) != nullptr && is_tcp_stream(fd, address)) {
    // A new connection on this number: whatever an earlier one left (a socket closed inside
    // libc, by fclose, never reaches our close hook) is dropped.
    drop_connection(fd_key(fd));
    mark_fd(fd);
  }
  errno = saved_errno;
}

void forget_fd(int fd) {
  if (!in_marking_process()) return;  // a (v)fork child: the marks and states are not its own
  unmark_fd(fd);
  drop_connection(fd_key(fd));
}

void forget_fd_range(unsigned first, unsigned last) {
  if (g_fd_marks.load(std::memory_order_acquire) == nullptr || !in_marking_process()) return;
  if (last >= kMarkableFds) last = kMarkableFds - 1;
  const std::uint64_t* words = g_fd_marks.load(std::memory_order_acquire);
  for (unsigned fd = first; fd <= last;) {
    if ((fd & 63) == 0 && __atomic_load_n(&words[fd >> 6], __ATOMIC_RELAXED) == 0) {
      fd += 64;  // a whole word without marks
      continue;
    }
    if (fd_marked(static_cast<int>(fd))) forget_fd(static_cast<int>(fd));
    ++fd;
  }
}

ssize_t plain_write(int fd, int flags, const char* data, std::size_t n) {
  PlainSocket socket{fd, flags};
  if (!in_marking_process()) {
    // A child whose close() left the inherited marks alone: if the number no longer names a
    // socket, it is not that connection. Nothing shared is changed (a vfork child's memory is
    // its parent's).
    const int saved_errno = errno;
    bool still_socket = is_socket(fd);
    errno = saved_errno;
    if (!still_socket) return send_or_write(fd, data, n);
  }
  TlsConnection* c = find_connection(fd_key(fd));
  if (c == nullptr && n > 0) {
    const int saved_errno = errno;
    const bool inspecting = api_rules().inspect;
    bool inspect = inspecting && may_be_inspected_request(data, n) && is_socket(fd);
    if (inspect) c = find_or_create_connection(fd_key(fd));
    errno = saved_errno;
    if (!inspect) {
      unmark_fd(fd);
      // TLS from a stack the hooks cannot see goes to the proxy before its first byte leaves.
      if (inspecting && redirect_unseen_tls(fd, data, n) == LateRedirect::failed) return -1;
    } else if (c == nullptr) {  // no memory for the state: the request cannot be inspected
      errno = ENOMEM;
      return -1;
    }
  }
  if (c == nullptr) return send_real(&socket, data, n);
  TlsTransport transport{&socket, &send_real, &socket_of};
  long r = guarded_write(*c, transport, data, n);
  const int saved_errno = errno;
  release_if_opaque(fd, c);
  errno = saved_errno;
  return static_cast<ssize_t>(r);
}

ssize_t plain_writev(int fd, int flags, const struct iovec* iov, int count) {
  if (count < 0) {
    errno = EINVAL;
    return -1;
  }
  ssize_t total = 0;
  for (int i = 0; i < count; ++i) {
    if (iov[i].iov_len == 0) continue;
    ssize_t r = plain_write(fd, flags, static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
    if (r < 0) return total > 0 ? total : r;  // a partial writev, as the kernel reports it
    total += r;
    if (static_cast<std::size_t>(r) < iov[i].iov_len) break;
  }
  return total;
}

bool plain_refused_read(int fd, const struct iovec* iov, int count, bool peek, ssize_t* result) {
  TlsConnection* c = find_connection(fd_key(fd));
  if (c == nullptr || !c->refused) return false;
  std::size_t left = c->reply_len - c->reply_sent;
  std::size_t n = copy_to_iov(c->reply + c->reply_sent, left, iov, count);
  if (!peek) c->reply_sent += n;
  *result = static_cast<ssize_t>(n);
  return true;
}

}  // namespace agentguard::preload
