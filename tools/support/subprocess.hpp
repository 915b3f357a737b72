#pragma once
// Running a helper program (terraform show/plan) from the gate: bounded in time and output, no shell.
#include <chrono>
#include <string>
#include <vector>

namespace agentguard::subprocess {

struct Result {
  int status = -1;        // exit status, 128+signal, or -1 if it could not start
  bool timed_out = false;
  std::string out;        // stdout (bounded)
  std::string err;        // stderr (bounded)
};

struct Options {
  std::string cwd;                       // empty: inherit
  std::vector<std::string> env;          // NAME=value; empty vector: inherit
  bool inherit_env = true;
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  std::size_t max_output = 64 << 20;     // per stream
};

// Runs argv[0] (an absolute path, or searched on PATH) and collects its output. Never throws on
// the child's failure: look at status/timed_out. A child still running at the timeout is killed.
Result run(const std::vector<std::string>& argv, const Options& options);

}  // namespace agentguard::subprocess
