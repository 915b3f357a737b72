// agentguard policy check | explain | default: validate the layers, show how a command would be
// decided (with the very code the gate runs), print the built-in default.
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
#include "gate/plan_inspector.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "session.hpp"
#include "session_drift.hpp"
#include "policy_layers/layers.hpp"
#include "support/paths.hpp"
#include "core/launch/identity.hpp"
#include "core/launch/path_search.hpp"

extern char** environ;

namespace agentguard::cli {
namespace {

namespace pol = agentguard::policy;

// The layers a guarded launch here would use (default, system, user, AGENTGUARD_POLICY, this
// directory's project policy), plus `extra_files`. A file named .agentguard.toml is checked as what
// it is: a tighten-only project layer.
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

pol::Policy load_or_exit(const std::vector<std::string>& files) {
  try {
    return pol::Policy::load(layer_options(files));
  } catch (const pol::PolicyError& e) {
    std::cerr << e.what() << "\nagentguard: the policy does not load, so the guard refuses every watched launch\n";
    throw CLI::RuntimeError(1);
  }
}

// `explain --http FILE`: a saved raw HTTP request, classified and decided by the HTTPS guard's own code.
int run_explain_http(const std::vector<std::string>& files, const std::string& request_file) {
  const pol::Policy policy = load_or_exit(files);
  std::ifstream in(request_file, std::ios::binary);
  if (!in) {
    std::cerr << "agentguard: cannot read " << request_file << "\n";
    return 2;
  }
  const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string report = pol::explain_http_request(raw, pol::compile_api_rules(policy.api_rules()));
  std::cout << report;
  const auto at = report.find("decision:");
  const std::string verdict = at == std::string::npos ? "" : report.substr(report.find_first_not_of(' ', at + 9), 4);
  return verdict == "deny" || verdict.rfind("ask", 0) == 0 ? 1 : 0;
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
int run_show(const std::vector<std::string>& files) {
  const pol::LoadOptions options = layer_options(files);
  const pol::Policy policy = load_or_exit(files);
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

int run_explain(const std::vector<std::string>& files, const std::vector<std::string>& command) {
  pol::Policy policy = [&] {
    try {
      return pol::Policy::load(layer_options(files));
    } catch (const pol::PolicyError& e) {
      std::cerr << e.what() << "\nagentguard: the policy does not load, so the guard refuses every watched launch\n";
      throw CLI::RuntimeError(1);
    }
  }();
  pol::ExecRequest request;
  request.argv = command;
  request.env = current_environment();
  std::error_code ec;
  request.cwd = std::filesystem::current_path(ec).string();
  const char* path_env = std::getenv("PATH");
  char found[core::kMaxPath];
  if (core::find_in_path(command[0].c_str(), path_env, found, sizeof found)) {
    request.resolved_path = found;
  } else {
    request.resolved_path = command[0];
    std::cout << "note: " << command[0] << " is not found on PATH; it is judged by its name\n";
  }
  gate::ShowJsonPlanInspector plans;
  pol::Decision decision = policy.decide_exec(request, &plans, pol::Trace::on);

  std::cout << "launch:    " << request.resolved_path << "\n";
  std::cout << "program:   " << (decision.program.empty() ? "(not watched)" : decision.program) << "\n";
  // Shell-quoted, so that the words can be told apart (and read back: tests compare them with terraform's).
  std::cout << "effective:";
  for (const auto& arg : decision.effective_argv) {
    const bool plain = !arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                              "0123456789-_=./:,@%+") == std::string::npos;
    std::cout << " ";
    if (plain) {
      std::cout << arg;
      continue;
    }
    std::cout << '\'';
    for (char c : arg) std::cout << (c == '\'' ? std::string("'\\''") : std::string(1, c));
    std::cout << '\'';
  }
  std::cout << "\ntrace:\n";
  for (const auto& line : decision.trace) std::cout << "  " << line << "\n";
  std::cout << "decision:  " << pol::to_string(decision.action);
  if (!decision.rule_id.empty()) std::cout << " (rule " << decision.rule_id << ", " << decision.source.to_string() << ")";
  std::cout << "\n";
  if (!decision.message.empty()) std::cout << "message:   " << decision.message << "\n";
  return (decision.action == pol::Action::deny || decision.action == pol::Action::ask) ? 1 : 0;
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

  auto explain_files = std::make_shared<std::vector<std::string>>();
  auto* explain = policy->add_subcommand("explain", "Show how a command would be decided, without running it");
  explain->add_option("--policy", *explain_files, "A policy file to add as the top layer (repeatable)")->allow_extra_args(false);
  // Everything from the first word that is not an option of explain itself is the command line,
  // with or without a "--" in front, so its own options (-auto-approve) are not taken for ours.
  auto command = takes_command_line(explain);
  auto http_file = std::make_shared<std::string>();
  explain->add_option("--http", *http_file, "Explain a saved raw HTTP request (the HTTPS guard's decision) instead of a command");
  explain->footer(
      "Usage: agentguard policy explain [--policy FILE]... [--] CMD ARGS...\n"
      "The command is looked up on PATH and decided with the current environment and directory, by the\n"
      "same code the gate runs. Exit status: 0 when allowed (or only logged), 1 when denied or asked.\n"
      "Examples:\n"
      "  agentguard policy explain -- terraform destroy -auto-approve\n"
      "  TF_CLI_ARGS_apply=-destroy agentguard policy explain -- terraform apply\n"
      "  agentguard policy explain -- terraform apply tfplan      (reads the saved plan with terraform show -json)\n"
      "  agentguard policy explain --policy ./mine.toml -- aws s3 rb s3://bucket\n"
      "  agentguard policy explain --http saved-request.txt   (a raw HTTP/1.1 request, e.g. from a proxy log)");
  explain->callback([explain_files, command, http_file] {
    if (!http_file->empty()) {
      if (int status = run_explain_http(*explain_files, *http_file); status != 0) throw CLI::RuntimeError(status);
      return;
    }
    if (command->words.empty())
      throw CLI::ValidationError("explain", "give the command line to explain: explain -- CMD ARGS...");
    if (int status = run_explain(*explain_files, command->words); status != 0) throw CLI::RuntimeError(status);
  });

  auto show_files = std::make_shared<std::vector<std::string>>();
  auto* show = policy->add_subcommand("show", "Print every rule in force (exec, api, plan) with the file:line it comes from");
  show->add_option("--policy", *show_files, "A policy file to add as the top layer (repeatable)");
  show->footer("Examples:\n  agentguard policy show\n  agentguard policy show --policy ./team.toml");
  show->callback([show_files] {
    if (int status = run_show(*show_files); status != 0) throw CLI::RuntimeError(status);
  });

  auto* print_default = policy->add_subcommand("default", "Print the built-in default policy (TOML)");
  print_default->footer(
      "Examples:\n"
      "  agentguard policy default | less\n"
      "  agentguard policy default > ~/.config/agentguard/policy.toml   (then edit; use disable = [...] to loosen)");
  print_default->callback([] { std::cout << pol::default_policy_text(); });
}

}  // namespace agentguard::cli
