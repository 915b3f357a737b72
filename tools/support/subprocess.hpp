#pragma once
// Running a helper program (terraform show/plan, the supervisor probe) and collecting its output:
// bounded in time and output, no shell. The one runner agentguard has.
#include <chrono>
#include <string>
#include <vector>

namespace agentguard::subprocess {

struct Result {
  int status = -1;        // exit status, 128+signal, or -1 if it could not start
  bool timed_out = false;
  bool truncated = false;  // an output stream passed max_output: the child was killed
  std::string out;        // stdout (bounded)
  std::string err;        // stderr (bounded)
};

struct Options {
  std::string cwd;                       // empty: inherit
  std::vector<std::string> env;          // NAME=value; empty vector: inherit
  bool inherit_env = true;
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  std::size_t max_output = 64 << 20;     // per stream
  // Its own process group, killed as a whole at the timeout (terraform's provider plugins too).
  bool new_process_group = false;
};

// Runs argv[0] (an absolute path, or searched on PATH) and collects its output. Never throws on
// the child's failure: look at status/timed_out. A child still running at the timeout is killed.
Result run(const std::vector<std::string>& argv, const Options& options);

}  // namespace agentguard::subprocess
