#pragma once
// What a launch really runs. Async-signal-safe and allocation-free: the preload calls this in
// vfork children, and the gate and `agentguard policy explain` call the same code.
// Rules: docs/architecture.md, "What counts as the launched program".
#include <cstddef>
#include <cstdint>

namespace agentguard::core {

inline constexpr std::size_t kMaxPath = 4096;
inline constexpr std::size_t kMaxProgramName = 64;

enum class Via : std::uint8_t {
  none,         // not watched
  name,         // basename of the launched file (after symlinks) is on the watch list
  content,      // size + fingerprint match a protected file (a renamed copy)
  loader,       // ld-linux*.so run directly with the program as an argument
  interpreter,  // python/node/perl/ruby running a watched script, or python -m MODULE
  wrapper,      // a setuid wrapper that drops LD_PRELOAD (sudo, doas, su, pkexec)
  build_info,   // a static Go executable whose build info names a watched program (any name, any place)
};

const char* to_string(Via via);

struct Identity {
  bool watched = false;
  Via via = Via::none;
  char program[kMaxProgramName] = {};  // canonical name, e.g. "terraform"; empty if not watched
  int argv_index = 0;                  // argv[argv_index] is the effective command's argv[0]
  char resolved_path[kMaxPath] = {};   // the file the kernel will run, symlinks resolved
  // ENOENT or ENOTDIR when readlink on `path` itself failed so: nothing, not even a dangling
  // symlink, is at `path`, and execve(path) fails with this errno. 0 otherwise (a dangling
  // symlink, EACCES, ELOOP, ... are 0: only the kernel can tell those launches' errno).
  int missing = 0;
  // Not watched, but an ELF without a program interpreter (static, static-pie) or a file we cannot
  // read: no preload will run inside it, so its own launches are only seen under the gate's
  // supervisor. The preload hands such launches to the gate.
  bool needs_supervision = false;
};

enum class IdentifyMode : std::uint8_t {
  full,             // examine the name even when nothing is at the path (the gate, `policy explain`)
  stop_if_missing,  // the preload: a missing file runs nothing, so it is not watched; stop there
};

// `path` is what is passed to execve (relative paths are relative to the cwd); `argv` is
// null-terminated; `watch_list` is an AGENTGUARD_WATCH string (nullptr: the built-in default).
// Returns false only if `path` cannot be examined at all (then `out.resolved_path` holds `path`).
bool identify(const char* path, const char* const* argv, const char* watch_list, Identity& out,
              IdentifyMode mode = IdentifyMode::full);

// The watch list used when the environment carries none.
const char* default_watch_list();

}  // namespace agentguard::core
