#pragma once
// Paths for the fd-based exec calls. /proc/self/fd/N is a symlink to the open file, so
// identify() resolves it like any other link (and stat/open through it reach the file even
// after it was unlinked).
#include <cstddef>

namespace agentguard::preload {

// "/proc/self/fd/N" into out.
void proc_fd_path(int fd, char* out, std::size_t cap);

// The file execveat(dirfd, path, ..., flags) runs, as a path identify() can examine:
// absolute paths as is; AT_EMPTY_PATH with "" -> /proc/self/fd/dirfd; AT_FDCWD -> path;
// otherwise the directory behind dirfd joined with path.
const char* execveat_path(int dirfd, const char* path, int flags, char* out, std::size_t cap);

}  // namespace agentguard::preload
