// terragrunt, pulumi and cdk: which options take a value, where the working directory comes from.
#include <set>

#include "dialects.hpp"
#include "terraform/go_shellwords.hpp"
#include "resolver.hpp"
#include "shell_words.hpp"

namespace agentguard::policy::detail {
namespace {

bool terragrunt_takes_value(const std::string& name) {
  static const std::set<std::string> names = {
      // terragrunt's own (old and new names)
      "terragrunt-working-dir", "working-dir", "terragrunt-config", "config", "terragrunt-include-dir",
      "queue-include-dir", "terragrunt-exclude-dir", "queue-exclude-dir", "terragrunt-iam-role", "iam-assume-role",
      "terragrunt-source", "source", "terragrunt-log-level", "log-level", "terragrunt-parallelism", "parallelism",
      "terragrunt-tfpath", "tf-path", "filter",
      // forwarded to terraform
      "var", "var-file", "target", "replace", "exclude", "state", "state-out", "backup", "lock-timeout", "out"};
  return names.count(name) != 0;
}

bool pulumi_takes_value(const std::string& name) {
  static const std::set<std::string> names = {
      "C", "cwd", "s", "stack", "color", "config-file", "target", "exclude", "m", "message", "p", "parallel",
      "tracing", "v", "verbose", "secrets-provider", "exec-kind", "exec-agent", "profiling", "memprofilerate",
      "r", "replace", "target-replace", "config", "c", "policy-pack", "policy-pack-config",
      "attach-debugger", "import-file"};
  return names.count(name) != 0;
}

bool cdk_takes_value(const std::string& name) {
  static const std::set<std::string> names = {
      "a", "app", "c", "context", "p", "plugin", "profile", "proxy", "ca-bundle-path", "r", "role-arn", "o",
      "output", "toolkit-stack-name", "build", "i", "concurrency",
      "progress", "method", "m", "notification-arns", "parameters", "outputs-file", "O"};
  return names.count(name) != 0;
}

}  // namespace

void parse_terragrunt(ParsedCommand& cmd) {
  // Terragrunt forwards everything, also what follows "--", to terraform/tofu: parse through it.
  OptionStyle style;
  style.takes_value = terragrunt_takes_value;
  style.double_dash_ends_options = false;
  parse_options(cmd, 1, style);
  for (const auto& flag : cmd.flags) {
    if ((flag.name == "terragrunt-working-dir" || flag.name == "working-dir") && flag.value) {
      cmd.cwd = join_dir(cmd.cwd, *flag.value);
      cmd.note([&] { return "--" + flag.name + ": acts on " + cmd.cwd; });
    }
  }
  // Terragrunt is a static binary that starts terraform itself, out of the preload's sight, and the
  // child inherits TF_CLI_ARGS*: so the arguments terraform would add are folded in here.
  std::size_t tf_word = 0;
  if (!cmd.words.empty() && (cmd.words[0] == "run-all" || cmd.words[0] == "run")) tf_word = 1;
  if (cmd.words.size() >= 2 && cmd.words[0] == "stack" && cmd.words[1] == "run") tf_word = 2;
  std::vector<std::string> names = {"TF_CLI_ARGS"};
  if (tf_word < cmd.words.size()) {
    std::string sub = cmd.words[tf_word];
    for (char& c : sub)
      if (c == '-') c = '_';
    names.push_back("TF_CLI_ARGS_" + sub);
  }
  for (const auto& name : names) {
    auto value = env_value(cmd.environment(), name);
    if (!value || value->empty()) continue;
    ParsedCommand extra;
    extra.argv.push_back("terraform");
    // Split as the terraform that terragrunt starts splits it (go-shellwords).
    auto split = go_shellwords_parse(*value);
    if (!split.error.empty())
      throw UnresolvableLaunch(name + " cannot be split into arguments (" + split.error + "); terraform would refuse to run");
    auto& words = split.words;
    extra.argv.insert(extra.argv.end(), words.begin(), words.end());
    parse_options(extra, 1, style);
    cmd.flags.insert(cmd.flags.end(), extra.flags.begin(), extra.flags.end());
    cmd.words.insert(cmd.words.end(), extra.words.begin(), extra.words.end());
    cmd.note([&] { return name + "=" + *value + " reaches the terraform that terragrunt starts: folded in"; });
  }
}

void parse_pulumi(ParsedCommand& cmd) {
  OptionStyle style;
  style.takes_value = pulumi_takes_value;
  style.short_bundles = true;
  parse_options(cmd, 1, style);
  for (const auto& flag : cmd.flags) {
    if ((flag.name == "C" || flag.name == "cwd") && flag.value) {
      cmd.cwd = join_dir(cmd.cwd, *flag.value);
      cmd.note([&] { return "--cwd: acts on " + cmd.cwd; });
    }
  }
}

void parse_cdk(ParsedCommand& cmd) {
  OptionStyle style;
  style.takes_value = cdk_takes_value;
  style.short_bundles = true;
  parse_options(cmd, 1, style);
}

}  // namespace agentguard::policy::detail
