// agentguard policy check | show | default: validate the layers, list the rules in force, print the
// built-in default. `policy explain` is cmd_explain.cpp.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "agentguard/api_rules.hpp"
#include "core/protocol.hpp"
#include "agentguard/plan_rules.hpp"
#include "agentguard/policy.hpp"
#include <nlohmann/json.hpp>

#include "cli_policy.hpp"
#include "commands.hpp"
#include "session.hpp"
#include "session_drift.hpp"
#include "policy_layers/layers.hpp"
#include "support/paths.hpp"

namespace agentguard::cli {

namespace pol = agentguard::policy;

pol::LoadOptions layer_options(const std::vector<std::string>& extra_files) {
  std::error_code ec;
  pol::LoadOptions options = layers::session_load_options(std::filesystem::current_path(ec).string());
  for (const auto& file : extra_files) {
    const auto absolute = std::filesystem::absolute(file, ec).lexically_normal().string();
    const bool project = std::filesystem::path(file).filename() == ".agentguard.toml";
    auto& list = project ? options.project_files : options.files;
    if (std::find(list.begin(), list.end(), absolute) == list.end()) list.push_back(project ? absolute : file);
  }
  return options;
}

pol::Policy load_policy_or_exit(const std::vector<std::string>& files) {
  try {
    return pol::Policy::load(layer_options(files));
  } catch (const pol::PolicyError& e) {
    std::cerr << e.what() << "\nagentguard: the policy does not load, so the guard refuses every watched launch\n";
    throw CLI::RuntimeError(1);
  }
}

namespace {

int run_check(const std::vector<std::string>& files, bool list) {
  try {
    pol::Policy policy = pol::Policy::load(layer_options(files));
    auto failures = policy.check_examples();
    for (const auto& line : failures) std::cerr << line << "\n";
    if (!failures.empty()) {
      std::cerr << failures.size() << " example(s) failed\n";
      return 1;
    }
    std::cout << "ok: " << policy.rule_count() << " rules, " << policy.example_count() << " examples\n";
    if (list) std::cout << policy.describe();
    else
      for (const auto& file : policy.files()) std::cout << "  layer: " << file << "\n";
    // Checked from inside a session: say what of this policy the running session cannot obey yet.
    if (files.empty())
      for (const auto& note : session_drift(policy)) std::cerr << "note: " << note << "\n";
    return 0;
  } catch (const pol::PolicyError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

// Why a file is a layer, for `policy show`.
std::string layer_role(const std::string& file, const std::vector<std::string>& named_here) {
  for (const auto& system : paths::system_policy_files())
    if (system.lexically_normal().string() == file) return "system";
  if (paths::user_policy_file().lexically_normal().string() == file) return "user";
  std::error_code ec;
  for (const auto& f : named_here)
    if (std::filesystem::absolute(f, ec).lexically_normal().string() == file || f == file) return "--policy";
  if (std::getenv(protocol::kEnvSession) && std::getenv(protocol::kEnvPolicy)) return "this session's AGENTGUARD_POLICY";
  return protocol::kEnvPolicy;
}

// `policy show`: the layer files, then every rule in force, of every kind, with the file:line:col it comes from.
int run_show(const std::vector<std::string>& files, bool as_json) {
  const pol::LoadOptions options = layer_options(files);
  const pol::Policy policy = load_policy_or_exit(files);
  if (as_json) {
    nlohmann::json layers = nlohmann::json::array({{{"file", "<built-in default>"}, {"role", "default"}}});
    for (const auto& f : options.files) layers.push_back({{"file", f}, {"role", layer_role(f, files)}});
    for (const auto& f : options.project_files) layers.push_back({{"file", f}, {"role", "project"}});
    nlohmann::json api = nlohmann::json::array(), plan = nlohmann::json::array();
    for (const auto& r : policy.api_rules())
      api.push_back({{"id", r.id}, {"action", pol::to_string(r.action)}, {"source", r.source.to_string()}});
    for (const auto& r : policy.plan_rules())
      plan.push_back({{"id", r.id}, {"action", pol::to_string(r.action)}, {"source", r.where.to_string()}});
    nlohmann::json exec = nlohmann::json::array(), disabled = nlohmann::json::array();
    for (const auto& r : policy.exec_rules())
      exec.push_back({{"id", r.id}, {"action", pol::to_string(r.action)}, {"source", r.source.to_string()},
                      {"description", r.description}});
    for (const auto& [id, where] : policy.disabled_rules()) disabled.push_back({{"id", id}, {"by", where.to_string()}});
    const nlohmann::json out = {{"layers", layers}, {"exec_rules", exec}, {"disabled", disabled}, {"api_rules", api},
                                {"plan_rules", plan}};
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << "layers in force here, lowest first:\n  built-in default\n";
  for (const auto& f : options.files) std::cout << "  " << f << "  (" << layer_role(f, files) << ")\n";
  for (const auto& f : options.project_files) std::cout << "  " << f << "  (project, tighten-only)\n";
  std::cout << policy.describe();
  std::cout << "api rules (HTTPS guard):\n";
  for (const auto& r : policy.api_rules())
    std::cout << "  " << r.id << "  " << pol::to_string(r.action) << "  " << r.source.to_string() << "\n";
  std::cout << "plan rules (apply review):\n";
  for (const auto& r : policy.plan_rules())
    std::cout << "  " << r.id << "  " << pol::to_string(r.action) << "  " << r.where.to_string() << "\n";
  return 0;
}

}  // namespace

void add_policy_commands(CLI::App& app) {
  auto* policy = app.add_subcommand("policy", "Check, explain and print the policy");
  policy->footer("Examples:\n  agentguard policy check\n  agentguard policy explain -- terraform apply -destroy\n"
                 "  agentguard policy show\nReference: docs/policy.md");
  policy->require_subcommand(1);
  policy->footer(
      "Layers, lowest first: the built-in default, /etc/agentguard/policy.toml (and <prefix>/etc/agentguard/policy.toml\n"
      "outside /usr), ~/.config/agentguard/policy.toml, the files in AGENTGUARD_POLICY, --policy files, then the\n"
      ".agentguard.toml found from the launch's directory upward (tighten-only). Reference: docs/policy.md");

  // Separate vectors: CLI11 assigns (does not append) an option's results to its variable.
  auto check_files = std::make_shared<std::vector<std::string>>();
  auto check_positional = std::make_shared<std::vector<std::string>>();
  auto* check = policy->add_subcommand("check", "Load every layer, validate it and run every rule's examples");
  check->add_option("--policy", *check_files, "A policy file to add as the top layer (repeatable)")->allow_extra_args(false);
  check->add_option("files", *check_positional, "More policy files to add as layers (after --policy files)");
  auto list = std::make_shared<bool>(false);
  check->add_flag("--list", *list, "Also list every rule in force with the file:line:col it comes from");
  check->footer(
      "Prints \"ok: N rules, M examples\", or each problem as file:line:col: message and exits 1.\n"
      "Examples:\n"
      "  agentguard policy check\n"
      "  agentguard policy check ./team-policy.toml\n"
      "  agentguard policy check --list\n"
      "  agentguard policy check --policy /etc/agentguard/ci.toml --policy ./extra.toml");
  check->callback([check_files, check_positional, list] {
    std::vector<std::string> files = *check_files;
    files.insert(files.end(), check_positional->begin(), check_positional->end());
    if (int status = run_check(files, *list); status != 0) throw CLI::RuntimeError(status);
  });

  add_explain_command(*policy);

  auto show_files = std::make_shared<std::vector<std::string>>();
  auto show_json = std::make_shared<bool>(false);
  auto* show = policy->add_subcommand("show", "Print every rule in force (exec, api, plan) with the file:line it comes from");
  show->add_option("--policy", *show_files, "A policy file to add as the top layer (repeatable)");
  show->add_flag("--json", *show_json, "Print the layers and rules as one JSON object");
  show->footer("Examples:\n  agentguard policy show\n  agentguard policy show --policy ./team.toml\n"
               "  agentguard policy show --json | jq '.exec_rules[] | select(.action == \"deny\") | .id'");
  show->callback([show_files, show_json] {
    if (int status = run_show(*show_files, *show_json); status != 0) throw CLI::RuntimeError(status);
  });

  auto* print_default = policy->add_subcommand("default", "Print the built-in default policy (TOML)");
  print_default->footer(
      "Examples:\n"
      "  agentguard policy default | less\n"
      "  agentguard policy default > ~/.config/agentguard/policy.toml   (then edit; use disable = [...] to loosen)");
  print_default->callback([] { std::cout << pol::default_policy_text(); });
}

}  // namespace agentguard::cli
