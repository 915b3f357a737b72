#pragma once
// Starting a helper that outlives its parent (the notifier): fully detached, so it never holds
// anything of the agent's. The one way agentguard starts such a process.
#include <optional>
#include <string>
#include <vector>

namespace agentguard::support {

struct DetachedSpawn {
  std::vector<std::string> argv;                 // argv[0] is an absolute path
  std::optional<std::vector<std::string>> env;   // NAME=value; nullopt: this process's environment
  std::string input;                             // fed to its stdin, then EOF ("" : /dev/null)
};

// Double fork: the grandchild is adopted by init, so no zombie is left for our caller. It runs in
// its own session, from "/", with no signal blocked, stdout/stderr on /dev/null and no other
// descriptor of ours (an agent's tool waits for its pipes to close). Returns false when it could
// not be started; never throws after the fork.
bool spawn_detached(const DetachedSpawn& spawn);

}  // namespace agentguard::support
