#pragma once
// Steering clients whose TLS the hooks cannot see through the session's inspecting proxy
// (docs/https-guard.md §1d). Called from the connect() hook.
#include <sys/socket.h>

#include <cstddef>

namespace agentguard::preload {

// When this process should go through the proxy and `address` is a TCP destination, connects
// `fd` to the proxy instead, sends it the real destination, and returns true with the connect's
// result in *result (0, or -1 with errno: fail closed, the real destination is never dialled).
// False: the caller connects as asked.
bool redirect_to_proxy(int fd, const struct sockaddr* address, socklen_t len, int* result);

// The first write of a TCP connection that redirect_to_proxy left alone (the process has the
// shared libssl or GnuTLS, whose writes the TLS hooks see). When it is a TLS ClientHello that
// no hooked library made (a second, private TLS stack: the `cryptography` wheel's OpenSSL, a
// bundled libssl.a), the connection is moved to the proxy before that first byte leaves.
enum class LateRedirect { not_needed, redirected, failed };
LateRedirect redirect_unseen_tls(int fd, const char* data, std::size_t n);

}  // namespace agentguard::preload
