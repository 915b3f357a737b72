#pragma once
// Where a file call will really act: (dirfd, path) turned into an absolute physical path, without
// allocating, for the protected-paths table.
//
// - The parent directory is named by the kernel, never worked out by hand: `getcwd` for a bare
//   name in the working directory, `/proc/self/fd/N` for a directory fd (rm -rf's unlinkat(fd,
//   name)), and for a path with a directory part an O_PATH open of that part, named through
//   /proc/self/fd. Symlinks and ".." in the directory part are therefore resolved exactly as the
//   call will resolve them.
// - The final name is taken as given for calls that act on the name itself (unlink, rename, rmdir,
//   link's new name, O_NOFOLLOW/O_EXCL opens), and followed through symlinks (up to the kernel's 40)
//   for calls that follow them (open, creat, truncate, fopen): a symlink or /proc/self/fd/N named
//   `x` that points at terraform.tfstate is terraform.tfstate.
// Costs 1 to 4 system calls; raw ones, so errno is untouched.
#include <cstddef>

namespace agentguard::core {

enum class FinalLink : unsigned char {
  keep,    // the call acts on the final name itself
  follow,  // the call follows a final symlink
};

inline constexpr std::size_t kPhysicalPathMax = 4096;

// Writes the physical path (NUL-terminated) to `out` and its length to `*length`. Returns false if
// the kernel cannot name the place: the directory part does not exist or cannot be searched (the
// call itself will then fail the same way), `dirfd` is not a directory, /proc is not mounted, the
// path is longer than `cap`, or a symlink loop. The caller then knows only the name.
bool resolve_physical(int dirfd, const char* path, FinalLink final_link, char* out, std::size_t cap,
                      std::size_t* length);

// The physical path of an open file descriptor (linkat's AT_EMPTY_PATH, freopen(NULL, ...)).
bool resolve_fd(int fd, char* out, std::size_t cap, std::size_t* length);

}  // namespace agentguard::core
