#include "file_guard.hpp"

#include <errno.h>

#include "core/files/protected_paths.hpp"
#include "file_report.hpp"

namespace agentguard::preload {
namespace {

// The table: the built-in patterns, plus prefixes a later constructor step may add (the guard's
// own files). Constant-initialised: no constructor runs for it, and it is only read by the hooks.
constinit core::ProtectedPaths g_protected;

// The final name as written ("a/b/" names b), judged by the name patterns alone.
core::Protection protected_by_name(const char* path) {
  std::size_t end = 0;
  while (path[end] != '\0') ++end;
  while (end > 1 && path[end - 1] == '/') --end;
  std::size_t start = end;
  while (start > 0 && path[start - 1] != '/') --start;
  return core::protected_name(path + start, end - start);
}

std::size_t length_of(const char* s) {
  std::size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

}  // namespace

const char* file_op_name(FileOp op) {
  switch (op) {
    case FileOp::write:
      return "write";
    case FileOp::truncate:
      return "truncate";
    case FileOp::rename:
      return "rename";
    case FileOp::unlink:
      return "unlink";
    case FileOp::rmdir:
      return "rmdir";
    case FileOp::link:
      return "link";
  }
  return "write";
}

const char* file_op_verb(FileOp op) {
  switch (op) {
    case FileOp::write:
      return "writing";
    case FileOp::truncate:
      return "truncating";
    case FileOp::rename:
      return "renaming";
    case FileOp::unlink:
      return "removing";
    case FileOp::rmdir:
      return "removing the directory";
    case FileOp::link:
      return "hard-linking";
  }
  return "writing";
}

bool is_empty_path(const char* path) { return path != nullptr && path[0] == '\0'; }

// Out of line: the hooks' read-only path never pays for this frame (8 KiB of path buffers).
__attribute__((noinline)) bool file_call_allowed(FileOp op, int dirfd, const char* path, core::FinalLink final_link) {
  if (path == nullptr) return true;
  core::Protection protection = protected_by_name(path);
  // Every file Terraform writes has a protected name, so for the built-in patterns a symlinked
  // directory in the middle of a path only matters when a directory itself moves or goes: renames
  // (`mv ws/other x` through a link to terraform.tfstate.d) and rmdir pay for the exact answer.
  // Prefixes (the guard's own files) have no names to fall back on: with any, every call does.
  const core::DirectoryPart directory_part =
      op == FileOp::rename || op == FileOp::rmdir || g_protected.prefix_count() > 0 ? core::DirectoryPart::physical
                                                                                     : core::DirectoryPart::lexical;
  char physical[core::kPhysicalPathMax];
  std::size_t length = 0;
  const bool resolved =
      core::resolve_physical(dirfd, path, final_link, directory_part, physical, sizeof physical, &length);
  if (protection == core::Protection::none) {
    // Not resolved: the kernel cannot name the directory either, so the call fails on its own
    // (ENOENT, ENOTDIR, EACCES, ELOOP, EBADF); only the name was there to judge.
    if (!resolved) return true;
    protection = g_protected.match(physical, length);
    if (protection == core::Protection::none) return true;
  }
  if (resolved)
    refuse_file_call(op, protection, physical, length);
  else
    refuse_file_call(op, protection, path, length_of(path));
  errno = EACCES;
  return false;
}

__attribute__((noinline)) bool fd_call_allowed(FileOp op, int fd) {
  char physical[core::kPhysicalPathMax];
  std::size_t length = 0;
  if (!core::resolve_fd(fd, physical, sizeof physical, &length)) return true;  // not a file: EBADF etc. from libc
  const core::Protection protection = g_protected.match(physical, length);
  if (protection == core::Protection::none) return true;
  refuse_file_call(op, protection, physical, length);
  errno = EACCES;
  return false;
}

}  // namespace agentguard::preload
