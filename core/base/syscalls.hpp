#pragma once
// Raw system calls for the launch hot path.
//
// Why not libc's wrappers: the preload runs in every forked child, and the first call of a libc
// function through our PLT in that child costs a lazy symbol lookup that touches a dozen pages
// of ld.so and libc (measured: about ten page faults per launch, more than the rest of the
// hook together). A raw syscall has no PLT slot, binds nothing, and leaves errno untouched,
// which also keeps the hooks' errno promise trivially. Results: >= 0, or -errno.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace agentguard::core::sys {

#if defined(__x86_64__)
inline long syscall4(long number, long a, long b, long c, long d) {
  long result;
  register long r10 asm("r10") = d;
  asm volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return result;
}
#define AGENTGUARD_RAW_SYSCALLS 1
#elif defined(__aarch64__)
inline long syscall4(long number, long a, long b, long c, long d) {
  register long x8 asm("x8") = number;
  register long x0 asm("x0") = a;
  register long x1 asm("x1") = b;
  register long x2 asm("x2") = c;
  register long x3 asm("x3") = d;
  asm volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}
#define AGENTGUARD_RAW_SYSCALLS 1
#endif

#ifdef AGENTGUARD_RAW_SYSCALLS
inline long readlink(const char* path, char* buffer, std::size_t size) {
  return syscall4(SYS_readlinkat, AT_FDCWD, reinterpret_cast<long>(path), reinterpret_cast<long>(buffer),
                  static_cast<long>(size));
}
inline long stat(const char* path, struct ::stat* st) {
  return syscall4(SYS_newfstatat, AT_FDCWD, reinterpret_cast<long>(path), reinterpret_cast<long>(st), 0);
}
inline long access(const char* path, int mode) {
  return syscall4(SYS_faccessat, AT_FDCWD, reinterpret_cast<long>(path), mode, 0);
}
// The kernel's getcwd: the length written (with the NUL), or -errno.
inline long getcwd(char* buffer, std::size_t size) {
  return syscall4(SYS_getcwd, reinterpret_cast<long>(buffer), static_cast<long>(size), 0, 0);
}
#else
// Other architectures: libc, with errno kept as it was.
inline long getcwd(char* buffer, std::size_t size) {
  const int saved = errno;
  const char* r = ::getcwd(buffer, size);
  long n = 0;
  if (r) while (buffer[n] != '\0') ++n;
  const long out = r ? n + 1 : -errno;
  errno = saved;
  return out;
}
inline long readlink(const char* path, char* buffer, std::size_t size) {
  const int saved = errno;
  const ssize_t n = ::readlink(path, buffer, size);
  const long r = n >= 0 ? static_cast<long>(n) : -errno;
  errno = saved;
  return r;
}
inline long stat(const char* path, struct ::stat* st) {
  const int saved = errno;
  const long r = ::stat(path, st) == 0 ? 0 : -errno;
  errno = saved;
  return r;
}
inline long access(const char* path, int mode) {
  const int saved = errno;
  const long r = ::access(path, mode) == 0 ? 0 : -errno;
  errno = saved;
  return r;
}
#endif

}  // namespace agentguard::core::sys
