#pragma once
// The HTTPS guard's engine on plain TCP connections (docs/https-guard.md §1b): the slow paths of
// the socket hooks, reached only for marked descriptors (socket_marks.hpp).
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>

namespace agentguard::preload {

// After connect() succeeded or is in progress: marks a TCP socket when API inspection is on.
void on_connected(int fd, const struct sockaddr* address);
// The descriptor no longer names that connection (close, dup2/dup3 over it, close_range).
void forget_fd(int fd);
void forget_fd_range(unsigned first, unsigned last);

// Writes through the request reassembler and the API decision. Same results as send(2):
// bytes taken (held, sent or swallowed after a refusal), or -1 with the real call's errno.
ssize_t plain_write(int fd, int flags, const char* data, std::size_t n);
ssize_t plain_writev(int fd, int flags, const struct iovec* iov, int count);

// Reads on a descriptor whose request was refused are served from the AccessDenied reply (then
// end of stream). False when the descriptor carried no refusal: the caller reads for real.
bool plain_refused_read(int fd, const struct iovec* iov, int count, bool peek, ssize_t* result);

}  // namespace agentguard::preload
