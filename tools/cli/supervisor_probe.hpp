#pragma once
// Whether this kernel lets the gate supervise static programs (seccomp user notification), asked
// once per session start. The answer depends on the running kernel (its boot), on the seccomp
// filters this process is already under, and on the gate binary; a "yes" is kept in the state
// directory under those three, so most session starts skip the probe (a gate process and a child:
// tens of milliseconds on a VM where page faults are dear). A "no" is never kept: it is asked again.
#include <string>

#include "support/subprocess.hpp"

namespace agentguard::cli {

// The key of this process's situation, or "" when it cannot be read (then nothing is cached).
std::string supervisor_probe_key();

// True if a "yes" was kept for `key`.
bool supervisor_known_available(const std::string& key);
void remember_supervisor_available(const std::string& key);

// Runs the gate's probe (`agentguard-gate --probe-supervisor`).
subprocess::Result probe_supervisor();

}  // namespace agentguard::cli
