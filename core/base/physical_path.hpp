#pragma once
// Where a file call will act: (dirfd, path) turned into an absolute path without allocating, for
// the protected-paths table.
//
// - The base is named by the kernel, never guessed: `getcwd` for a relative path, and
//   `/proc/self/fd/N` for a directory fd (rm -rf's unlinkat(fd, name)).
// - The directory part of the path is either
//   - lexical: appended to the base with "." and ".." applied as text (no system call), or
//   - physical: opened with O_PATH and named through /proc/self/fd, so a symlinked directory or a
//     ".." across a symlink lands where the call itself will land (3 system calls).
// - The final name is taken as given for calls that act on the name itself (unlink, rename, rmdir,
//   link's new name, O_NOFOLLOW and O_CREAT|O_EXCL opens), and followed through symlinks (up to the
//   kernel's 40) for calls that follow them (open, creat, truncate, fopen): a symlink or a
//   /proc/self/fd/N named `x` that points at terraform.tfstate is terraform.tfstate. One readlinkat.
// Raw system calls only: errno is never touched.
#include <cstddef>

namespace agentguard::core {

enum class FinalLink : unsigned char {
  keep,    // the call acts on the final name itself
  follow,  // the call follows a final symlink
};

enum class DirectoryPart : unsigned char {
  lexical,   // cheap; a symlinked directory in the middle of the path is not seen through
  physical,  // exact; three more system calls when the path has a directory part
};

inline constexpr std::size_t kPhysicalPathMax = 4096;

// Writes the absolute path (NUL-terminated) to `out` and its length to `*length`. Returns false if
// it cannot be named: the base cannot be read (`dirfd` is not an open directory, /proc is not
// mounted, the working directory is unreachable), the directory part cannot be opened (physical:
// the call itself will then fail the same way), the path is longer than `cap`, or a symlink loop.
// The caller then knows only the name.
bool resolve_physical(int dirfd, const char* path, FinalLink final_link, DirectoryPart directory_part, char* out,
                      std::size_t cap, std::size_t* length);

// The kernel's name for an open file descriptor (linkat's AT_EMPTY_PATH, freopen(NULL, ...)).
bool resolve_fd(int fd, char* out, std::size_t cap, std::size_t* length);

}  // namespace agentguard::core
