#pragma once
// `agentguard-gate --report-http ...`: the HTTPS guard inside a guarded process refused (or logged)
// an API call. It cannot write the audit log or notify from inside SSL_write, so it starts the gate in
// this mode and waits for it: the gate turns the facts into an event about its parent process and
// reports it like a refused launch (audit log, spool, notifier).
namespace agentguard::gate {

// argv: [gate, "--report-http", "--decision", D, "--rule", ID, "--service", S, "--operation", OP,
//        "--protocol", P, "--endpoint", "HOST/PATH", "--message", MSG]. --decision and --rule are
// required; service and operation are empty for a request that could not be read (HTTP/2).
// Returns the exit status
// (0 when the event is durable, 1 when it could not be, 2 on a malformed command line).
int report_http(int argc, char** argv);

}  // namespace agentguard::gate
