#include "matcher.hpp"

#include "glob.hpp"

namespace agentguard::policy::detail {
namespace {

bool any_glob(const std::vector<std::string>& globs, const std::string& text) {
  for (const auto& g : globs)
    if (glob_match(g, text)) return true;
  return false;
}

// Index just past the words the first matching command alternative covers; 0 when none matches.
std::size_t command_match(const Match& m, const ParsedCommand& cmd) {
  for (const auto& alternative : m.commands) {
    if (alternative.size() > cmd.words.size()) continue;
    std::size_t last_start = cmd.command_anywhere ? cmd.words.size() - alternative.size() : 0;
    for (std::size_t start = 0; start <= last_start; ++start) {
      bool ok = true;
      for (std::size_t i = 0; i < alternative.size() && ok; ++i) ok = glob_match(alternative[i], cmd.words[start + i]);
      if (ok) return start + alternative.size();
    }
  }
  return 0;
}

// A flag written without a value, or with any value other than a Go-style false, is "on".
bool flag_matches(std::string_view spec, const ParsedCommand& cmd) {
  auto eq = spec.find('=');
  std::string_view name = spec.substr(0, eq);
  for (const auto& flag : cmd.flags) {
    if (!glob_match(name, flag.name)) continue;
    if (eq == std::string::npos) {
      if (!flag.value) return true;
      auto b = parse_go_bool(*flag.value);
      if (!b || *b) return true;
    } else if (flag.value && glob_match(spec.substr(eq + 1), *flag.value)) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool conditions_hold(const Match& m, const ParsedCommand& cmd, const PlanInspector* plans, std::string& why,
                     bool program_known) {
  if (!program_known && !m.programs.empty() && !any_glob(m.programs, cmd.program)) return false;
  std::size_t command_words = 0;
  if (!m.commands.empty()) {
    command_words = command_match(m, cmd);
    if (command_words == 0) return false;
  }
  if (!m.flags.empty()) {
    bool any = false;
    for (const auto& spec : m.flags) any = any || flag_matches(spec, cmd);
    if (!any) return false;
  }
  for (const auto& [name, glob] : m.env) {
    auto value = env_value(cmd.environment(), name);
    if (!value || !glob_match(glob, *value)) return false;
  }
  if (m.cwd && !glob_match(*m.cwd, cmd.cwd)) return false;
  if (m.plan) {
    // The saved plan is the first positional word after the command (`apply PLANFILE`).
    std::size_t index = m.commands.empty() ? 1 : command_words;
    if (index >= cmd.words.size()) return false;
    const std::string& plan_file = cmd.words[index];
    if (!plans) {
      why = "no plan inspector here: assumed that " + plan_file + " deletes";
      return true;
    }
    ExecRequest request{cmd.resolved_path, cmd.argv, cmd.environment(), cmd.cwd};
    std::optional<PlanSummary> summary;
    try {
      summary = plans->inspect(cmd.resolved_path.empty() ? cmd.program : cmd.resolved_path, plan_file, request);
    } catch (const std::exception& e) {
      throw PlanCheckFailed("cannot read the saved plan " + plan_file + ": " + e.what());
    }
    if (!summary) {
      why = plan_file + " is not a saved plan";
      return false;
    }
    std::size_t deleting = 0;
    std::string first;
    for (const auto& change : summary->changes)
      for (const auto& action : change.actions)
        if (action == "delete" || action == "forget") {
          if (deleting++ == 0) first = change.address;
          break;
        }
    if (deleting == 0) {
      why = "saved plan " + plan_file + " deletes nothing (" + std::to_string(summary->changes.size()) + " changes)";
      return false;
    }
    if (*m.plan == "destroys") {
      // A destroy plan (`plan -destroy -out=F`) only takes things away. Any other plan that deletes -
      // a resource left the config, a count went down, a replacement - goes to the plan review, which
      // decides each deleted resource exactly as it does for the same change as a plain apply. The
      // show -json output names no plan mode; a normal plan gives each orphan's delete a reason
      // (delete_because_*), a destroy plan gives none. A plan that only deletes deposed objects also
      // gives none and is taken for a destroy plan: the stricter reading.
      for (const auto& change : summary->changes) {
        for (const auto& action : change.actions)
          if (action == "create" || action == "update") {
            why = "saved plan " + plan_file + " also creates or updates (" + change.address + "): not a destroy plan";
            return false;
          }
        if (change.reason.rfind("delete_because_", 0) == 0) {
          why = "saved plan " + plan_file + " deletes " + change.address + " (" + change.reason +
                "): a normal plan, not a destroy plan";
          return false;
        }
      }
    }
    why = "saved plan " + plan_file + " deletes or forgets " + std::to_string(deleting) + " resource(s), e.g. " + first;
  }
  return true;
}

RuleOutcome evaluate_rule(const Rule& rule, const ParsedCommand& cmd, const PlanInspector* plans, std::string& why,
                          bool program_known) {
  if (!conditions_hold(rule.match, cmd, plans, why, program_known)) return RuleOutcome::no_match;
  for (const auto& exception : rule.unless) {
    std::string ignored;
    if (conditions_hold(exception, cmd, plans, ignored)) {
      why = "its `unless` at " + exception.where.to_string() + " applies";
      return RuleOutcome::excepted;
    }
  }
  return RuleOutcome::match;
}

}  // namespace agentguard::policy::detail
