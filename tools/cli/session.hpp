#pragma once
// A guarded session: the validated policy layers and the environment that puts the guard into
// every process of the agent's tree. Used by `run`, `demo` and (later) `env` and `shell`.
#include <map>
#include <string>
#include <vector>

namespace agentguard::cli {

struct SessionOptions {
  std::vector<std::string> policy_files;  // --policy files, above the system, user and AGENTGUARD_POLICY layers
  bool builtin_only = false;              // only the built-in default policy (the demo)
  std::string state_dir;                  // empty: the default state directory
  bool strict = false;                    // --strict: the whole session under the seccomp supervisor
};

struct Session {
  std::string id;
  std::vector<std::string> layer_files;       // above the built-in default, lowest first
  std::map<std::string, std::string> vars;    // the guard's variables (LD_PRELOAD included)
  bool strict = false;                        // --strict or the policy's [launch] strict = true
  // Variables that hold webhook secrets ([notify] secret_env): read once by `run`, never passed on.
  std::vector<std::string> secret_vars;
};

// Loads and validates the policy (throws agentguard::policy::PolicyError or std::runtime_error with a
// message that says what to do), checks the library and the gate exist, prepares the state directory.
Session prepare_session(const SessionOptions& options);

// `base` (NAME=value entries) with the session's variables set; LD_PRELOAD keeps other preloads after ours.
std::vector<std::string> guarded_environment(const Session& session, const std::vector<std::string>& base);

// The current process environment as NAME=value entries.
std::vector<std::string> current_environment();

}  // namespace agentguard::cli
