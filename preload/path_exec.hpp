#pragma once
// The PATH-searching exec calls (execvp, execvpe, execlp) share this: search as glibc would,
// decide on the file found, then let libc's execvpe do the real search and exec (it keeps
// glibc's rules: ENOEXEC scripts run by /bin/sh, EACCES entries skipped).
#include "core/launch/identity.hpp"
#include "exec_hook.hpp"

namespace agentguard::preload {

int call_real_execvpe(const char* file, char* const* argv, char* const* envp);

inline int guarded_path_exec(const char* file, char* const* argv, char* const* envp) {
  char found[agentguard::core::kMaxPath];
  const char* examine = search_path(file, found);
  return guarded_exec(examine, argv, envp, [&](char* const* env) { return call_real_execvpe(file, argv, env); });
}

}  // namespace agentguard::preload
