#include "core/base/physical_path.hpp"

#include <fcntl.h>

#include "core/base/file_syscalls.hpp"

namespace agentguard::core {
namespace {

// The kernel follows at most this many symlinks in one lookup (MAXSYMLINKS); beyond it, ELOOP.
constexpr int kMaxLinks = 40;

void proc_fd_link(int fd, char (&out)[32]) {
  const char prefix[] = "/proc/self/fd/";
  std::size_t k = 0;
  for (; prefix[k] != '\0'; ++k) out[k] = prefix[k];
  char digits[12];
  std::size_t n = 0;
  unsigned value = static_cast<unsigned>(fd);
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) out[k++] = digits[--n];
  out[k] = '\0';
}

// The kernel's name for what `fd` refers to; its length, or -1.
long fd_name(int fd, char* out, std::size_t cap) {
  if (fd < 0 || cap < 2) return -1;
  char link[32];
  proc_fd_link(fd, link);
  const long n = sys::readlink(link, out, cap);
  // A full buffer may be cut; anything not absolute ("pipe:[..]", "anon_inode:..") is no directory.
  if (n <= 0 || static_cast<std::size_t>(n) >= cap || out[0] != '/') return -1;
  out[n] = '\0';
  return n;
}

// The physical directory `dir_part` (with its trailing '/') names, relative to dirfd.
long directory_name(int dirfd, const char* dir_part, std::size_t dir_len, char* scratch, char* out,
                    std::size_t cap) {
  if (dir_len + 1 > kPhysicalPathMax) return -1;
  for (std::size_t i = 0; i < dir_len; ++i) scratch[i] = dir_part[i];
  scratch[dir_len] = '\0';
  const long fd = sys::openat(dirfd, scratch, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  const long n = fd_name(static_cast<int>(fd), out, cap);
  sys::close(static_cast<int>(fd));
  return n;
}

// The working directory (dirfd == AT_FDCWD) or the directory fd, for a bare name.
long base_name(int dirfd, char* out, std::size_t cap) {
  if (dirfd != AT_FDCWD) return fd_name(dirfd, out, cap);
  const long n = sys::getcwd(out, cap);
  // "(unreachable)/..." for a cwd outside our root: not a path we can match.
  if (n <= 1 || out[0] != '/') return -1;
  return n - 1;
}

// out[0..*len) + "/" + name, or one component less for "..", nothing more for ".".
bool append_name(char* out, std::size_t cap, std::size_t* len, const char* name, std::size_t name_len) {
  if (name_len == 0 || (name_len == 1 && name[0] == '.')) return true;
  if (name_len == 2 && name[0] == '.' && name[1] == '.') {
    std::size_t n = *len;
    while (n > 1 && out[n - 1] != '/') --n;
    if (n > 1) --n;  // drop the '/' too, except the root's
    out[n] = '\0';
    *len = n;
    return true;
  }
  std::size_t n = *len;
  const bool root = n == 1;
  if (n + (root ? 0 : 1) + name_len + 1 > cap) return false;
  if (!root) out[n++] = '/';
  for (std::size_t i = 0; i < name_len; ++i) out[n++] = name[i];
  out[n] = '\0';
  *len = n;
  return true;
}

}  // namespace

bool resolve_fd(int fd, char* out, std::size_t cap, std::size_t* length) {
  const long n = fd_name(fd, out, cap);
  if (n < 0) return false;
  *length = static_cast<std::size_t>(n);
  return true;
}

bool resolve_physical(int dirfd, const char* path, FinalLink final_link, DirectoryPart directory_part, char* out,
                      std::size_t cap, std::size_t* length) {
  if (path == nullptr || path[0] == '\0' || cap < 2) return false;
  char scratch[kPhysicalPathMax];  // the directory part, then a symlink's target
  char next[kPhysicalPathMax];     // the path a followed symlink leads to
  const char* current = path;
  int base = dirfd;
  for (int hop = 0; hop <= kMaxLinks; ++hop) {
    std::size_t end = 0;
    while (current[end] != '\0') ++end;
    const bool absolute = current[0] == '/';
    while (end > 1 && current[end - 1] == '/') --end;  // "dir/" names dir
    std::size_t name_start = end;
    while (name_start > 0 && current[name_start - 1] != '/') --name_start;
    const char* name = current + name_start;
    const std::size_t name_len = end - name_start;  // 0 for the root itself

    long parent = -1;
    if (name_start > 0 && directory_part == DirectoryPart::physical) {
      parent = directory_name(absolute ? AT_FDCWD : base, current, name_start, scratch, out, cap);
    } else {
      if (absolute) {
        out[0] = '/';
        out[1] = '\0';
        parent = 1;
      } else {
        parent = base_name(base, out, cap);
      }
      // The directory part as text, one component at a time.
      std::size_t len = parent < 0 ? 0 : static_cast<std::size_t>(parent);
      std::size_t start = 0;
      for (std::size_t i = 0; parent >= 0 && i <= name_start; ++i) {
        if (i < name_start && current[i] != '/') continue;
        if (i > start && !append_name(out, cap, &len, current + start, i - start)) parent = -1;
        start = i + 1;
      }
      if (parent >= 0) parent = static_cast<long>(len);
    }
    if (parent < 0) return false;
    std::size_t len = static_cast<std::size_t>(parent);
    const std::size_t parent_len = len;
    if (!append_name(out, cap, &len, name, name_len)) return false;
    *length = len;

    const bool dot_name = name_len == 0 || (name_len == 1 && name[0] == '.') ||
                          (name_len == 2 && name[0] == '.' && name[1] == '.');
    if (final_link == FinalLink::keep || dot_name) return true;
    // Follow: is the final name a symlink (or a /proc magic link)? EINVAL (not a link) and
    // ENOENT (a file about to be created) both mean `out` is the place.
    const long target = sys::readlinkat(absolute ? AT_FDCWD : base, current, scratch, sizeof scratch - 1);
    if (target <= 0) return true;
    const std::size_t target_len = static_cast<std::size_t>(target);
    scratch[target_len] = '\0';
    std::size_t n = 0;
    if (scratch[0] != '/') {
      if (parent_len + 1 + target_len + 1 > sizeof next) return false;
      for (std::size_t i = 0; i < parent_len; ++i) next[n++] = out[i];
      if (parent_len != 1) next[n++] = '/';
    } else if (target_len + 1 > sizeof next) {
      return false;
    }
    for (std::size_t i = 0; i < target_len; ++i) next[n++] = scratch[i];
    next[n] = '\0';
    current = next;
    base = AT_FDCWD;
  }
  return false;  // a loop: the call itself fails with ELOOP
}

}  // namespace agentguard::core
