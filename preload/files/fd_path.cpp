#include "fd_path.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "core/base/syscalls.hpp"
#include "core/base/text.hpp"

namespace agentguard::preload {

void proc_fd_path(int fd, char* out, std::size_t cap) {
  char digits[16];
  std::size_t n = 0;
  unsigned value = fd < 0 ? 0U : static_cast<unsigned>(fd);
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && n < sizeof digits);
  const char prefix[] = "/proc/self/fd/";
  std::size_t k = 0;
  for (; prefix[k] != '\0' && k + 1 < cap; ++k) out[k] = prefix[k];
  while (n > 0 && k + 1 < cap) out[k++] = digits[--n];
  out[k] = '\0';
}

const char* execveat_path(int dirfd, const char* path, int flags, char* out, std::size_t cap) {
  if (path == nullptr) return path;
  if (path[0] == '\0' && (flags & AT_EMPTY_PATH) != 0) {
    proc_fd_path(dirfd, out, cap);
    return out;
  }
  if (path[0] == '/' || dirfd == AT_FDCWD) return path;
  char link[32];
  proc_fd_path(dirfd, link, sizeof link);
  const long n = core::sys::readlink(link, out, cap - 1);  // raw: leaves errno alone
  if (n <= 0 || out[0] != '/') return path;  // not a directory we can name: examine the name alone
  std::size_t len = static_cast<std::size_t>(n);
  const std::size_t path_len = core::text::length(path);
  if (len + 1 + path_len + 1 > cap) return path;
  out[len++] = '/';
  for (std::size_t i = 0; i <= path_len; ++i) out[len + i] = path[i];
  return out;
}

}  // namespace agentguard::preload
