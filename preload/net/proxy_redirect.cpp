#include "proxy_redirect.hpp"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include "core/launch/guard_env.hpp"
#include "guard_state.hpp"
#include "socket_real.hpp"
#include "tls/tls_sessions.hpp"

namespace agentguard::preload {
namespace {

using ConnectFn = int (*)(int, const struct sockaddr*, socklen_t);
using SendFn = ssize_t (*)(int, const void*, std::size_t, int);

// Sticky: once a shared libssl or libgnutls is in the process, its TLS goes through our hooks.
std::atomic<bool> g_hooked_tls_seen{false};

int find_hooked_tls(struct dl_phdr_info* info, std::size_t, void*) {
  const char* name = info->dlpi_name;
  if (name == nullptr) return 0;
  const char* base = strrchr(name, '/');
  base = base != nullptr ? base + 1 : name;
  return (strncmp(base, "libssl.so", 9) == 0 || strncmp(base, "libgnutls.so", 12) == 0) ? 1 : 0;
}

// Does this process do its TLS somewhere the hooks cannot see? Node and programs with a static
// libssl carry no shared libssl/libgnutls; a process with one is inspected in-process (§1a).
// Processes with no TLS at all are redirected too: the proxy splices what is not TLS.
bool tls_out_of_sight() {
  if (g_hooked_tls_seen.load(std::memory_order_relaxed)) return false;
  if (dl_iterate_phdr(find_hooked_tls, nullptr) != 0) {
    g_hooked_tls_seen.store(true, std::memory_order_relaxed);
    return false;
  }
  return true;
}

// "127.0.0.1:PORT" -> PORT, or 0.
unsigned proxy_port(const char* value) {
  const char prefix[] = "127.0.0.1:";
  if (strncmp(value, prefix, sizeof prefix - 1) != 0) return 0;
  unsigned port = 0;
  for (const char* p = value + sizeof prefix - 1; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9' || port > 65535) return 0;
    port = port * 10 + static_cast<unsigned>(*p - '0');
  }
  return port <= 65535 ? port : 0;
}

bool is_proxy_address(const struct sockaddr* address, unsigned port) {
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    return ntohs(in->sin_port) == port && ntohl(in->sin_addr.s_addr) == INADDR_LOOPBACK;
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
  static const unsigned char mapped_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
  return ntohs(in6->sin6_port) == port && memcmp(&in6->sin6_addr, mapped_loopback, 16) == 0;
}

bool send_all(int fd, const unsigned char* data, std::size_t n) {
  auto real_send = socket_real<SendFn>(SocketFn::send);
  while (n > 0) {
    ssize_t r = real_send != nullptr ? real_send(fd, data, n, MSG_NOSIGNAL)
                                     : syscall(SYS_sendto, fd, data, n, MSG_NOSIGNAL, nullptr, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    data += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

namespace {

// Connects `fd` (a TCP socket that is not connected) to the proxy on loopback `port` and sends it
// the 24-byte header naming `destination`. Returns 0, or -1 with errno. The loopback connect and
// the header are done blocking (they complete at once on a listening loopback socket), then the
// caller's flags come back: a non-blocking caller sees a connect that finished immediately, which
// every event loop handles.
int connect_to_proxy(int fd, const struct sockaddr* destination, unsigned port) {
  unsigned char header[24] = {'A', 'G', 'P', '1'};
  sockaddr_in6 target6{};
  sockaddr_in target4{};
  const struct sockaddr* target = nullptr;
  socklen_t target_len = 0;
  if (destination->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(destination);
    header[4] = 4;
    memcpy(header + 6, &in->sin_port, 2);
    memcpy(header + 8, &in->sin_addr, 4);
    target4.sin_family = AF_INET;
    target4.sin_port = htons(static_cast<uint16_t>(port));
    target4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    target = reinterpret_cast<const sockaddr*>(&target4);
    target_len = sizeof target4;
  } else {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(destination);
    header[4] = 6;
    memcpy(header + 6, &in6->sin6_port, 2);
    memcpy(header + 8, &in6->sin6_addr, 16);
    // A dual-stack socket reaches our IPv4 listener through the v4-mapped loopback.
    target6.sin6_family = AF_INET6;
    target6.sin6_port = htons(static_cast<uint16_t>(port));
    static const unsigned char mapped_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
    memcpy(&target6.sin6_addr, mapped_loopback, 16);
    target = reinterpret_cast<const sockaddr*>(&target6);
    target_len = sizeof target6;
  }
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK) != 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  auto real_connect = socket_real<ConnectFn>(SocketFn::connect);
  int r = real_connect != nullptr ? real_connect(fd, target, target_len)
                                  : static_cast<int>(syscall(SYS_connect, fd, target, target_len));
  int err = r == 0 ? 0 : errno;
  if (r == 0 && !send_all(fd, header, sizeof header)) {
    err = errno != 0 ? errno : ECONNRESET;
    r = -1;
  }
  if (flags >= 0 && (flags & O_NONBLOCK) != 0) fcntl(fd, F_SETFL, flags);
  errno = err;
  return r;
}

// The start of a TLS ClientHello record: handshake (22), TLS major version 3, handshake type 1.
bool is_client_hello(const char* data, std::size_t n) {
  return n >= 6 && data[0] == 0x16 && data[1] == 0x03 && data[5] == 0x01;
}

}  // namespace

bool redirect_to_proxy(int fd, const struct sockaddr* address, socklen_t len, int* result) {
  const char* proxy = current_guard().value(core::kVarProxy);
  if (proxy == nullptr || address == nullptr) return false;
  const sa_family_t family = address->sa_family;
  if (!(family == AF_INET && len >= sizeof(sockaddr_in)) && !(family == AF_INET6 && len >= sizeof(sockaddr_in6)))
    return false;
  const int saved_errno = errno;
  int type = 0;
  socklen_t type_len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 || type != SOCK_STREAM) {
    errno = saved_errno;
    return false;
  }
  const unsigned port = proxy_port(proxy);
  if (port != 0 && is_proxy_address(address, port)) {
    errno = saved_errno;
    return false;
  }
  if (!tls_out_of_sight()) {
    errno = saved_errno;
    return false;
  }
  // From here the real destination is never dialled by this process: a proxy we cannot reach
  // (an unusable AGENTGUARD_PROXY, a proxy that died) fails the connect.
  if (port == 0) {
    *result = -1;
    errno = ECONNREFUSED;
    return true;
  }
  const int r = connect_to_proxy(fd, address, port);
  *result = r;
  if (r == 0) errno = saved_errno;
  return true;
}

LateRedirect redirect_unseen_tls(int fd, const char* data, std::size_t n) {
  if (!is_client_hello(data, n)) return LateRedirect::not_needed;
  const char* proxy = current_guard().value(core::kVarProxy);
  if (proxy == nullptr) return LateRedirect::not_needed;  // no proxy in this session (`agentguard env`)
  // The random follows the record header (5 bytes), the handshake header (4) and the version (2).
  constexpr std::size_t kRandomAt = 11;
  if (n >= kRandomAt + 32 && hooked_library_sent_client_random(reinterpret_cast<const unsigned char*>(data) + kRandomAt))
    return LateRedirect::not_needed;  // the hooked libssl/GnuTLS: its writes are inspected in-process
  const int saved_errno = errno;
  sockaddr_storage peer{};
  socklen_t peer_len = sizeof peer;
  const unsigned port = proxy_port(proxy);
  // The system call itself: whatever a getpeername() hook answers, this is where the socket goes.
  if (syscall(SYS_getpeername, fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0 ||
      (peer.ss_family != AF_INET && peer.ss_family != AF_INET6) ||
      (port != 0 && is_proxy_address(reinterpret_cast<const sockaddr*>(&peer), port))) {
    errno = saved_errno;  // not connected (the write fails by itself), or at the proxy already
    return LateRedirect::not_needed;
  }
  // A TLS stack the hooks cannot see (docs/https-guard.md §1c). The connection has carried no
  // byte yet: it is dissolved (connect with AF_UNSPEC; the endpoint sees a reset) and the same
  // socket, so every event loop's registration stays valid, is connected to the proxy.
  sockaddr unspecified{};
  unspecified.sa_family = AF_UNSPEC;
  auto real_connect = socket_real<ConnectFn>(SocketFn::connect);
  const int dissolved = real_connect != nullptr ? real_connect(fd, &unspecified, sizeof unspecified)
                                                : static_cast<int>(syscall(SYS_connect, fd, &unspecified, sizeof unspecified));
  if (dissolved != 0 || port == 0 || connect_to_proxy(fd, reinterpret_cast<const sockaddr*>(&peer), port) != 0) {
    errno = ECONNRESET;  // fail closed: the endpoint is never reached around the proxy
    return LateRedirect::failed;
  }
  errno = saved_errno;
  return LateRedirect::redirected;
}

}  // namespace agentguard::preload
