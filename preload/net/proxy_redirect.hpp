#pragma once
// Steering clients whose TLS the hooks cannot see through the session's inspecting proxy
// (docs/https-guard.md §1d). Called from the connect() hook.
#include <sys/socket.h>

namespace agentguard::preload {

// When this process should go through the proxy and `address` is a TCP destination, connects
// `fd` to the proxy instead, sends it the real destination, and returns true with the connect's
// result in *result (0, or -1 with errno: fail closed, the real destination is never dialled).
// False: the caller connects as asked.
bool redirect_to_proxy(int fd, const struct sockaddr* address, socklen_t len, int* result);

}  // namespace agentguard::preload
