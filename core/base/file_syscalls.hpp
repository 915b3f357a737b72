#pragma once
// Raw system calls for the protected-paths checks (physical_path.cpp) and the file-refusal
// report: results are >= 0 or -errno, and errno is never touched, so a hook that passes the call
// on keeps the caller's errno without saving it. Same pattern as syscalls.hpp.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

#include "core/base/syscalls.hpp"

namespace agentguard::core::sys {
// getcwd comes from syscalls.hpp.

#ifdef AGENTGUARD_RAW_SYSCALLS
inline long openat(int dirfd, const char* path, int flags) {
  return syscall4(SYS_openat, dirfd, reinterpret_cast<long>(path), flags, 0);
}
inline long close(int fd) { return syscall4(SYS_close, fd, 0, 0, 0); }
inline long readlinkat(int dirfd, const char* path, char* buffer, std::size_t size) {
  return syscall4(SYS_readlinkat, dirfd, reinterpret_cast<long>(path), reinterpret_cast<long>(buffer),
                  static_cast<long>(size));
}
inline long fstat(int fd, struct ::stat* st) { return syscall4(SYS_fstat, fd, reinterpret_cast<long>(st), 0, 0); }
inline long pread(int fd, void* buffer, std::size_t size, long offset) {
  return syscall4(SYS_pread64, fd, reinterpret_cast<long>(buffer), static_cast<long>(size), offset);
}
inline long write(int fd, const void* data, std::size_t size) {
  return syscall4(SYS_write, fd, reinterpret_cast<long>(data), static_cast<long>(size), 0);
}
#else
inline long openat(int dirfd, const char* path, int flags) {
  const int saved = errno;
  const int r = ::openat(dirfd, path, flags);
  const long result = r >= 0 ? r : -errno;
  errno = saved;
  return result;
}
inline long close(int fd) {
  const int saved = errno;
  const long r = ::close(fd) == 0 ? 0 : -errno;
  errno = saved;
  return r;
}
inline long readlinkat(int dirfd, const char* path, char* buffer, std::size_t size) {
  const int saved = errno;
  const ssize_t n = ::readlinkat(dirfd, path, buffer, size);
  const long r = n >= 0 ? static_cast<long>(n) : -errno;
  errno = saved;
  return r;
}
inline long write(int fd, const void* data, std::size_t size) {
  const int saved = errno;
  const ssize_t n = ::write(fd, data, size);
  const long r = n >= 0 ? static_cast<long>(n) : -errno;
  errno = saved;
  return r;
}
inline long fstat(int fd, struct ::stat* st) {
  const int saved = errno;
  const long r = ::fstat(fd, st) == 0 ? 0 : -errno;
  errno = saved;
  return r;
}
inline long pread(int fd, void* buffer, std::size_t size, long offset) {
  const int saved = errno;
  const ssize_t n = ::pread(fd, buffer, size, static_cast<off_t>(offset));
  const long r = n >= 0 ? static_cast<long>(n) : -errno;
  errno = saved;
  return r;
}
#endif

}  // namespace agentguard::core::sys
