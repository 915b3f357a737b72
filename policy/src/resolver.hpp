#pragma once
// From a launch to the commands to decide: identity (core identify), setuid wrappers, `sh -c`
// strings, then the tool's dialect. A launch may yield several commands (`sudo sh -c "a; b"`) or none
// (not watched).
#include <stdexcept>
#include <string>
#include <vector>

#include "agentguard/policy.hpp"
#include "parsed_command.hpp"

namespace agentguard::policy::detail {

// Something the guard cannot see through; the launch is refused.
struct UnresolvableLaunch : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Resolver {
  const char* watch_list = "";  // AGENTGUARD_WATCH value in force (not owned: the request's env or the policy's list)
  bool use_filesystem = true;  // false for policy examples: programs are identified by their name only
  std::vector<std::string>* trace = nullptr;

  // The launch itself: identify() on resolved_path and argv.
  std::vector<ParsedCommand> resolve(const ExecRequest& request) const;
  // A shell command line (examples, sh -c strings): every simple command in it.
  std::vector<ParsedCommand> resolve_shell(const std::string& text, const std::vector<std::string>& env,
                                           const std::string& cwd, int depth) const;

 private:
  void resolve_words(std::vector<std::string> words, std::vector<std::string> env, const std::string& cwd, int depth,
                     std::vector<ParsedCommand>& out) const;
  // env_outlives: env is the request's own, which outlives the commands (they may borrow it).
  void resolve_identified(const std::string& program, const std::string& resolved_path,
                          std::vector<std::string> argv, const std::vector<std::string>& env, const std::string& cwd,
                          int depth, std::vector<ParsedCommand>& out, bool env_outlives = false) const;
  void scan_for_watched(const std::vector<std::string>& words, const std::vector<std::string>& env,
                        const std::string& cwd, int depth, std::vector<ParsedCommand>& out) const;
  void note(const std::string& line) const;  // callers check `trace` first: the gate builds no trace lines
  bool watched_name(const std::string& name) const;
  // chroot NEWROOT (relative to cwd) is this process's own root ("/" itself, or the same directory).
  bool same_root(const std::string& new_root, const std::string& cwd) const;
};

}  // namespace agentguard::policy::detail
