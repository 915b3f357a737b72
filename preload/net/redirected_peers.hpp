#pragma once
// getpeername() on a socket redirected to the session's proxy (proxy_redirect.cpp) answers the
// destination the program asked for, not the proxy's address: node's socket.remoteAddress and
// remotePort, logs and host checks see what they would see without the guard.
//
// A small table keyed by descriptor (fd & 255) records the destination and the socket's own port
// toward the proxy at the redirect. An answer is replaced only when the kernel's answer is the
// proxy's address and the socket's local port is the recorded one, so a reused or colliding
// descriptor, a dup() of it or a table slot being written never gives a wrong answer: it gives
// the kernel's (the proxy's address), as before. No locks (a writer that finds its slot busy
// skips it; readers check a sequence number), so getpeername stays async-signal-safe.
#include <sys/socket.h>

namespace agentguard::preload {

// After a redirect of `fd` (connected to the proxy at 127.0.0.1:proxy_port) whose real
// destination is `address`.
void remember_redirect(int fd, unsigned proxy_port, const struct sockaddr* address, socklen_t len);

// After the real getpeername() succeeded (`capacity`: the caller's *len before it): when it
// answered the proxy for a redirected socket, `address`/`len` become the real destination's
// (truncated to `capacity` as the kernel truncates). errno is left as it was. Without any
// redirect in this process, one load.
void restore_redirected_peer(int fd, struct sockaddr* address, socklen_t* len, socklen_t capacity);

}  // namespace agentguard::preload
