#pragma once
// The policy's data types: actions and how they rank, where a rule is written, the request the gate
// decides and the decision it reaches, and what a saved plan would change. The Policy class that
// loads rules and decides is in agentguard/policy.hpp.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace agentguard::policy {

enum class Action { allow, deny, ask, log };
std::string_view to_string(Action action);
// "deny", "allow", "ask" or "log"; nullopt for anything else.
std::optional<Action> action_from_string(std::string_view name);

// When several rules match one command, resource or request, the highest precedence wins:
// deny > allow > ask > log (0 is "no rule"). So an explicit deny always wins, and an allow only
// silences ask and log rules. The HTTPS guard's compiled rules carry these very numbers
// (core/http/api_blob.hpp, checked where they are compiled).
constexpr int precedence(Action a) {
  switch (a) {
    case Action::deny: return 4;
    case Action::allow: return 3;
    case Action::ask: return 2;
    case Action::log: return 1;
  }
  return 4;
}

// Across the commands of one launch, or the resources of one apply, the worst outcome wins:
// deny > ask > log > allow.
constexpr int severity(Action a) {
  switch (a) {
    case Action::deny: return 3;
    case Action::ask: return 2;
    case Action::log: return 1;
    case Action::allow: return 0;
  }
  return 3;
}

// Where something came from in a policy file; file is "<built-in default>" for the embedded policy.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
  std::string to_string() const;  // "file:line:col"
};

// A broken policy: unknown key, wrong type, bad pattern, failing example. Never turns into "allow".
class PolicyError : public std::runtime_error {
 public:
  PolicyError(Location where, const std::string& what);
  const Location& where() const { return where_; }

 private:
  Location where_;
};

// One launch as the gate sees it.
struct ExecRequest {
  std::string resolved_path;       // the file the kernel will run (symlinks resolved)
  std::vector<std::string> argv;   // exactly as launched; argv[0] is not trusted for identity
  std::vector<std::string> env;    // "NAME=value", as launched
  std::string cwd;
};

// What `terraform show -json PLANFILE` says a saved plan would do.
struct ResourceChange {
  std::string address;  // e.g. module.data.aws_db_instance.main
  std::string type;     // e.g. aws_db_instance
  std::vector<std::string> actions;  // "create", "update", "delete", "forget", "no-op", "read"
  // terraform's action_reason: a delete in a normal plan says why (delete_because_no_resource_config,
  // _count_index, ...); a destroy plan's deletes carry none. Empty when absent.
  std::string reason;
};
struct PlanSummary {
  std::vector<ResourceChange> changes;
  bool deletes_or_forgets() const;
};

// Reads a saved plan. The gate's implementation runs `<program> show -json PLAN` in the request's cwd.
class PlanInspector {
 public:
  virtual ~PlanInspector() = default;
  // nullopt when the file is not a readable plan; throws std::runtime_error on a failure that must refuse.
  virtual std::optional<PlanSummary> inspect(const std::string& program_path, const std::string& plan_file,
                                             const ExecRequest& request) const = 0;
};

struct Decision {
  Action action = Action::allow;
  std::string rule_id;                      // empty when no rule matched
  std::string message;                      // what the agent is told (one short paragraph)
  Location source;                          // where the deciding rule is written
  std::string program;                      // canonical identity ("terraform"), empty if not watched
  std::vector<std::string> effective_argv;  // after unwrapping loader/interpreter/sudo and merging TF_CLI_ARGS*
  std::vector<std::string> trace;           // how the decision was reached, one line per step (Trace::on only)
};

// Whether decide_exec records how it decided in Decision::trace: the gate needs only the decision,
// `agentguard policy explain` shows every step.
enum class Trace { off, on };

}  // namespace agentguard::policy
