// Policy: layering, the exec decision, the watch list, examples and listings.
#include "agentguard/policy.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "core/protocol.hpp"
#include "agentguard/api_rules.hpp"
#include "agentguard/plan_rules.hpp"
#include "agentguard/policy_sections.hpp"
#include "core/launch/fingerprint.hpp"
#include "core/launch/identity.hpp"
#include "core/launch/path_search.hpp"
#include "glob.hpp"
#include "loader.hpp"
#include "matcher.hpp"
#include "resolver.hpp"
#include "rule_index.hpp"
#include "shell_words.hpp"
#include "snapshot.hpp"
#include "wrappers.hpp"

namespace agentguard::policy {

extern const std::string_view kDefaultPolicyText;  // generated from policy/default-policy.toml
extern const std::string_view kDefaultPolicySha256;

std::string_view default_policy_text() { return kDefaultPolicyText; }
std::string_view default_policy_sha256() { return kDefaultPolicySha256; }

std::string_view to_string(Action action) {
  switch (action) {
    case Action::allow: return "allow";
    case Action::deny: return "deny";
    case Action::ask: return "ask";
    case Action::log: return "log";
  }
  return "deny";
}

std::optional<Action> action_from_string(std::string_view name) {
  for (Action a : {Action::allow, Action::deny, Action::ask, Action::log})
    if (to_string(a) == name) return a;
  return std::nullopt;
}

std::string Location::to_string() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

PolicyError::PolicyError(Location where, const std::string& what)
    : std::runtime_error(where.to_string() + ": " + what), where_(std::move(where)) {}

bool PlanSummary::deletes_or_forgets() const {
  for (const auto& change : changes)
    for (const auto& action : change.actions)
      if (action == "delete" || action == "forget") return true;
  return false;
}

namespace {

using detail::Layer;
using detail::ParsedCommand;


const std::vector<std::string>& default_programs() {
  static const std::vector<std::string> names = {"terraform", "tofu", "terragrunt", "pulumi", "cdk", "aws"};
  return names;
}
constexpr const char* kWrappers = "sudo,doas,su,pkexec,sg,newgrp,runuser,setpriv,chroot";


std::string default_message(const detail::Rule& rule) {
  switch (rule.action) {
    case Action::deny:
      return "agentguard policy rule " + rule.id +
             " refuses this command. Do not retry or work around it; ask a human to run it if it is really needed.";
    case Action::ask: return "agentguard policy rule " + rule.id + " needs a human's approval for this command.";
    case Action::log: return "agentguard policy rule " + rule.id + " records this command.";
    case Action::allow: return "";
  }
  return "";
}

std::string describe_parsed(const ParsedCommand& cmd) {
  std::string out = "words:";
  for (const auto& w : cmd.words) out += " " + w;
  if (cmd.words.empty()) out += " (none)";
  out += " | flags:";
  for (const auto& f : cmd.flags) out += " " + f.name + (f.value ? "=" + *f.value : "");
  if (cmd.flags.empty()) out += " (none)";
  out += " | cwd: " + cmd.cwd;
  return out;
}

// A PlanInspector for examples: `plan=deletes` (a destroy plan's delete), `plan=removes` (a normal
// plan's delete of a resource that left the config), `plan=replaces` or `plan=keeps` in the example line.
class ExamplePlanInspector : public PlanInspector {
 public:
  explicit ExamplePlanInspector(std::vector<std::string> actions, std::string reason = "")
      : actions_(std::move(actions)), reason_(std::move(reason)) {}
  std::optional<PlanSummary> inspect(const std::string&, const std::string&, const ExecRequest&) const override {
    PlanSummary summary;
    summary.changes.push_back({"example.resource", "example", actions_, reason_});
    return summary;
  }

 private:
  std::vector<std::string> actions_;
  std::string reason_;
};

}  // namespace

struct Policy::Impl {
  std::vector<Layer> layers;
  std::vector<const detail::Rule*> active;  // layer order, lowest first
  std::vector<std::pair<std::string, Location>> disabled;

  std::vector<ApiRuleSpec> api_rules;  // [[api]]: decided inside guarded processes (HTTPS guard)
  std::vector<PlanRule> plan_rules;    // [[plan]]: decided on an apply's plan
  bool api_rules_read = true;          // false: api_rules holds ids and locations only
  mutable std::mutex lazy_root;        // for sections() of layers restored from a snapshot

  // Derived from `active` once by build(), read by every decision.
  detail::RuleIndex index;                    // the candidates of a command among `active`
  std::vector<std::string> watched_programs;  // the p= names of the watch list: the defaults, then literal programs
  std::string own_watch_list;                 // the v1 watch list without f= fingerprints

  // One id namespace for exec, api and plan rules: `disable` switches off any kind, and an id may be
  // reused only after disabling it. (The layers' api and plan rules were read by parse_rule_sections
  // or from a snapshot.)
  void build() {
    std::map<std::string, Location> ids;
    const auto claim = [&](const std::string& id, const Location& where) {
      if (auto it = ids.find(id); it != ids.end())
        throw PolicyError(where, "duplicate rule id \"" + id + "\" (already defined at " + it->second.to_string() +
                                     "; `disable` it first to replace it)");
      ids.emplace(id, where);
    };
    for (const auto& layer : layers) {
      for (const auto& [id, where] : layer.disables) {
        const auto before = active.size() + api_rules.size() + plan_rules.size();
        std::erase_if(active, [&](const detail::Rule* r) { return r->id == id; });
        std::erase_if(api_rules, [&](const ApiRuleSpec& r) { return r.id == id; });
        std::erase_if(plan_rules, [&](const PlanRule& r) { return r.id == id; });
        if (before == active.size() + api_rules.size() + plan_rules.size())
          throw PolicyError(where, "`disable`: no rule \"" + id + "\" in a lower layer");
        disabled.emplace_back(id, where);
        ids.erase(id);
      }
      for (const auto& rule : layer.rules) {
        claim(rule.id, rule.where);
        active.push_back(&rule);
      }
      for (const auto& spec : layer.api_rules) {
        claim(spec.id, spec.source);
        api_rules.push_back(spec);
      }
      for (const auto& rule : layer.plan_rules) {
        claim(rule.id, rule.where);
        plan_rules.push_back(rule);
      }
    }
    index_rules();
  }

  void index_rules() {
    index = detail::RuleIndex(active);
    watched_programs = default_programs();
    for (const detail::Rule* rule : active)
      for (const auto& p : rule->match.programs)
        if (detail::glob_is_literal(p) && !detail::is_wrapper(p) &&
            std::find(watched_programs.begin(), watched_programs.end(), p) == watched_programs.end())
          watched_programs.push_back(p);
    own_watch_list = "v1;p=";
    for (std::size_t i = 0; i < watched_programs.size(); ++i) own_watch_list += (i ? "," : "") + watched_programs[i];
    own_watch_list += std::string(";w=") + kWrappers + ";m=awscli:aws";
  }

  // The decision on one command, without its program and effective argv (the caller moves those
  // from the command it chooses). With `trace` null, nothing is written for the trace (the gate's path).
  Decision decide_one(const ParsedCommand& cmd, const PlanInspector* plans, std::vector<std::string>* trace) const {
    Decision d;
    if (trace) {
      trace->push_back("command (" + cmd.program + "): " + detail::join_argv(cmd.argv));
      for (const auto& n : cmd.notes) trace->push_back("  " + n);
      trace->push_back("  " + describe_parsed(cmd));
    }
    const detail::Rule* best = nullptr;
    bool plan_failed = false;
    std::string why;
    index.for_each_candidate(cmd, [&](std::uint32_t position, bool program_known) {
      const detail::Rule* rule = active[position];
      why.clear();
      detail::RuleOutcome outcome;
      try {
        outcome = detail::evaluate_rule(*rule, cmd, plans, why, program_known);
      } catch (const detail::PlanCheckFailed& e) {
        d.action = Action::deny;
        d.rule_id = rule->id;
        d.source = rule->where;
        d.message = std::string("agentguard could not check the saved plan, so it refuses: ") + e.what() +
                    ". Ask a human to review the plan.";
        if (trace) trace->push_back("  rule " + rule->id + " (" + rule->where.to_string() + "): " + e.what() + " -> deny");
        plan_failed = true;
        return false;
      }
      if (outcome == detail::RuleOutcome::no_match) {
        if (trace && !why.empty()) trace->push_back("  rule " + rule->id + ": " + why);
        return true;
      }
      if (outcome == detail::RuleOutcome::excepted) {
        if (trace) trace->push_back("  rule " + rule->id + " (" + rule->where.to_string() + ") matches, but " + why);
        return true;
      }
      if (trace)
        trace->push_back("  rule " + rule->id + " (" + rule->where.to_string() + ") matches: " +
                         std::string(to_string(rule->action)) + (why.empty() ? "" : " (" + why + ")"));
      if (!best || precedence(rule->action) > precedence(best->action)) best = rule;
      return true;
    });
    if (plan_failed) return d;
    if (best) {
      d.action = best->action;
      d.rule_id = best->id;
      d.source = best->where;
      d.message = best->message.empty() ? default_message(*best) : best->message;
    } else if (trace) {
      trace->push_back("  no rule matches: allow");
    }
    return d;
  }
};

Policy::Policy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Policy::Policy(Policy&&) noexcept = default;
Policy& Policy::operator=(Policy&&) noexcept = default;
Policy::~Policy() = default;

namespace {

std::string read_policy_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw PolicyError(Location{file, 0, 0}, "cannot read policy file");
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw PolicyError(Location{file, 0, 0}, "cannot read policy file");
  return text.str();
}

const char* const kTightenOnly =
    "a project policy (.agentguard.toml) can only tighten the user's and system policy; ask the owner of "
    "those to change them instead";

// A project's policy travels with its repository, so whoever can commit to it must not be able to
// loosen the guard: no allow of any kind, no disable, no webhooks of its own.
void check_tightens_only(const Layer& layer) {
  for (const auto& [id, where] : layer.disables)
    throw PolicyError(where, std::string("`disable = [\"") + id + "\"]`: " + kTightenOnly);
  for (const auto& rule : layer.rules)
    if (rule.action == Action::allow) throw PolicyError(rule.where, "rule \"" + rule.id + "\" allows: " + kTightenOnly);
  if (layer.root.contains("notify"))
    throw PolicyError(detail::location_of(layer.root.at("notify")), std::string("[notify]: ") + kTightenOnly);
  if (layer.root.contains("launch") && layer.root.at("launch").is_table()) {
    const auto& launch = layer.root.at("launch");
    if (launch.contains("strict") && launch.at("strict").is_boolean() && !launch.at("strict").as_boolean())
      throw PolicyError(detail::location_of(launch.at("strict")), std::string("[launch] strict = false: ") + kTightenOnly);
    if (launch.contains("unknown_setuid") && launch.at("unknown_setuid").is_string() &&
        launch.at("unknown_setuid").as_string().str == "allow")
      throw PolicyError(detail::location_of(launch.at("unknown_setuid")),
                        std::string("[launch] unknown_setuid = \"allow\": ") + kTightenOnly);
  }
  for (const char* kind : {"api", "plan"}) {
    if (!layer.root.contains(kind) || !layer.root.at(kind).is_array()) continue;
    for (const auto& t : layer.root.at(kind).as_array())
      if (t.is_table() && t.contains("action") && t.at("action").is_string() && t.at("action").as_string().str == "allow")
        throw PolicyError(detail::location_of(t.at("action")),
                          std::string("[[") + kind + "]] rule allows: " + kTightenOnly);
  }
}

}  // namespace

std::vector<LayerText> Policy::read_layers(const LoadOptions& options) {
  std::vector<LayerText> layers;
  for (const auto& file : options.files) layers.push_back({file, read_policy_file(file), false});
  for (const auto& file : options.project_files) layers.push_back({file, read_policy_file(file), true});
  return layers;
}

Policy Policy::load(const LoadOptions& options) {
  return from_layers(read_layers(options), options.builtin_default, options.api_rules);
}

Policy Policy::from_layers(const std::vector<LayerText>& layers, bool with_builtin_default, bool api_rules) {
  auto impl = std::make_unique<Impl>();
  if (with_builtin_default) impl->layers.push_back(detail::parse_layer(default_policy_text(), detail::kBuiltinFileName));
  for (const auto& l : layers) {
    Layer layer = detail::parse_layer(l.text, l.file);
    layer.text = l.text;
    layer.project = l.project;
    if (layer.project) check_tightens_only(layer);
    impl->layers.push_back(std::move(layer));
  }
  for (auto& layer : impl->layers) detail::parse_rule_sections(layer, api_rules);
  impl->api_rules_read = api_rules;
  impl->build();
  return Policy(std::move(impl));
}

std::string Policy::to_snapshot() const { return detail::encode_snapshot(impl_->layers); }

Policy Policy::from_snapshot(std::string_view snapshot, const std::vector<LayerText>& layers) {
  auto impl = std::make_unique<Impl>();
  impl->layers = detail::decode_snapshot(snapshot, layers);
  impl->api_rules_read = false;
  try {
    impl->build();
  } catch (const PolicyError& e) {
    throw SnapshotError(std::string("the snapshot's rules do not build: ") + e.what());
  }
  return Policy(std::move(impl));
}

std::vector<LayerText> Policy::layer_texts() const {
  std::vector<LayerText> out;
  for (const auto& layer : impl_->layers)
    if (layer.file != detail::kBuiltinFileName) out.push_back({layer.file, layer.text, layer.project});
  return out;
}

std::string find_project_policy(const std::string& cwd) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (fs::path dir = fs::path(cwd).lexically_normal();; dir = dir.parent_path()) {
    const fs::path candidate = dir / ".agentguard.toml";
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
    if (fs::exists(dir / ".git", ec) || dir == dir.parent_path() || dir.empty()) return {};
  }
}

Policy Policy::from_text(std::string_view toml, const std::string& file_name, bool with_builtin_default) {
  auto impl = std::make_unique<Impl>();
  if (with_builtin_default) impl->layers.push_back(detail::parse_layer(default_policy_text(), detail::kBuiltinFileName));
  impl->layers.push_back(detail::parse_layer(toml, file_name));
  for (auto& layer : impl->layers) detail::parse_rule_sections(layer, true);
  impl->build();
  return Policy(std::move(impl));
}

Decision Policy::decide_exec(const ExecRequest& request, const PlanInspector* plans, Trace trace) const {
  // Any failure of our own is a refusal, never an allow.
  try {
    return decide_exec_unguarded(request, plans, trace);
  } catch (const std::exception& e) {
    Decision decision;
    decision.action = Action::deny;
    decision.rule_id = "agentguard.internal-error";
    decision.message = std::string("agentguard could not decide on this launch (") + e.what() +
                       "), so it refuses. Ask a human.";
    decision.effective_argv = request.argv;
    if (trace == Trace::on) decision.trace.push_back(std::string("refused: internal error: ") + e.what());
    return decision;
  }
}

namespace {

// The value of the first NAME= entry (getenv semantics), pointing into env: NUL-terminated.
const char* env_c_str(const std::vector<std::string>& env, std::string_view name) {
  for (const auto& entry : env)
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 && entry[name.size()] == '=')
      return entry.c_str() + name.size() + 1;
  return nullptr;
}

}  // namespace

Decision Policy::decide_exec_unguarded(const ExecRequest& request, const PlanInspector* plans, Trace trace) const {
  Decision decision;
  std::vector<std::string>* steps = trace == Trace::on ? &decision.trace : nullptr;
  detail::Resolver resolver;
  // The session's list (it carries the f= fingerprints of renamed copies); an absent or malformed
  // one must not shrink what is watched, so then the policy's own list is used.
  const char* session_list = env_c_str(request.env, protocol::kEnvWatch);
  std::string merged;
  if (session_list && std::string_view(session_list).starts_with("v1;") &&
      std::string_view(session_list).find(";p=") != std::string_view::npos) {
    // Plus the programs this policy's layers name: a project file the session did not cover (the
    // preload sends launches under it here) or a rule added since may name a program the session's
    // list lacks. Adding names only ever watches more.
    merged = std::string(session_list) + impl_->own_watch_list.substr(2);
    resolver.watch_list = merged.c_str();
    if (steps) steps->push_back("watch list: AGENTGUARD_WATCH, plus the programs the policy in force names");
  } else {
    resolver.watch_list = impl_->own_watch_list.c_str();
    if (steps)
      steps->push_back("watch list: the policy's own" +
                       std::string(session_list ? " (AGENTGUARD_WATCH is not a v1 list)" : ""));
  }
  resolver.trace = steps;
  std::vector<ParsedCommand> commands;
  try {
    commands = resolver.resolve(request);
  } catch (const detail::UnresolvableLaunch& e) {
    decision.action = Action::deny;
    decision.rule_id = "agentguard.unresolvable";
    decision.message = std::string("agentguard cannot tell what this launch would run (") + e.what() +
                       "), so it refuses. Run the command directly, without wrappers, or ask a human.";
    decision.effective_argv = request.argv;
    if (steps) steps->push_back(std::string("refused: ") + e.what());
    return decision;
  }
  if (commands.empty()) {
    decision.effective_argv = request.argv;
    if (steps) steps->push_back("decision: allow (nothing watched)");
    return decision;
  }
  std::vector<std::string> kept = std::move(decision.trace);
  std::size_t chosen = commands.size();
  for (std::size_t i = 0; i < commands.size(); ++i) {
    Decision one = impl_->decide_one(commands[i], plans, steps ? &kept : nullptr);
    if (chosen == commands.size() || severity(one.action) > severity(decision.action)) {
      decision = std::move(one);
      chosen = i;
    }
  }
  decision.program = std::move(commands[chosen].program);
  decision.effective_argv = std::move(commands[chosen].argv);
  decision.trace = std::move(kept);
  if (steps)
    decision.trace.push_back("decision: " + std::string(to_string(decision.action)) +
                             (decision.rule_id.empty() ? "" : " by rule " + decision.rule_id + " (" +
                                                                  decision.source.to_string() + ")"));
  return decision;
}

std::string Policy::watch_list(const std::string& search_path) const {
  std::string list = impl_->own_watch_list;
  for (const auto& name : impl_->watched_programs) {
    char found[core::kMaxPath];
    if (!core::find_in_path(name.c_str(), search_path.c_str(), found, sizeof found)) continue;
    std::uint64_t size = 0, hash = 0;
    if (!core::fingerprint_file(found, size, hash)) continue;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
    list += ";f=" + name + ":" + std::to_string(size) + ":" + hex;
  }
  return list;
}

const std::vector<ApiRuleSpec>& Policy::api_rules() const {
  if (!impl_->api_rules_read)
    throw std::logic_error("this policy was loaded without its [[api]] rules (LoadOptions::api_rules = false or a snapshot)");
  return impl_->api_rules;
}
const std::vector<PlanRule>& Policy::plan_rules() const { return impl_->plan_rules; }

std::vector<std::string> Policy::check_examples(const PlanInspector* plans) const {
  std::vector<std::string> failures = check_api_examples(api_rules());
  for (auto& f : check_plan_examples(impl_->plan_rules)) failures.push_back(std::move(f));
  for (const detail::Rule* rule : impl_->active) {
    auto run = [&](const detail::Example& example, bool should_match) {
      // Leading `cwd=DIR` and `plan=deletes|removes|replaces|keeps` set the scene; the rest is a shell command line.
      std::string cwd = "/";
      std::optional<ExamplePlanInspector> fixture;
      std::size_t pos = 0;
      const std::string& line = example.line;
      for (;;) {
        pos = line.find_first_not_of(" \t", pos);
        if (pos == std::string::npos) break;
        std::size_t end = line.find_first_of(" \t", pos);
        std::string word = line.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        if (word.rfind("cwd=", 0) == 0) cwd = word.substr(4);
        else if (word == "plan=deletes") fixture.emplace(std::vector<std::string>{"delete"});
        else if (word == "plan=removes") fixture.emplace(std::vector<std::string>{"delete"}, "delete_because_no_resource_config");
        else if (word == "plan=replaces") fixture.emplace(std::vector<std::string>{"delete", "create"});
        else if (word == "plan=keeps") fixture.emplace(std::vector<std::string>{"create"});
        else break;
        pos = end;
      }
      std::string rest = pos == std::string::npos ? "" : line.substr(pos);
      std::vector<std::string> trace;
      detail::Resolver resolver{impl_->own_watch_list.c_str(), false, &trace};
      bool matched = false;
      std::string why;
      try {
        for (const auto& cmd : resolver.resolve_shell(rest, {}, cwd, 0)) {
          std::string note;
          if (detail::evaluate_rule(*rule, cmd, fixture ? &*fixture : plans, note) == detail::RuleOutcome::match)
            matched = true;
          why += (why.empty() ? "" : "; ") + describe_parsed(cmd) + (note.empty() ? "" : " (" + note + ")");
        }
      } catch (const std::exception& e) {
        failures.push_back(example.where().to_string() + ": rule " + rule->id + ": example `" + example.line +
                           "`: " + e.what());
        return;
      }
      if (matched != should_match)
        failures.push_back(example.where().to_string() + ": rule " + rule->id + ": example `" + example.line + "` " +
                           (should_match ? "should match but does not" : "should not match but does") +
                           (why.empty() ? " (runs nothing watched)" : " [" + why + "]"));
    };
    for (const auto& e : rule->must_match) run(e, true);
    for (const auto& e : rule->must_not_match) run(e, false);
  }
  return failures;
}

std::vector<std::string> Policy::files() const {
  std::vector<std::string> out;
  for (const auto& layer : impl_->layers) out.push_back(layer.file);
  return out;
}

std::string Policy::describe() const {
  std::ostringstream out;
  for (const auto& layer : impl_->layers) out << "layer: " << layer.file << "\n";
  for (const auto& [id, where] : impl_->disabled) out << "  disabled: " << id << " (by " << where.to_string() << ")\n";
  for (const detail::Rule* rule : impl_->active) {
    out << "  " << to_string(rule->action) << std::string(6 - to_string(rule->action).size(), ' ') << rule->id << "  ("
        << rule->where.to_string() << ")";
    if (!rule->description.empty()) out << "  " << rule->description;
    out << "\n";
  }
  return out.str();
}

std::vector<Policy::ExecRuleSummary> Policy::exec_rules() const {
  std::vector<ExecRuleSummary> out;
  for (const detail::Rule* rule : impl_->active) out.push_back({rule->id, rule->action, rule->where, rule->description});
  return out;
}

std::vector<std::pair<std::string, Location>> Policy::disabled_rules() const { return impl_->disabled; }

std::vector<RawSection> Policy::sections(std::string_view key) const {
  std::vector<RawSection> out;
  std::lock_guard<std::mutex> lock(impl_->lazy_root);
  for (const auto& layer : impl_->layers) {
    if (layer.root_pending) {
      // Restored from a snapshot: parse this layer's TOML only if it has the section asked for.
      if (std::find(layer.section_keys.begin(), layer.section_keys.end(), key) == layer.section_keys.end()) continue;
      std::istringstream in{layer.file == detail::kBuiltinFileName ? std::string(default_policy_text()) : layer.text};
      layer.root = toml::parse(in, layer.file);
      layer.root_pending = false;
    }
    if (!layer.root.is_table()) continue;
    const auto& table = layer.root.as_table();
    auto it = table.find(std::string(key));
    if (it != table.end()) out.push_back({layer.file, it->second});
  }
  return out;
}

std::size_t Policy::rule_count() const {
  return impl_->active.size() + impl_->api_rules.size() + impl_->plan_rules.size();
}

std::size_t Policy::example_count() const {
  std::size_t n = 0;
  for (const detail::Rule* rule : impl_->active) n += rule->must_match.size() + rule->must_not_match.size();
  for (const auto& r : api_rules()) n += r.examples.size() + r.not_examples.size();
  for (const auto& r : impl_->plan_rules) n += r.examples_match.size() + r.examples_no_match.size();
  return n;
}

}  // namespace agentguard::policy
