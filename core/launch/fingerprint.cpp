#include "core/launch/fingerprint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/launch/executable.hpp"

namespace agentguard::core {
namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

// Hashes `length` bytes at `offset` into `hash` (FNV-1a), reading through a stack buffer.
bool hash_range(int fd, std::uint64_t offset, std::uint64_t length, std::uint64_t& hash) {
  unsigned char buffer[1024];
  while (length > 0) {
    const std::size_t want = length < sizeof buffer ? static_cast<std::size_t>(length) : sizeof buffer;
    const ssize_t got = pread(fd, buffer, want, static_cast<off_t>(offset));
    if (got <= 0) return false;  // the file shrank or cannot be read
    for (ssize_t i = 0; i < got; ++i) {
      hash ^= buffer[i];
      hash *= kFnvPrime;
    }
    offset += static_cast<std::uint64_t>(got);
    length -= static_cast<std::uint64_t>(got);
  }
  return true;
}

}  // namespace

// The first min(size, 4 KiB) bytes, then the last min(size, 4 KiB) bytes, as one FNV-1a stream.
// A file shorter than 8 KiB has the overlapping bytes hashed twice; that is part of the definition.
bool fingerprint_fd(int fd, std::uint64_t size, std::uint64_t& hash) {
  // A script is its interpreter plus its text: identical shims (pyenv, asdf) must not all be `aws`.
  if (fd_is_script(fd)) return false;
  const std::uint64_t window = size < kFingerprintWindow ? size : kFingerprintWindow;
  std::uint64_t h = kFnvOffset;
  if (!hash_range(fd, 0, window, h)) return false;
  if (!hash_range(fd, size - window, window, h)) return false;
  hash = h;
  return true;
}

bool fingerprint_file(const char* path, std::uint64_t& size, std::uint64_t& hash) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return false;
  struct stat st;
  bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (ok) {
    size = static_cast<std::uint64_t>(st.st_size);
    ok = fingerprint_fd(fd, size, hash);
  }
  close(fd);
  return ok;
}

}  // namespace agentguard::core
