#pragma once
// The protected-paths check every file hook shares (core/files/protected_paths.hpp): a guarded process
// may not create, write, truncate, rename, link or unlink a protected path.
//
// Cost: a hook first tests whether the call can change anything at all (open's flags, fopen's
// mode: read-only calls, nearly all of them, go straight to libc). Only a call that can change a
// file gets here: the final name is checked against the name patterns (a few compares), then the
// place is named for the directory patterns (core/base/physical_path.hpp): `getcwd` for a relative
// path or a /proc/self/fd readlink for a directory fd, the directory part as text (renames and
// rmdir: opened and named by the kernel), and one readlinkat of the final name for calls that
// follow symlinks. 0 to 2 raw system calls for opens and unlinks, up to 5 for a rename side.
// Nothing here touches errno unless the call is refused; then errno is EACCES.
//
// Async-signal-safe (open, unlink, rename are, and are called in vfork children): no heap, no
// locks, no lazy initialisation; the refusal path writes one line with write(2) and starts the
// gate with raw clone/execve (file_report.hpp).
#include <fcntl.h>

#include "core/base/physical_path.hpp"

namespace agentguard::preload {

enum class FileOp : unsigned char {
  write,     // open/openat/creat/fopen with write intent
  truncate,  // truncate()
  rename,    // rename*, either side
  unlink,    // unlink, unlinkat, remove
  rmdir,     // rmdir, unlinkat(AT_REMOVEDIR)
  link,      // link/linkat, either side: a second name for a protected file is a way to write it
};

// The name in the audit event ("write", "truncate", ...) and the verb on stderr ("writing", ...).
const char* file_op_name(FileOp op);
const char* file_op_verb(FileOp op);

// May `op` go ahead on (dirfd, path)? If not: the refusal is printed and reported, errno is
// EACCES, and the hook returns its failure value. A null path is left to libc (EFAULT).
bool file_call_allowed(FileOp op, int dirfd, const char* path, core::FinalLink final_link);

// The same for what an open file descriptor refers to (freopen(NULL, ...), linkat(AT_EMPTY_PATH)).
bool fd_call_allowed(FileOp op, int fd);

// "" (AT_EMPTY_PATH's empty name). Out of line on purpose: libc declares the hooks' path arguments
// nonnull, so a null test written inside a hook would be optimised away, and a null path must reach
// libc (EFAULT), not crash here.
bool is_empty_path(const char* path);

// open/openat flags that can change a file: anything but a plain read. (O_TMPFILE includes
// O_DIRECTORY and must be opened for writing, so it is covered.)
inline bool open_can_write(int flags) {
  return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
}
// How open treats a final symlink: O_NOFOLLOW and O_CREAT|O_EXCL act on the name itself.
inline core::FinalLink open_final_link(int flags) {
  return (flags & O_NOFOLLOW) != 0 || (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL) ? core::FinalLink::keep
                                                                                          : core::FinalLink::follow;
}
// fopen/freopen modes: "w", "a", "x" or any "+" can change the file; "r" alone cannot.
inline bool fopen_mode_can_write(const char* mode) {
  if (mode == nullptr) return false;
  if (mode[0] == 'w' || mode[0] == 'a') return true;
  for (const char* m = mode; *m != '\0' && *m != ','; ++m) {
    if (*m == '+') return true;
  }
  return false;
}

}  // namespace agentguard::preload
