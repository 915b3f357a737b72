// agentguard policy explain: how the guard would decide a command, or each command of a shell line,
// without running it. The decision is the gate's: the same policy layers, decide_exec, and for a
// terraform/tofu apply the same plan review (gate/apply_review.hpp), which runs `terraform plan`.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "agentguard/api_rules.hpp"
#include "agentguard/plan_rules.hpp"
#include "agentguard/policy.hpp"
#include "agentguard/shell_line.hpp"
#include "agentguard/shell_quote.hpp"
#include "cli_output.hpp"
#include "cli_policy.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "core/launch/identity.hpp"
#include "core/launch/path_search.hpp"
#include "gate/apply_review.hpp"
#include "gate/plan_inspector.hpp"
#include "support/decided_exec.hpp"
#include "session.hpp"

namespace agentguard::cli {
namespace {

namespace pol = agentguard::policy;
using nlohmann::json;

struct ExplainOptions {
  bool plan = true;  // run the plan review of an apply, as the gate does
  bool json = false;
};


// The one quoting rule (agentguard/shell_quote.hpp): what a refusal, a notification and a trace use.
std::string quoted(const std::vector<std::string>& words) { return pol::shell_quote(words); }

// `explain --http FILE`: a saved raw HTTP request, classified and decided by the HTTPS guard's own code.
int run_explain_http(const std::vector<std::string>& files, const std::string& request_file) {
  const pol::Policy policy = load_policy_or_exit(files);
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

// explain's `terraform plan`: no terminal input (-input=false, stdin /dev/null) and its output on
// stderr, so that stdout holds only the explanation (and --json stays JSON).
int run_plan_quietly(const std::string& path, std::vector<std::string> argv, std::vector<std::string> env) {
  argv.insert(argv.end() - 1, "-input=false");
  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  support::ChildSetup setup;
  setup.stdin_from_dev_null = true;
  setup.dup(2, 1);
  pid_t pid = -1;
  const int rc = support::spawn_decided(pid, path.c_str(), args.data(), envp.data(), setup);
  if (rc != 0) throw std::runtime_error("cannot run " + path + ": " + std::strerror(rc));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// One launch explained: the exec decision, then, for an apply the gate would review, the review.
json explain_launch(const pol::Policy& policy, const std::vector<std::string>& argv, std::vector<std::string> env,
                    const std::string& cwd, const ExplainOptions& options) {
  json out;
  out["command"] = argv;
  out["cwd"] = cwd;
  pol::ExecRequest request;
  request.argv = argv;
  request.env = std::move(env);
  request.cwd = cwd;
  std::string path_env;
  for (const auto& e : request.env)
    if (e.rfind("PATH=", 0) == 0) path_env = e.substr(5);
  char found[core::kMaxPath];
  std::vector<std::string> notes;
  if (!argv[0].empty() && argv[0].find('/') != std::string::npos) {
    request.resolved_path = argv[0][0] == '/' ? argv[0] : cwd + "/" + argv[0];
  } else if (core::find_in_path(argv[0].c_str(), path_env.c_str(), found, sizeof found)) {
    request.resolved_path = found;
  } else {
    request.resolved_path = argv[0];
    notes.push_back(argv[0] + " is not found on PATH; it is judged by its name");
  }
  const gate::ShowJsonPlanInspector plans;
  pol::Decision decision = policy.decide_exec(request, &plans, pol::Trace::on);
  out["launch"] = request.resolved_path;
  out["program"] = decision.program;
  out["effective"] = decision.effective_argv;
  out["trace"] = decision.trace;

  json review = nullptr;
  const bool allowed = decision.action == pol::Action::allow || decision.action == pol::Action::log;
  if (allowed && gate::is_apply_to_review(decision)) {
    review = json::object();
    if (!options.plan) {
      review["ran"] = false;
      notes.push_back("plan review skipped (--no-plan): the gate would plan this apply and decide what it deletes, "
                      "replaces or forgets with the plan rules");
    } else {
      review["ran"] = true;
      try {
        // The gate reviews the terraform launch itself: through a wrapper (`timeout 60 terraform
        // apply`, `env -i ... terraform apply`) that is the inner launch, so the review runs the
        // terraform the wrapper would start. Inside a session this process carries the preload; the
        // gate's terraform runs keep it too.
        auto review_request = request;
        const std::string inner = decision.effective_argv.at(0);
        if (inner.find('/') != std::string::npos)
          review_request.resolved_path = inner[0] == '/' ? inner : cwd + "/" + inner;
        else if (core::find_in_path(inner.c_str(), path_env.c_str(), found, sizeof found))
          review_request.resolved_path = found;
        review_request.argv = {inner};
        if (const char* preload = std::getenv("LD_PRELOAD"); preload && *preload)
          review_request.env.push_back(std::string("AGENTGUARD_CALLER_LD_PRELOAD=") + preload);
        // The gate runs in the launch's directory, and so do the terraform runs it makes.
        const std::filesystem::path here = std::filesystem::current_path();
        if (chdir(cwd.c_str()) != 0) throw std::runtime_error("cannot enter " + cwd + ": " + std::strerror(errno));
        struct Back {
          const std::filesystem::path& dir;
          ~Back() {
            std::error_code ignored;
            std::filesystem::current_path(dir, ignored);
          }
        } back{here};
        const gate::ApplyReview reviewed = gate::review_apply(review_request, decision, run_plan_quietly);
        if (reviewed.plan_status != 0) {
          review["plan_status"] = reviewed.plan_status;
          notes.push_back("terraform plan fails (status " + std::to_string(reviewed.plan_status) +
                          "): the apply would stop there and change nothing");
        } else {
          const pol::PlanVerdict verdict = pol::decide_plan(policy.plan_rules(), reviewed.review.plan);
          json resources = json::array();
          for (const auto& r : verdict.resources) resources.push_back(r.kind + " " + r.change.address);
          review["resources"] = resources;
          review["plan"] = reviewed.call.plan_arg ? reviewed.plan.source : "a plan made as the gate makes it";
          if (verdict.deciding) {
            review["rule"] = verdict.deciding->rule_id;
            review["action"] = pol::to_string(verdict.action);
          }
          if (verdict.deciding && verdict.action != pol::Action::allow) decision = gate::plan_decision(decision, verdict);
        }
        if (reviewed.plan.fd >= 0) close(reviewed.plan.fd);
      } catch (const std::exception& e) {
        // The gate refuses an apply it cannot review.
        decision.action = pol::Action::deny;
        decision.rule_id.clear();
        decision.message = std::string("cannot review this apply: ") + e.what();
      }
    }
  }
  out["plan_review"] = review;
  out["decision"] = pol::to_string(decision.action);
  out["rule"] = decision.rule_id;
  out["source"] = decision.source.to_string();
  out["message"] = decision.message;
  out["notes"] = notes;
  return out;
}

void print_launch(const json& e, std::ostream& os) {
  for (const auto& n : e["notes"]) os << "note:      " << n.get<std::string>() << "\n";
  os << "launch:    " << e["launch"].get<std::string>() << "\n";
  const std::string program = e["program"];
  os << "program:   " << (program.empty() ? "(not watched)" : program) << "\n";
  // Shell-quoted, so that the words can be told apart (and read back: tests compare them with terraform's).
  const auto effective = e["effective"].get<std::vector<std::string>>();
  os << "effective:" << (effective.empty() ? "" : " " + quoted(effective)) << "\n";
  os << "trace:\n";
  for (const auto& line : e["trace"]) os << "  " << line.get<std::string>() << "\n";
  if (e["plan_review"].is_object() && e["plan_review"]["ran"].get<bool>()) {
    const auto& r = e["plan_review"];
    os << "plan review:";
    if (r.contains("plan_status")) os << " terraform plan failed (status " << r["plan_status"].get<int>() << ")";
    else if (!r.contains("resources") || r["resources"].empty()) os << " deletes, replaces and forgets nothing";
    else
      for (const auto& res : r["resources"]) os << "\n  " << res.get<std::string>();
    os << "\n";
  }
  os << "decision:  " << output::decision_word(e["decision"].get<std::string>());
  if (!e["rule"].get<std::string>().empty())
    os << " (rule " << e["rule"].get<std::string>() << ", " << e["source"].get<std::string>() << ")";
  os << "\n";
  if (!e["message"].get<std::string>().empty()) os << "message:   " << e["message"].get<std::string>() << "\n";
}

// The directory a `cd` word list leads to, as the shell would go there; nullopt when the guard
// cannot follow it (`cd -`, a variable).
std::optional<std::string> cd_target(const std::vector<std::string>& words, const std::string& cwd,
                                      const std::vector<std::string>& env) {
  std::size_t i = 1;
  while (i < words.size() && (words[i] == "-L" || words[i] == "-P" || words[i] == "--")) ++i;
  std::string dir;
  if (i >= words.size()) {
    for (const auto& e : env)
      if (e.rfind("HOME=", 0) == 0) dir = e.substr(5);
    if (dir.empty()) return std::nullopt;
  } else {
    dir = words[i];
  }
  if (dir == "-" || dir.find('$') != std::string::npos || dir.find('`') != std::string::npos || dir[0] == '~')
    return std::nullopt;
  std::filesystem::path p = dir[0] == '/' ? std::filesystem::path(dir) : std::filesystem::path(cwd) / dir;
  return p.lexically_normal().string();
}

std::vector<std::string> with_assignments(std::vector<std::string> env, const std::vector<std::string>& assignments) {
  for (const auto& a : assignments) {
    const std::string name = a.substr(0, a.find('=') + 1);
    std::erase_if(env, [&](const std::string& e) { return e.rfind(name, 0) == 0; });
    env.push_back(a);
  }
  return env;
}

// An unwatched launch that starts another program: a shell with -c, or an exec wrapper (env,
// timeout, nice, nohup, setsid, stdbuf, time, command). Under `run` that program is the launch the
// guard decides, so explain decides it too. Returns the inner command line, or nothing.
struct Inner {
  std::vector<std::string> argv;  // a command, or
  std::string shell_line;         // a shell -c string
  std::vector<std::string> env;
};

std::optional<Inner> inner_launch(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  if (argv.empty()) return std::nullopt;
  const std::string name = std::filesystem::path(argv[0]).filename().string();
  Inner in{{}, "", env};
  std::size_t i = 1;
  auto rest = [&](std::size_t from) -> std::optional<Inner> {
    if (from >= argv.size()) return std::nullopt;
    in.argv.assign(argv.begin() + static_cast<long>(from), argv.end());
    return in;
  };
  if (name == "bash" || name == "sh" || name == "dash" || name == "zsh" || name == "ksh") {
    for (; i < argv.size() && argv[i].size() > 1 && argv[i][0] == '-'; ++i)
      if (argv[i].find('c') != std::string::npos && argv[i][1] != '-' && i + 1 < argv.size()) {
        in.shell_line = argv[i + 1];
        return in;
      }
    return std::nullopt;
  }
  if (name == "env") {
    for (; i < argv.size(); ++i) {
      const std::string& a = argv[i];
      if (a == "-i" || a == "--ignore-environment" || a == "-") in.env.clear();
      else if ((a == "-u" || a == "--unset") && i + 1 < argv.size()) {
        const std::string unset = argv[++i] + "=";
        std::erase_if(in.env, [&](const std::string& e) { return e.rfind(unset, 0) == 0; });
      } else if (a == "--") {
        ++i;
        break;
      } else if (a.find('=') != std::string::npos && a[0] != '-') {
        in.env = with_assignments(in.env, {a});
      } else if (a[0] != '-') {
        break;
      }
    }
    return rest(i);
  }
  if (name == "timeout") {
    for (; i < argv.size() && argv[i][0] == '-'; ++i)
      if ((argv[i] == "-s" || argv[i] == "-k" || argv[i] == "--signal" || argv[i] == "--kill-after") && i + 1 < argv.size()) ++i;
    return rest(i + 1);  // after the duration
  }
  if (name == "nice") {
    for (; i < argv.size() && argv[i][0] == '-'; ++i)
      if ((argv[i] == "-n" || argv[i] == "--adjustment") && i + 1 < argv.size()) ++i;
    return rest(i);
  }
  if (name == "nohup" || name == "setsid" || name == "stdbuf" || name == "time" || name == "command") {
    while (i < argv.size() && argv[i][0] == '-') ++i;
    return rest(i);
  }
  return std::nullopt;
}

// Explains the launch; when it is not watched but starts another program (inner_launch), that
// program too, as the guard would see it launched.
void explain_through_wrappers(const pol::Policy& policy, const std::vector<std::string>& argv,
                              const std::vector<std::string>& env, std::string cwd, const ExplainOptions& options,
                              json& launches, int depth) {
  json launch = explain_launch(policy, argv, env, cwd, options);
  const bool watched = !launch["program"].get<std::string>().empty();
  launches.push_back(std::move(launch));
  if (watched || depth > 8) return;
  const auto inner = inner_launch(argv, env);
  if (!inner) return;
  if (!inner->shell_line.empty()) {
    std::vector<pol::ShellCommand> commands;
    try {
      commands = pol::split_shell_line(inner->shell_line);
    } catch (const std::invalid_argument&) {
      return;  // the guard's own reading of it (in the trace above) stands
    }
    for (const auto& c : commands) {
      if (c.words.empty()) continue;
      if (c.words[0] == "cd") {
        if (auto next = cd_target(c.words, cwd, inner->env)) cwd = *next;
        continue;
      }
      explain_through_wrappers(policy, c.words, with_assignments(inner->env, c.assignments), cwd, options, launches,
                               depth + 1);
    }
    return;
  }
  explain_through_wrappers(policy, inner->argv, inner->env, cwd, options, launches, depth + 1);
}

int run_explain(const std::vector<std::string>& files, const std::vector<std::string>& command,
                const std::string& shell_line, const ExplainOptions& options) {
  const pol::Policy policy = load_policy_or_exit(files);
  std::error_code ec;
  std::string cwd = std::filesystem::current_path(ec).string();
  const std::vector<std::string> env = current_environment();
  json result;
  json launches = json::array();
  if (!shell_line.empty()) {
    result["shell"] = shell_line;
    std::vector<pol::ShellCommand> commands;
    try {
      commands = pol::split_shell_line(shell_line);
    } catch (const std::invalid_argument& e) {
      std::cerr << "agentguard: cannot read the shell line: " << e.what() << "\n";
      return 2;
    }
    json skipped = json::array();
    for (const auto& c : commands) {
      if (c.words.empty()) continue;
      if (c.words[0] == "cd" || c.words[0] == "pushd") {
        if (auto next = cd_target(c.words, cwd, env)) {
          cwd = *next;
          skipped.push_back(quoted(c.words) + ": the following commands run in " + cwd);
        } else {
          skipped.push_back(quoted(c.words) + ": agentguard cannot follow it; the following commands are judged in " + cwd);
        }
        continue;
      }
      explain_through_wrappers(policy, c.words, with_assignments(env, c.assignments), cwd, options, launches, 0);
    }
    result["shell_notes"] = skipped;
  } else {
    explain_through_wrappers(policy, command, env, cwd, options, launches, 0);
  }
  // The line's decision: the worst of its commands (policy/model.hpp's one severity table).
  pol::Action worst = pol::Action::allow;
  for (const auto& l : launches)
    if (const auto a = pol::action_from_string(l["decision"].get<std::string>()); a && pol::severity(*a) > pol::severity(worst))
      worst = *a;
  result["commands"] = launches;
  result["decision"] = pol::to_string(worst);

  if (options.json) {
    std::cout << result.dump(2) << "\n";
  } else if (!shell_line.empty()) {
    for (const auto& n : result["shell_notes"]) std::cout << "shell:     " << n.get<std::string>() << "\n";
    std::size_t i = 0;
    for (const auto& l : launches) {
      std::cout << "\n[" << ++i << "/" << launches.size() << "] $ " << quoted(l["command"].get<std::vector<std::string>>())
                << "   (in " << l["cwd"].get<std::string>() << ")\n";
      print_launch(l, std::cout);
    }
    if (launches.empty()) std::cout << "no command in this line launches a program\n";
    std::cout << "\nline:      " << output::decision_word(result["decision"].get<std::string>()) << " (the most severe of "
              << launches.size() << " command(s))\n";
  } else {
    print_launch(launches[0], std::cout);
  }
  return worst == pol::Action::deny || worst == pol::Action::ask ? 1 : 0;
}

}  // namespace

void add_explain_command(CLI::App& policy) {
  auto files = std::make_shared<std::vector<std::string>>();
  auto* explain = policy.add_subcommand("explain", "Show how a command (or a shell line) would be decided, without running it");
  explain->add_option("--policy", *files, "A policy file to add as the top layer (repeatable)")->allow_extra_args(false);
  // Everything from the first word that is not an option of explain itself is the command line,
  // with or without a "--" in front, so its own options (-auto-approve) are not taken for ours.
  auto command = takes_command_line(explain);
  auto http_file = std::make_shared<std::string>();
  explain->add_option("--http", *http_file, "Explain a saved raw HTTP request (the HTTPS guard's decision) instead of a command");
  auto shell_line = std::make_shared<std::string>();
  explain->add_option("--shell", *shell_line,
                      "Explain each simple command of a shell line (what an agent's shell tool sends), following `cd`");
  auto options = std::make_shared<ExplainOptions>();
  auto no_plan = std::make_shared<bool>(false);
  explain->add_flag("--no-plan", *no_plan,
                    "Do not run the plan review of a terraform/tofu apply (which runs `terraform plan`); say so instead");
  explain->add_flag("--json", options->json, "Print the explanation as one JSON object");
  explain->footer(
      "Usage: agentguard policy explain [--policy FILE]... [--no-plan] [--json] [--] CMD ARGS...\n"
      "       agentguard policy explain [options] --shell 'LINE'\n"
      "The command is looked up on PATH and decided with the current environment and directory, by the\n"
      "same code the gate runs. For a terraform/tofu apply that the exec rules let through, explain runs\n"
      "the gate's plan review: it runs `terraform plan` (or reads the saved plan) and decides what the\n"
      "apply would delete, replace or forget; --no-plan skips that and says so.\n"
      "Exit status: 0 when allowed (or only logged), 1 when denied or asked, 2 for a line it cannot read.\n"
      "Examples:\n"
      "  agentguard policy explain -- terraform destroy -auto-approve\n"
      "  agentguard policy explain -- terraform apply -auto-approve      (plans, then reviews the plan)\n"
      "  agentguard policy explain --shell 'cd infra && terraform destroy'\n"
      "  TF_CLI_ARGS_apply=-destroy agentguard policy explain -- terraform apply\n"
      "  agentguard policy explain --json -- terraform apply tfplan\n"
      "  agentguard policy explain --policy ./mine.toml -- aws s3 rb s3://bucket\n"
      "  agentguard policy explain --http saved-request.txt   (a raw HTTP/1.1 request, e.g. from a proxy log)");
  explain->callback([files, command, http_file, shell_line, options, no_plan] {
    options->plan = !*no_plan;
    if (!http_file->empty()) {
      if (int status = run_explain_http(*files, *http_file); status != 0) throw CLI::RuntimeError(status);
      return;
    }
    if (!shell_line->empty() && !command->words.empty())
      throw CLI::ValidationError("explain", "give either --shell 'LINE' or a command, not both");
    if (shell_line->empty() && command->words.empty())
      throw CLI::ValidationError("explain", "give the command line to explain: explain -- CMD ARGS... or --shell 'LINE'");
    if (int status = run_explain(*files, command->words, *shell_line, *options); status != 0)
      throw CLI::RuntimeError(status);
  });
}

}  // namespace agentguard::cli
