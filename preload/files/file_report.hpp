#pragma once
// A refused file call: one line on stderr, then the gate records it, exactly as it records a
// refused launch (audit log, spool, webhooks). The gate is run as
//   AGENTGUARD_GATE --report-file --pid PID --operation OP --path PATH --rule ID --message LINE
// (docs/architecture.md, "The file guard's reports") with the gate protocol's environment (the guard's
// cached variables, LD_PRELOAD removed), and waited for.
//
// Async-signal-safe, because the refused call may be (unlink in a vfork child, open in a signal
// handler): the line is one write(2), the buffers are on the stack (an mmap beyond 64 KiB of
// environment), and the gate is started by raw clones + execve that make raw system calls only,
// through a copy of the process whose exit raises no SIGCHLD: the host's SIGCHLD handler and its
// waitpid(-1) never see anything (file_report.cpp, run_gate). Preserves errno.
#include <cstddef>

#include "core/files/protected_paths.hpp"
#include "file_guard.hpp"

namespace agentguard::preload {

void refuse_file_call(FileOp op, core::Protection protection, const char* path, std::size_t path_length);

}  // namespace agentguard::preload
