// The plain-HTTP hooks (docs/https-guard.md §1b). Each one's fast path is fd_marked(): a load,
// a compare and a bit test, then libc's own function. Only descriptors the process connected
// to a TCP peer while API inspection is on take the slow path (plain_http.cpp).
#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net/plain_http.hpp"
#include "net/proxy_redirect.hpp"
#include "net/redirected_peers.hpp"
#include "net/socket_marks.hpp"
#include "net/socket_real.hpp"

using agentguard::preload::fd_marked;
using agentguard::preload::SocketFn;
using agentguard::preload::socket_real;

namespace {

namespace ag = agentguard::preload;

using WriteFn = ssize_t (*)(int, const void*, std::size_t);
using ReadFn = ssize_t (*)(int, void*, std::size_t);
using IntFn = int (*)(int);
using Dup2Fn = int (*)(int, int);
using Dup3Fn = int (*)(int, int, int);
using CloseRangeFn = int (*)(unsigned, unsigned, int);
using CloseFromFn = void (*)(int);
using IovFn = ssize_t (*)(int, const struct iovec*, int);
using SendFn = ssize_t (*)(int, const void*, std::size_t, int);
using SendToFn = ssize_t (*)(int, const void*, std::size_t, int, const struct sockaddr*, socklen_t);
using SendMsgFn = ssize_t (*)(int, const struct msghdr*, int);
using RecvFn = ssize_t (*)(int, void*, std::size_t, int);
using RecvFromFn = ssize_t (*)(int, void*, std::size_t, int, struct sockaddr*, socklen_t*);
using RecvMsgFn = ssize_t (*)(int, struct msghdr*, int);
using ConnectFn = int (*)(int, const struct sockaddr*, socklen_t);
using GetPeerNameFn = int (*)(int, struct sockaddr*, socklen_t*);

// A missing libc function (never on glibc) becomes the raw system call.
template <typename F, typename... Args>
long call_real(SocketFn fn, long number, Args... args) {
  if (auto real = socket_real<F>(fn)) return real(args...);
  return syscall(number, args...);
}

// The refused-read path of every read hook: one buffer as an iovec.
bool refused_read(int fd, void* buf, std::size_t n, int flags, ssize_t* result) {
  struct iovec one {buf, n};
  return ag::plain_refused_read(fd, &one, 1, (flags & MSG_PEEK) != 0, result);
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int connect(int fd, const struct sockaddr* address, socklen_t len) {
  int r = 0;
  // A process whose TLS the hooks cannot see goes through the session's proxy (§1d).
  if (!ag::redirect_to_proxy(fd, address, len, &r))
    r = static_cast<int>(call_real<ConnectFn>(SocketFn::connect, SYS_connect, fd, address, len));
  if (r == 0 || errno == EINPROGRESS) ag::on_connected(fd, address);
  return r;
}

// A redirected socket's peer is the destination the program asked for (redirected_peers.hpp).
__attribute__((visibility("default"))) int getpeername(int fd, struct sockaddr* address, socklen_t* len) {
  const socklen_t capacity = len != nullptr ? *len : 0;
  const int r = static_cast<int>(call_real<GetPeerNameFn>(SocketFn::getpeername, SYS_getpeername, fd, address, len));
  if (r == 0) ag::restore_redirected_peer(fd, address, len, capacity);
  return r;
}

__attribute__((visibility("default"))) ssize_t write(int fd, const void* buf, std::size_t n) {
  if (!fd_marked(fd)) return call_real<WriteFn>(SocketFn::write, SYS_write, fd, buf, n);
  return ag::plain_write(fd, 0, static_cast<const char*>(buf), n);
}

__attribute__((visibility("default"))) ssize_t send(int fd, const void* buf, std::size_t n, int flags) {
  if (!fd_marked(fd)) {
    if (auto real = socket_real<SendFn>(SocketFn::send)) return real(fd, buf, n, flags);
    return syscall(SYS_sendto, fd, buf, n, flags, nullptr, 0);
  }
  return ag::plain_write(fd, flags, static_cast<const char*>(buf), n);
}

// On a connected TCP socket the address is ignored (Linux), so a marked one is send().
__attribute__((visibility("default"))) ssize_t sendto(int fd, const void* buf, std::size_t n, int flags,
                                                      const struct sockaddr* address, socklen_t len) {
  if (!fd_marked(fd)) return call_real<SendToFn>(SocketFn::sendto, SYS_sendto, fd, buf, n, flags, address, len);
  return ag::plain_write(fd, flags, static_cast<const char*>(buf), n);
}

__attribute__((visibility("default"))) ssize_t writev(int fd, const struct iovec* iov, int count) {
  if (!fd_marked(fd)) return call_real<IovFn>(SocketFn::writev, SYS_writev, fd, iov, count);
  return ag::plain_writev(fd, 0, iov, count);
}

// Ancillary data has no meaning on TCP; a call that carries some goes to libc unchanged.
__attribute__((visibility("default"))) ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
  if (!fd_marked(fd) || msg == nullptr || msg->msg_controllen != 0)
    return call_real<SendMsgFn>(SocketFn::sendmsg, SYS_sendmsg, fd, msg, flags);
  return ag::plain_writev(fd, flags, msg->msg_iov, static_cast<int>(msg->msg_iovlen));
}

__attribute__((visibility("default"))) ssize_t read(int fd, void* buf, std::size_t n) {
  ssize_t served = 0;
  if (fd_marked(fd) && refused_read(fd, buf, n, 0, &served)) return served;
  return call_real<ReadFn>(SocketFn::read, SYS_read, fd, buf, n);
}

__attribute__((visibility("default"))) ssize_t recv(int fd, void* buf, std::size_t n, int flags) {
  ssize_t served = 0;
  if (fd_marked(fd) && refused_read(fd, buf, n, flags, &served)) return served;
  if (auto real = socket_real<RecvFn>(SocketFn::recv)) return real(fd, buf, n, flags);
  return syscall(SYS_recvfrom, fd, buf, n, flags, nullptr, nullptr);
}

__attribute__((visibility("default"))) ssize_t recvfrom(int fd, void* buf, std::size_t n, int flags,
                                                        struct sockaddr* address, socklen_t* len) {
  ssize_t served = 0;
  if (fd_marked(fd) && refused_read(fd, buf, n, flags, &served)) {
    if (len != nullptr) *len = 0;
    return served;
  }
  return call_real<RecvFromFn>(SocketFn::recvfrom, SYS_recvfrom, fd, buf, n, flags, address, len);
}

__attribute__((visibility("default"))) ssize_t readv(int fd, const struct iovec* iov, int count) {
  ssize_t served = 0;
  if (fd_marked(fd) && count >= 0 && ag::plain_refused_read(fd, iov, count, false, &served)) return served;
  return call_real<IovFn>(SocketFn::readv, SYS_readv, fd, iov, count);
}

__attribute__((visibility("default"))) ssize_t recvmsg(int fd, struct msghdr* msg, int flags) {
  ssize_t served = 0;
  if (fd_marked(fd) && msg != nullptr &&
      ag::plain_refused_read(fd, msg->msg_iov, static_cast<int>(msg->msg_iovlen), (flags & MSG_PEEK) != 0, &served)) {
    msg->msg_namelen = 0;
    msg->msg_controllen = 0;
    msg->msg_flags = 0;
    return served;
  }
  return call_real<RecvMsgFn>(SocketFn::recvmsg, SYS_recvmsg, fd, msg, flags);
}

// The mark goes before the descriptor does, so a number reused at once by another thread is
// never seen marked.
__attribute__((visibility("default"))) int close(int fd) {
  if (fd_marked(fd)) ag::forget_fd(fd);
  return static_cast<int>(call_real<IntFn>(SocketFn::close, SYS_close, fd));
}

__attribute__((visibility("default"))) int dup2(int old_fd, int new_fd) {
  if (old_fd != new_fd && fd_marked(new_fd)) ag::forget_fd(new_fd);
  return static_cast<int>(call_real<Dup2Fn>(SocketFn::dup2, SYS_dup2, old_fd, new_fd));
}

__attribute__((visibility("default"))) int dup3(int old_fd, int new_fd, int flags) {
  if (old_fd != new_fd && fd_marked(new_fd)) ag::forget_fd(new_fd);
  return static_cast<int>(call_real<Dup3Fn>(SocketFn::dup3, SYS_dup3, old_fd, new_fd, flags));
}

__attribute__((visibility("default"))) int close_range(unsigned first, unsigned last, int flags) {
  if ((flags & CLOSE_RANGE_CLOEXEC) == 0) ag::forget_fd_range(first, last);
  return static_cast<int>(call_real<CloseRangeFn>(SocketFn::close_range, SYS_close_range, first, last, flags));
}

__attribute__((visibility("default"))) void closefrom(int lowest) {
  if (lowest >= 0) ag::forget_fd_range(static_cast<unsigned>(lowest), ~0u);
  if (auto real = socket_real<CloseFromFn>(SocketFn::closefrom)) {
    real(lowest);
    return;
  }
  syscall(SYS_close_range, lowest, ~0u, 0);
}

}  // extern "C"
