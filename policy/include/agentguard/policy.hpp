#pragma once
// The policy: what is denied, allowed, asked or logged. Loaded from TOML layers, evaluated by the
// gate for every watched launch and by `agentguard policy explain` with the very same code.
//
// Layers, lowest first: the built-in default, the system file, the user file, then each file in
// AGENTGUARD_POLICY / --policy. Precedence of actions across all matching rules of all layers:
// deny > allow > ask > log; no matching rule means allow. So an explicit deny always wins, and an
// allow only silences ask/log rules. A layer may switch off an earlier layer's rule by id
// (`disable = ["id"]`); that is how a human loosens the default on purpose.
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "agentguard/model.hpp"

namespace agentguard::policy {

struct Rule;         // defined in the implementation
struct ApiRuleSpec;  // agentguard/api_rules.hpp
struct PlanRule;     // agentguard/plan_rules.hpp

// A top-level section of one layer that another part of agentguard reads ([notify], [[api]]).
// Defined in agentguard/policy_sections.hpp (it carries a toml::value).
struct RawSection;

// One layer as text: what was read from `file` (used to keep and restore the last good policy).
struct LayerText {
  std::string file;
  std::string text;
  bool project = false;
};

struct LoadOptions {
  bool builtin_default = true;
  std::vector<std::string> files;  // layers above the default, lowest first; missing system/user files are skipped by the caller
  // A project's .agentguard.toml, above all other layers. It may only tighten: an `allow` rule of any
  // kind, a `disable` or a [notify] table in it is a PolicyError ("a loosening rule is an error").
  std::vector<std::string> project_files;
  // Parse the [[api]] rules. Without them (the gate: it decides launches, and `agentguard run`
  // compiles the API rules for the session) only their ids and locations are read, so `disable`
  // and duplicate ids behave the same, and api_rules() must not be called (std::logic_error).
  bool api_rules = true;
};

// The format of Policy::to_snapshot(). Bump it when the encoding (policy/src/snapshot.cpp) or the
// meaning of anything it carries changes (how the loader reads a rule, what a field means): it is
// part of every snapshot and of the cache key, so older snapshots are then simply not found.
inline constexpr int kPolicySnapshotFormat = 2;

// A snapshot that cannot be used (malformed, truncated, another format, other layers). Callers
// parse the TOML instead; it never means "no rules".
class SnapshotError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The project policy for a working directory: the nearest .agentguard.toml in `cwd` or a parent,
// stopping at the top of a git work tree or at /. Empty if there is none.
std::string find_project_policy(const std::string& cwd);

class Policy {
 public:
  static Policy load(const LoadOptions& options);        // throws PolicyError
  static Policy from_text(std::string_view toml, const std::string& file_name, bool with_builtin_default = false);
  // The same layers from text (the built-in default is added in front when asked).
  static Policy from_layers(const std::vector<LayerText>& layers, bool with_builtin_default = true,
                            bool api_rules = true);
  // What load() reads: options.files, then options.project_files (project = true). Throws
  // PolicyError for a file that cannot be read.
  static std::vector<LayerText> read_layers(const LoadOptions& options);

  // The resolved policy in a compact binary form (CBOR; policy/src/snapshot.cpp): every layer's
  // exec and plan rules, disables, API rule ids, which raw sections it has, and every location,
  // so from_snapshot() needs no TOML parsing. Not in it: the [[api]] rules' bodies and the examples
  // (both only for `agentguard policy check` and the session, which parse the TOML). The caller
  // keys it on everything it was made from (see tools/policy_layers/policy_cache.hpp).
  std::string to_snapshot() const;
  // The policy again, from to_snapshot()'s bytes and the layer texts it was made from (the same
  // files in the same order; the built-in default is not among them). Decisions, rule ids,
  // messages and locations are those of the parsed policy; api_rules(), check_examples() and
  // example_count() throw std::logic_error; sections() parses a layer's text on first use.
  // Throws SnapshotError for anything malformed or for other layers.
  static Policy from_snapshot(std::string_view snapshot, const std::vector<LayerText>& layers);

  Policy(Policy&&) noexcept;
  Policy& operator=(Policy&&) noexcept;
  ~Policy();

  // Never throws: a failure of its own (or of the plan inspector) is a deny with a message saying so.
  Decision decide_exec(const ExecRequest& request, const PlanInspector* plans = nullptr, Trace trace = Trace::off) const;

  // The AGENTGUARD_WATCH string (format v1, see docs/architecture.md) for the programs these rules
  // watch, with content fingerprints of the matching files found on `search_path` (a PATH value).
  std::string watch_list(const std::string& search_path) const;

  // Runs every rule's examples; returns one line per failure ("file:line:col: rule X: ...").
  std::vector<std::string> check_examples(const PlanInspector* plans = nullptr) const;

  // The files that make up this policy, lowest layer first ("<built-in default>" included).
  std::vector<std::string> files() const;
  // The layers above the built-in default as they were read, lowest first.
  std::vector<LayerText> layer_texts() const;
  // A human-readable listing of every rule in force with the file:line it came from.
  std::string describe() const;
  // The same, for machines (`policy show --json`): the exec rules in force, layer order, and the
  // rules switched off with the `disable` that did it.
  struct ExecRuleSummary {
    std::string id;
    Action action;
    Location source;
    std::string description;
  };
  std::vector<ExecRuleSummary> exec_rules() const;
  std::vector<std::pair<std::string, Location>> disabled_rules() const;

  // Every layer's raw value of top-level `key` ("notify", "api"), lowest layer first; layers
  // without that key are left out. Include agentguard/policy_sections.hpp to call this.
  std::vector<RawSection> sections(std::string_view key) const;

  // The [[api]] and [[plan]] rules in force (disabled ones removed), lowest layer first. Include
  // agentguard/api_rules.hpp or agentguard/plan_rules.hpp to use them.
  const std::vector<ApiRuleSpec>& api_rules() const;
  const std::vector<PlanRule>& plan_rules() const;

  // Number of rules in force and of examples they carry (for `agentguard policy check`).
  std::size_t rule_count() const;
  std::size_t example_count() const;

 private:
  struct Impl;
  explicit Policy(std::unique_ptr<Impl> impl);
  Decision decide_exec_unguarded(const ExecRequest& request, const PlanInspector* plans, Trace trace) const;
  std::unique_ptr<Impl> impl_;
};

// The embedded default policy, as TOML text, and its SHA-256 (lowercase hex, computed at build time).
std::string_view default_policy_text();
std::string_view default_policy_sha256();

}  // namespace agentguard::policy
