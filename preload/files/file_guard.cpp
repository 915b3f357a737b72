#include "file_guard.hpp"

#include <errno.h>
#include <sys/stat.h>

#include "core/base/file_syscalls.hpp"
#include "core/files/protected_paths.hpp"
#include "file_report.hpp"

namespace agentguard::preload {
namespace {

// The table: the built-in patterns, plus prefixes a later constructor step may add (the guard's
// own files). Constant-initialised: no constructor runs for it, and it is only read by the hooks.
constinit core::ProtectedPaths g_protected;

// The sealed files: (device, inode) of the files a guarded process may not open at all. An inode,
// not a name: a symlink, a hard link made before the session or a /proc/self/fd path all open the
// same inode, and the check costs one fstat after a read-only open, only in a session that seals
// something. Written once by the constructor, read by the hooks.
struct SealedFile {
  unsigned long long device;
  unsigned long long inode;
};
constexpr std::size_t kMaxSealed = 8;
constinit SealedFile g_sealed[kMaxSealed] = {};
constinit std::size_t g_sealed_count = 0;

// Parses a decimal number at *p, stopping at any other byte; false if there were no digits.
bool parse_number(const char*& p, unsigned long long* value) {
  unsigned long long v = 0;
  const char* start = p;
  while (*p >= '0' && *p <= '9') v = v * 10 + static_cast<unsigned long long>(*p++ - '0');
  *value = v;
  return p != start;
}

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
    case FileOp::read:
      return "read";
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
    case FileOp::read:
      return "reading";
  }
  return "writing";
}

void load_guard_files(const char* protect, const char* sealed) {
  if (protect != nullptr) {
    // Each ':'-separated part names a prefix in place: the table keeps (pointer, length).
    const char* start = protect;
    for (const char* p = protect;; ++p) {
      if (*p == ':' || *p == '\0') {
        if (p > start) g_protected.add_prefix(start, static_cast<std::size_t>(p - start));
        if (*p == '\0') break;
        start = p + 1;
      }
    }
  }
  if (sealed != nullptr) {
    const char* p = sealed;
    while (*p != '\0' && g_sealed_count < kMaxSealed) {
      SealedFile file{};
      if (parse_number(p, &file.device) && *p == ':' && parse_number(++p, &file.inode)) g_sealed[g_sealed_count++] = file;
      while (*p != '\0' && *p != ',') ++p;
      if (*p == ',') ++p;
    }
  }
}

bool any_sealed() { return g_sealed_count != 0; }

__attribute__((noinline)) bool is_sealed_fd(int fd) {
  struct ::stat st {};
  if (core::sys::fstat(fd, &st) != 0) return false;
  for (std::size_t k = 0; k < g_sealed_count; ++k) {
    if (g_sealed[k].device == st.st_dev && g_sealed[k].inode == st.st_ino) return true;
  }
  return false;
}

void refuse_sealed_read(const char* path) {
  const char* shown = path != nullptr ? path : "(a sealed file)";
  refuse_file_call(FileOp::read, core::Protection::guard_file, shown, length_of(shown));
  errno = EACCES;
}

bool sealed_open_allowed(int fd, const char* path) {
  if (!is_sealed_fd(fd)) return true;
  core::sys::close(fd);
  refuse_sealed_read(path);
  return false;
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
    // Moving or removing a directory above the guard's files swaps them for others.
    if (protection == core::Protection::none && (op == FileOp::rename || op == FileOp::rmdir) &&
        g_protected.encloses_prefix(physical, length))
      protection = core::Protection::guard_file;
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
