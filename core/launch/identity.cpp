#include "core/launch/identity.hpp"
#include "core/base/hot_path.hpp"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/launch/executable.hpp"
#include "core/launch/fingerprint.hpp"
#include "core/launch/interpreter_args.hpp"
#include "core/base/syscalls.hpp"
#include "core/base/text.hpp"
#include "core/launch/watch_list.hpp"

namespace agentguard::core {
namespace {

constexpr const char kDefaultWatchList[] =
    "v1;p=terraform,tofu,terragrunt,pulumi,cdk,aws;w=sudo,doas,su,pkexec,sg,newgrp,runuser,setpriv,chroot;m=awscli:aws";

// The kernel gives up after 40 links (ELOOP); so do we.
constexpr int kMaxLinks = 40;
// ld.so running python running a script is two hops; allow a little more, never unbounded.
constexpr int kMaxHops = 4;

// Follows the final symlink chain of `path` the way execve will, into out[kMaxPath].
// Relative link targets are relative to the link's own directory. /proc/self/fd/N is a
// symlink too, so fexecve and execveat(AT_EMPTY_PATH) resolve to the real file here.
// *missing: ENOENT/ENOTDIR if the first readlink (on `path` itself) failed so, else 0.
AGENTGUARD_HOT bool resolve_links(const char* path, char* out, int* missing = nullptr) {
  if (missing != nullptr) *missing = 0;
  if (!text::copy(out, kMaxPath, path)) return false;
  char target[kMaxPath];
  for (int i = 0; i < kMaxLinks; ++i) {
    const long n = sys::readlink(out, target, sizeof target - 1);
    if (n <= 0) {
      // EINVAL: not a link (the common case, one syscall); or missing. Only the path itself
      // counts as missing: a later hop failing is a dangling symlink, left to the kernel.
      if (i == 0 && missing != nullptr && (n == -ENOENT || n == -ENOTDIR)) *missing = static_cast<int>(-n);
      return true;
    }
    target[n] = '\0';
    if (target[0] == '/') {
      text::copy(out, kMaxPath, target);
      continue;
    }
    const std::size_t dir_len = static_cast<std::size_t>(text::basename(out) - out);
    if (dir_len + static_cast<std::size_t>(n) + 1 > kMaxPath) return true;
    for (long k = 0; k <= n; ++k) out[dir_len + static_cast<std::size_t>(k)] = target[k];
  }
  return true;
}

// Basename of a resolved path, without the " (deleted)" that /proc/self/fd/N shows for an
// unlinked file: the name is still the program's name.
AGENTGUARD_HOT std::size_t name_length(const char* base) {
  std::size_t len = text::length(base);
  constexpr char kDeleted[] = " (deleted)";
  constexpr std::size_t kDeletedLen = sizeof kDeleted - 1;
  if (len > kDeletedLen && text::equal(base + len - kDeletedLen, kDeleted)) len -= kDeletedLen;
  return len;
}

// f= entries: the size first (the caller's stat: it follows the links itself), the hash only on a
// size match.
AGENTGUARD_HOT bool content_match(const char* path, const struct stat& st, const char* list, char* name_out) {
  if (!S_ISREG(st.st_mode)) return false;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (!watch_list_has_size(list, size)) return false;
  std::uint64_t file_size = 0;
  std::uint64_t hash = 0;
  const int saved_errno = errno;  // identify never changes errno; fingerprint_file uses libc
  const bool read = fingerprint_file(path, file_size, hash);
  errno = saved_errno;
  if (!read || file_size != size) return false;
  return watch_list_content(list, size, hash, name_out, kMaxProgramName);
}

bool list_has_content_entries(const char* list) {
  for (const char* p = list; *p != '\0'; ++p) {
    if (*p == ';' && p[1] == 'f' && p[2] == '=') return true;
  }
  return false;
}

void set_watched(Identity& out, Via via, const char* name, std::size_t len, int argv_index) {
  out.watched = true;
  out.via = via;
  text::copy_n(out.program, kMaxProgramName, name, len < kMaxProgramName ? len : kMaxProgramName - 1);
  out.argv_index = argv_index;
}

}  // namespace

const char* to_string(Via via) {
  switch (via) {
    case Via::none: return "none";
    case Via::name: return "name";
    case Via::content: return "content";
    case Via::loader: return "loader";
    case Via::interpreter: return "interpreter";
    case Via::wrapper: return "wrapper";
    case Via::build_info: return "build_info";
  }
  return "none";
}

const char* default_watch_list() { return kDefaultWatchList; }

namespace {

// A file not watched by its name: what it is decides. A static Go build of a watched program is
// that program; any other static executable needs the supervisor; a script or a dynamic ELF is
// launched as it is (the preload runs inside a dynamic one, and a script's interpreter is judged
// when it runs).
struct Hop;
void judge_executable(const Hop& hop, const char* path, const struct stat& st, Identity& out);

// One hop of identify: judges the file at `current_path` (symlinks resolved: `current_resolved`).
// Either it settles the answer (watched or not), or it names the argv index of the program a
// loader or interpreter at argv[index] will run, for the next hop.
struct Hop {
  const char* list;
  bool has_content;
  const char* const* argv;
  int index = 0;
  Via seen_through = Via::none;  // how later hops were reached (loader / interpreter)
  bool first = true;
};

enum class HopOutcome : std::uint8_t { settled, next };

AGENTGUARD_HOT HopOutcome examine(Hop& hop, const char* current_path, const char* current_resolved, Identity& out) {
  const char* base = text::basename(current_resolved);
  const std::size_t len = name_length(base);
  if (watch_list_has_name(hop.list, 'p', base, len)) {
    set_watched(out, hop.first ? Via::name : hop.seen_through, base, len, hop.index);
    return HopOutcome::settled;
  }
  if (watch_list_has_name(hop.list, 'w', base, len)) {
    set_watched(out, Via::wrapper, base, len, hop.index);
    return HopOutcome::settled;
  }
  const InterpreterKind kind = interpreter_kind(base);
  // One stat for both questions below (a renamed copy of a watched program; what the file is).
  struct stat st;
  const bool stat_ok = (hop.has_content || kind == InterpreterKind::none) && sys::stat(current_path, &st) == 0;
  char content_name[kMaxProgramName];
  if (hop.has_content && stat_ok && content_match(current_path, st, hop.list, content_name)) {
    set_watched(out, hop.first ? Via::content : hop.seen_through, content_name, text::length(content_name),
                hop.index);
    return HopOutcome::settled;
  }
  if (kind == InterpreterKind::none) {  // the common case: not watched by name
    if (stat_ok) judge_executable(hop, current_path, st, out);  // no stat: the kernel will say why
    return HopOutcome::settled;
  }
  int next = -1;
  if (kind == InterpreterKind::loader) {
    next = loader_program_index(hop.argv, hop.index);
    hop.seen_through = Via::loader;
  } else {
    const InterpreterTarget target = interpreter_target(kind, hop.argv, hop.index);
    if (target.module != nullptr) {
      char mapped[kMaxProgramName];
      if (watch_list_module(hop.list, target.module, mapped, sizeof mapped)) {
        set_watched(out, Via::interpreter, mapped, text::length(mapped), target.index);
      }
      return HopOutcome::settled;
    }
    next = target.index;
    hop.seen_through = Via::interpreter;
  }
  if (next < 0) return HopOutcome::settled;  // nothing else runs: not watched
  hop.index = next;
  hop.first = false;
  return HopOutcome::next;
}

AGENTGUARD_HOT void judge_executable(const Hop& hop, const char* path, const struct stat& st, Identity& out) {
  ExecutableFacts facts;
  if (!examine_executable(path, st, facts)) return;
  // Setuid, setgid or file capabilities: the loader may drop LD_PRELOAD inside it, so it goes to the
  // gate as well, which applies [launch] unknown_setuid (and runs a dynamic one with execve).
  if (facts.privileged) out.needs_supervision = true;
  if (facts.kind != ExecutableKind::static_elf && facts.kind != ExecutableKind::unreadable) return;
  if (facts.go_program[0] != '\0' &&
      watch_list_has_name(hop.list, 'p', facts.go_program, text::length(facts.go_program))) {
    set_watched(out, Via::build_info, facts.go_program, text::length(facts.go_program), hop.index);
    return;
  }
  out.needs_supervision = true;
}

// Loaders and interpreters only. Out of line so that its path buffer is not part of the
// common launch's stack frame (in a forked child every stack page written is a page fault).
__attribute__((noinline)) void identify_nested(Hop& hop, Identity& out) {
  char nested_resolved[kMaxPath];
  for (int depth = 1; depth < kMaxHops; ++depth) {
    const char* current_path = hop.argv[hop.index];
    if (!resolve_links(current_path, nested_resolved)) return;
    if (examine(hop, current_path, nested_resolved, out) == HopOutcome::settled) return;
  }
}

}  // namespace

AGENTGUARD_HOT bool identify(const char* path, const char* const* argv, const char* watch_list, Identity& out,
              IdentifyMode mode) {
  out.watched = false;
  out.via = Via::none;
  out.program[0] = '\0';
  out.argv_index = 0;
  out.resolved_path[0] = '\0';
  out.missing = 0;
  out.needs_supervision = false;
  if (path == nullptr || path[0] == '\0') return false;
  if (!resolve_links(path, out.resolved_path, &out.missing)) {
    text::copy(out.resolved_path, kMaxPath, path);
    return false;
  }
  if (out.missing != 0 && mode == IdentifyMode::stop_if_missing) return true;
  // Each hop examines one file: the launched one, then the program a loader or interpreter runs.
  Hop hop;
  hop.list = watch_list_valid(watch_list) ? watch_list : kDefaultWatchList;
  hop.has_content = list_has_content_entries(hop.list);
  hop.argv = argv;
  if (examine(hop, path, out.resolved_path, out) == HopOutcome::next) identify_nested(hop, out);
  return true;
}

}  // namespace agentguard::core
