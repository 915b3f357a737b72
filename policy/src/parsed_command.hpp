#pragma once
// One command as a tool's own argument parser would see it: positional words, flags and the
// working directory it will act on. Produced by the dialects, consumed by the rule matcher.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agentguard::policy::detail {

struct Flag {
  std::string name;                  // without leading dashes: "destroy", "chdir", "no-deletion-protection"
  std::optional<std::string> value;  // "-x=v" or "-x v" for options known to take a value
};

struct ParsedCommand {
  std::string program;             // canonical identity ("terraform")
  std::string resolved_path;       // the file that runs (empty when identified by name only)
  std::vector<std::string> argv;   // effective argv, argv[0] as invoked
  std::vector<std::string> words;  // positional words in order: subcommand path, then arguments
  std::vector<Flag> flags;
  std::string cwd;                 // the directory the tool acts on (after -chdir / --cwd)
  std::vector<std::string> env;    // NAME=value, as the tool sees it: read it with environment()
  // The launch's own environment, when the command runs with it unchanged: borrowed instead of
  // copied into `env` (the request outlives its commands).
  const std::vector<std::string>* borrowed_env = nullptr;
  std::vector<std::string> notes;  // what the dialect did, for the trace
  bool keep_notes = true;          // false when there is no trace to read them (the gate)
  // No dialect knows which options take values (kubectl -n prod delete): a rule's command may then
  // match at any position of the words, not only at the start.
  bool command_anywhere = false;

  const std::vector<std::string>& environment() const { return borrowed_env ? *borrowed_env : env; }
  // Adds make() to the notes, calling it only when they are kept.
  template <typename Make>
  void note(Make&& make) {
    if (keep_notes) notes.push_back(make());
  }
};

// How parse_command treats what it is given.
struct ParseOptions {
  bool borrow_env = false;  // point at env instead of copying it (env must outlive the command)
  bool notes = true;        // record what the dialect did in cmd.notes
};

// First value of NAME in env (getenv semantics: the first entry wins), nullopt if unset.
std::optional<std::string> env_value(const std::vector<std::string>& env, std::string_view name);

// Joins a directory onto a base, lexically normalised ("a/../b" -> "b").
std::string join_dir(const std::string& base, const std::string& dir);

// Parses argv (argv[0] included) for `program` with that tool's dialect.
ParsedCommand parse_command(const std::string& program, std::vector<std::string> argv,
                            const std::vector<std::string>& env, const std::string& cwd, ParseOptions options = {});

// Go's strconv.ParseBool: nullopt when text is not a boolean.
std::optional<bool> parse_go_bool(std::string_view text);

std::string join_argv(const std::vector<std::string>& argv);  // for traces: shell-quoted when needed

}  // namespace agentguard::policy::detail
