#pragma once
// system() and popen() start /bin/sh through glibc's internal spawn, which no hook sees. The
// shell itself is dynamic and gets our hooks - if its environment carries the guard. When the
// caller's environ has lost the guard we may not repair environ (another thread may read it),
// so the command is rewritten instead: the outer shell re-exports the guard and execs an inner
// /bin/sh that runs the original command under the hooks.
#include "scratch.hpp"

namespace agentguard::preload {

// Returns `command` itself when environ already carries the guard (or on any failure to build
// the rewrite, which then degrades to the original command), else the rewritten command in
// `scratch`.
const char* guarded_shell_command(const char* command, ScratchMapping& scratch);

}  // namespace agentguard::preload
