#pragma once
// Starting a program the gate or the CLI has decided to start. In a strict session every execve
// of the tree is a round trip to the session's supervisor, which reads the exec'ing process's
// memory to see what it starts - except an exec that carries the session's token
// (core/launch/strict_token.hpp), as the preload's decided execs do. The gate and the CLI keep
// themselves unreadable (non-dumpable: no peeking at the approval code), and so are their children
// until they exec, so their execs must carry the token or be refused.
#include <sys/types.h>

#include "core/launch/strict_token.hpp"

namespace agentguard::support {

struct ExecToken {
  bool present = false;
  core::StrictToken token;
};

// AGENTGUARD_STRICT of this process, parsed now: call it before fork(), not in the child.
ExecToken exec_token_from_environment();

// execve, with the token when there is one. Async-signal-safe (forked children). Returns only on
// failure, with errno set.
void execve_decided(const ExecToken& token, const char* path, char* const* argv, char* const* envp);

// What the child does before it execs: the subset of posix_spawn's attributes and file actions the
// tools use, in this order.
struct ChildSetup {
  bool stdin_from_dev_null = false;
  struct Dup {
    int from;
    int to;
  };
  Dup dups[3] = {};  // dup2(from, to), in order; `from == to` only clears close-on-exec
  int dup_count = 0;
  const char* cwd = nullptr;
  bool new_process_group = false;
  bool default_interrupt_signals = false;  // SIGINT and SIGQUIT back to SIG_DFL (the parent ignores them)

  ChildSetup& dup(int from, int to) {
    dups[dup_count++] = {from, to};
    return *this;
  }
};

// posix_spawn(path, ...) with `setup`, or, in a strict session, fork() and an exec that carries
// the token (posix_spawn cannot put it in the exec's registers). `path` is used as given (no PATH
// search). Returns 0 with `pid` set, or an errno value. Only async-signal-safe calls run in a
// forked child: the CLI and the gate may have threads.
int spawn_decided(pid_t& pid, const char* path, char* const* argv, char* const* envp, const ChildSetup& setup);

}  // namespace agentguard::support
