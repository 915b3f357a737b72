#pragma once
// Starting a program the gate or the CLI has decided to start. In a strict session every execve
// of the tree is a round trip to the session's supervisor, which reads the exec'ing process's
// memory to see what it starts - except an exec that carries the session's token
// (core/launch/strict_token.hpp), as the preload's decided execs do. The gate and the CLI keep
// themselves unreadable (non-dumpable: no peeking at the approval code), and so are their children
// until they exec, so their execs must carry the token or be refused.
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

}  // namespace agentguard::support
