#pragma once
// `agentguard-gate --report-file ...`: the preload refused a file call on a protected path (a
// Terraform state file, ...; core/files/protected_paths.hpp). It cannot write the audit log or notify from
// inside unlink(), so it starts the gate in this mode and waits for it: the gate records the refusal
// as an event about that process, like a refused launch (audit log, spool, webhooks).
namespace agentguard::gate {

// argv: [gate, "--report-file", "--pid", PID, "--operation", OP, "--path", PATH, "--rule", ID,
//        "--message", MSG]; PID is the refused process.
// The decision is the preload's (built in, not a policy rule): always "deny". Returns 0 when the
// event is durable, 1 when it could not be made so, 2 on a malformed command line.
int report_file(int argc, char** argv);

}  // namespace agentguard::gate
