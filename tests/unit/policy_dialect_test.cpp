// Dialects: terraform (chdir, TF_CLI_ARGS*, bare terraform, flag spellings), aws (global options,
// aliases, --dry-run), terragrunt/pulumi/cdk, and sudo/su/doas/pkexec unwrapping.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dialects.hpp"
#include "shell_words.hpp"
#include "agentguard/policy.hpp"
#include "policy_test_support.hpp"

namespace agentguard::policy {
namespace {

using detail::parse_command;

const Policy& default_policy() {
  static Policy policy = Policy::load(LoadOptions{});
  return policy;
}

Decision decide(std::vector<std::string> argv, std::vector<std::string> env = {}, std::string cwd = "/work") {
  std::string path = "/nonexistent/bin/" + argv[0];
  return default_policy().decide_exec(test::request(path, std::move(argv), std::move(env), std::move(cwd)));
}

std::string flags_of(const detail::ParsedCommand& cmd) {
  std::string out;
  for (const auto& f : cmd.flags) out += (out.empty() ? "" : " ") + f.name + (f.value ? "=" + *f.value : "");
  return out;
}

// ---------------------------------------------------------------- terraform

TEST(PolicyTerraform, MergesEnvArgsLikeMainGo) {
  std::vector<std::string> notes;
  using V = std::vector<std::string>;
  EXPECT_EQ(detail::merge_terraform_env_args({"apply", "-auto-approve"}, {"TF_CLI_ARGS_apply=-destroy -no-color"}, notes),
            (V{"apply", "-destroy", "-no-color", "-auto-approve"}));
  // TF_CLI_ARGS first, then TF_CLI_ARGS_<sub>; both right after the subcommand.
  EXPECT_EQ(detail::merge_terraform_env_args({"plan", "x"}, {"TF_CLI_ARGS=-a", "TF_CLI_ARGS_plan=-b"}, notes),
            (V{"plan", "-b", "-a", "x"}));
  // Nested commands: spaces and '-' become '_', and the args go after the last word.
  EXPECT_EQ(detail::merge_terraform_env_args({"workspace", "delete", "dev"}, {"TF_CLI_ARGS_workspace_delete=-force"}, notes),
            (V{"workspace", "delete", "-force", "dev"}));
  EXPECT_EQ(detail::merge_terraform_env_args({"workspace", "delete", "dev"}, {"TF_CLI_ARGS_workspace=-force"}, notes),
            (V{"workspace", "delete", "dev"}));
  EXPECT_EQ(detail::merge_terraform_env_args({"state", "replace-provider", "a", "b"},
                                             {"TF_CLI_ARGS_state_replace_provider=-auto-approve"}, notes),
            (V{"state", "replace-provider", "-auto-approve", "a", "b"}));
  // A bare terraform: inserted at position 0, so the environment picks the subcommand.
  EXPECT_EQ(detail::merge_terraform_env_args({}, {"TF_CLI_ARGS=destroy -auto-approve"}, notes),
            (V{"destroy", "-auto-approve"}));
  EXPECT_EQ(detail::merge_terraform_env_args({"-no-color"}, {"TF_CLI_ARGS='destroy' -auto-approve"}, notes),
            (V{"destroy", "-auto-approve", "-no-color"}));
}

TEST(PolicyTerraform, BareTerraformWithInjectedDestroyIsDenied) {
  auto d = decide({"terraform"}, {"TF_CLI_ARGS=destroy -auto-approve"});
  EXPECT_EQ(d.action, Action::deny);
  EXPECT_EQ(d.rule_id, "terraform-destroy");
  EXPECT_EQ(d.effective_argv, (std::vector<std::string>{"terraform", "destroy", "-auto-approve"}));
  EXPECT_EQ(decide({"terraform"}).action, Action::allow);
}

TEST(PolicyTerraform, ChdirBeforeTheSubcommand) {
  auto cmd = parse_command("terraform", {"terraform", "-chdir=envs/prod", "destroy"}, {}, "/repo");
  EXPECT_EQ(cmd.words, (std::vector<std::string>{"destroy"}));
  EXPECT_EQ(cmd.cwd, "/repo/envs/prod");
  EXPECT_EQ(decide({"terraform", "-chdir=envs/prod", "destroy"}).rule_id, "terraform-destroy");
  EXPECT_EQ(decide({"terraform", "-chdir=/abs", "apply", "-destroy"}).rule_id, "terraform-apply-destroy");
  // -chdir after the subcommand is not a global option (terraform rejects it); the word "destroy" as a dir is harmless.
  EXPECT_EQ(decide({"terraform", "-chdir=destroy", "plan"}).action, Action::allow);
}

// Routing as main.go and hashicorp/cli v1.1.7 do it (each checked against terraform 1.11.4 in
// tests/integration/test_terraform_spellings.py).
TEST(PolicyTerraform, RoutesLikeTerraform) {
  using V = std::vector<std::string>;
  // An empty argument is never the subcommand: `terraform "$EMPTY" destroy` destroys.
  auto d = decide({"terraform", "", "destroy", "-auto-approve"});
  EXPECT_EQ(d.rule_id, "terraform-destroy");
  EXPECT_EQ(d.effective_argv, (V{"terraform", "destroy", "-auto-approve"}));
  EXPECT_EQ(decide({"terraform", "", "", "apply", "-destroy"}).rule_id, "terraform-apply-destroy");
  EXPECT_EQ(decide({"terraform", "", "state", "rm", "x"}).rule_id, "terraform-state-surgery");
  // The empty word takes TF_CLI_ARGS when there is no subcommand (mergeEnvArgs searches for "").
  EXPECT_EQ(decide({"terraform", ""}, {"TF_CLI_ARGS=destroy -auto-approve"}).effective_argv,
            (V{"terraform", "destroy", "-auto-approve"}));
  // A flag before it stays before the subcommand: terraform refuses ("Invalid flags before the
  // subcommand"), and the effective argv says so; the command is still decided as a destroy.
  auto flagged = decide({"terraform", "-no-color", ""}, {"TF_CLI_ARGS=destroy"});
  EXPECT_EQ(flagged.effective_argv, (V{"terraform", "-no-color", "destroy"}));
  EXPECT_EQ(flagged.rule_id, "terraform-destroy");
  // -chdir: only the `-chdir=` spelling, the last one wins; the rest stays (and terraform refuses it).
  auto two = parse_command("terraform", {"terraform", "-chdir=a", "-chdir=b", "plan"}, {}, "/r");
  EXPECT_EQ(two.cwd, "/r/b");
  EXPECT_EQ(two.words, (V{"plan"}));
  EXPECT_EQ(parse_command("terraform", {"terraform", "--chdir=a", "plan"}, {}, "/r").cwd, "/r");
  EXPECT_EQ(parse_command("terraform", {"terraform", "", "-chdir=a", "plan"}, {}, "/r").cwd, "/r");
  // Help anywhere before `--` only prints help; -version anywhere runs `version`.
  EXPECT_EQ(decide({"terraform", "-help", "destroy"}).action, Action::allow);
  EXPECT_EQ(decide({"terraform", "destroy", "-auto-approve", "-h"}).action, Action::allow);
  EXPECT_EQ(decide({"terraform", "destroy", "--", "-h"}).rule_id, "terraform-destroy");
  auto version = decide({"terraform", "destroy", "-auto-approve", "-v"});
  EXPECT_EQ(version.action, Action::allow);
  EXPECT_EQ(version.effective_argv, (V{"terraform", "version", "destroy", "-auto-approve", "-v"}));
  // Flags before the subcommand make terraform refuse; still decided as the command (conservative).
  EXPECT_EQ(decide({"terraform", "-no-color", "destroy"}).rule_id, "terraform-destroy");
  // cli's longest-prefix match: a later word can complete the command ("destroyx destroy" runs destroy).
  EXPECT_EQ(decide({"terraform", "destroyx", "destroy"}).rule_id, "terraform-destroy");
  EXPECT_EQ(decide({"terraform", "statex", "state", "rm", "a"}).effective_argv, (V{"terraform", "state", "state", "rm", "a"}));
  // A word with a space is never a subcommand: nothing runs.
  EXPECT_EQ(decide({"terraform", "destroy x", "destroy"}).action, Action::allow);
  // TF_CLI_ARGS split by go-shellwords: it stops at ';' and splits at CR.
  EXPECT_EQ(decide({"terraform", "apply"}, {"TF_CLI_ARGS_apply=-var=n=0; -destroy"}).effective_argv,
            (V{"terraform", "apply", "-var=n=0"}));
  // A carriage return separates words: -destroy is seen.
  EXPECT_EQ(decide({"terraform", "apply"}, {"TF_CLI_ARGS_apply=-auto-approve\r-destroy"}).rule_id,
            "terraform-apply-destroy");
  // A backslash inside double quotes escapes any character: "-de\stroy" is -destroy.
  EXPECT_EQ(decide({"terraform", "apply"}, {R"(TF_CLI_ARGS_apply="-de\stroy")"}).rule_id, "terraform-apply-destroy");
}

// What the guard cannot read with certainty is refused.
TEST(PolicyTerraform, RefusesWhatItCannotSplit) {
  auto d = decide({"terraform", "plan"}, {"TF_CLI_ARGS=-var='a"});
  EXPECT_EQ(d.action, Action::deny);
  EXPECT_EQ(d.rule_id, "agentguard.unresolvable");
  EXPECT_NE(d.message.find("TF_CLI_ARGS cannot be split"), std::string::npos) << d.message;
  // A nested command newer than this table, with its own TF_CLI_ARGS_<parent>_<child>.
  EXPECT_EQ(decide({"terraform", "state", "identities"}, {"TF_CLI_ARGS_state_identities=-x"}).rule_id,
            "agentguard.unresolvable");
  EXPECT_EQ(decide({"terraform", "state", "identities"}).action, Action::allow);
  // Only the variables terraform reads are split: a broken TF_CLI_ARGS_destroy does not matter to plan.
  EXPECT_EQ(decide({"terraform", "plan"}, {"TF_CLI_ARGS_destroy='"}).action, Action::allow);
}

TEST(PolicyTerraform, FlagSpellings) {
  for (const char* spelling : {"-destroy", "--destroy", "-destroy=true", "-destroy=1", "-destroy=t", "-destroy=T",
                               "-destroy=TRUE", "-destroy=True", "--destroy=true"})
    EXPECT_EQ(decide({"terraform", "apply", spelling}).rule_id, "terraform-apply-destroy") << spelling;
  for (const char* spelling : {"-destroy=false", "-destroy=0", "-destroy=f", "-destroy=F", "-destroy=FALSE", "--destroy=False"})
    EXPECT_EQ(decide({"terraform", "apply", spelling}).action, Action::allow) << spelling;
  // After "--" the word is a plan file name, not a flag.
  auto cmd = parse_command("terraform", {"terraform", "apply", "--", "-destroy"}, {}, "/");
  EXPECT_TRUE(cmd.flags.empty());
  // Options that take the next word as their value do not hide the plan file.
  cmd = parse_command("terraform", {"terraform", "apply", "-var", "n=0", "-auto-approve", "tf.plan"}, {}, "/");
  EXPECT_EQ(cmd.words, (std::vector<std::string>{"apply", "tf.plan"}));
  EXPECT_EQ(flags_of(cmd), "var=n=0 auto-approve");
}

TEST(PolicyTerraform, EnvInjectionPerCommand) {
  EXPECT_EQ(decide({"terraform", "apply", "-auto-approve"}, {"TF_CLI_ARGS_apply=-destroy"}).rule_id, "terraform-apply-destroy");
  EXPECT_EQ(decide({"terraform", "apply"}, {"TF_CLI_ARGS=-destroy"}).rule_id, "terraform-apply-destroy");
  EXPECT_EQ(decide({"terraform", "apply"}, {"TF_CLI_ARGS_plan=-destroy"}).action, Action::allow);
  EXPECT_EQ(decide({"terraform", "state", "rm"}, {"TF_CLI_ARGS_state_rm=terraform_data.a"}).rule_id, "terraform-state-surgery");
  EXPECT_EQ(decide({"tofu", "apply"}, {"TF_CLI_ARGS_apply=--destroy"}).rule_id, "terraform-apply-destroy");
  // getenv semantics: the first of duplicate entries counts.
  EXPECT_EQ(decide({"terraform", "apply"}, {"TF_CLI_ARGS=", "TF_CLI_ARGS=-destroy"}).action, Action::allow);
}

// ---------------------------------------------------------------- aws

TEST(PolicyAws, GlobalOptionsBeforeAndAfterTheService) {
  auto cmd = parse_command("aws",
                           {"aws", "--region", "eu-west-1", "--debug", "rds", "--profile", "prod", "--output=json",
                            "delete-db-instance", "--db-instance-identifier", "db1", "--skip-final-snapshot"},
                           {}, "/");
  EXPECT_EQ(cmd.words, (std::vector<std::string>{"rds", "delete-db-instance"}));
  EXPECT_EQ(flags_of(cmd), "region=eu-west-1 debug profile=prod output=json db-instance-identifier=db1 skip-final-snapshot");
  for (const char* opt : {"--endpoint-url", "--query", "--color", "--ca-bundle", "--cli-read-timeout",
                          "--cli-connect-timeout", "--cli-binary-format", "--region", "--profile", "--output"}) {
    auto d = decide({"aws", opt, "value", "ec2", "terminate-instances", "--instance-ids", "i-1"});
    EXPECT_EQ(d.rule_id, "aws-destructive-operations") << opt;
  }
  for (const char* flag : {"--debug", "--no-verify-ssl", "--no-paginate", "--no-sign-request", "--no-cli-pager"})
    EXPECT_EQ(decide({"aws", flag, "s3", "rb", "s3://b"}).rule_id, "aws-destructive-operations") << flag;
}

TEST(PolicyAws, DryRunIsHarmlessUnlessOverridden) {
  EXPECT_EQ(decide({"aws", "ec2", "delete-vpc", "--vpc-id", "v", "--dry-run"}).action, Action::allow);
  EXPECT_EQ(decide({"aws", "ec2", "delete-vpc", "--dry-run", "--no-dry-run", "--vpc-id", "v"}).action, Action::deny);
  EXPECT_EQ(decide({"aws", "ec2", "delete-vpc", "--no-dry-run", "--dry-run"}).action, Action::allow);
  EXPECT_EQ(decide({"aws", "s3", "rm", "s3://b/k", "--dryrun"}).action, Action::allow);
}

TEST(PolicyAws, AliasesFromTheCliAliasFile) {
  test::TempDir home;
  std::filesystem::create_directories(home.path / ".aws/cli");
  std::ofstream(home.path / ".aws/cli/alias") << "[toplevel]\n"
                                                  "nuke = ec2 terminate-instances\n"
                                                  "whoami = sts get-caller-identity\n"
                                                  "wipe =\n  s3 rb --force\n"
                                                  "shellish = !f() { aws s3 ls; }; f\n"
                                                  "chain = nuke\n"
                                                  "[command rds]\n"
                                                  "drop = delete-db-instance --skip-final-snapshot\n";
  std::vector<std::string> env = {"HOME=" + home.path.string()};
  auto d = decide({"aws", "nuke", "--instance-ids", "i-1"}, env);
  EXPECT_EQ(d.rule_id, "aws-destructive-operations");
  EXPECT_EQ(d.effective_argv, (std::vector<std::string>{"aws", "ec2", "terminate-instances", "--instance-ids", "i-1"}));
  EXPECT_EQ(decide({"aws", "--region", "us-east-1", "wipe", "s3://b"}, env).rule_id, "aws-destructive-operations");
  EXPECT_EQ(decide({"aws", "chain", "--instance-ids", "i-1"}, env).rule_id, "aws-destructive-operations");
  EXPECT_EQ(decide({"aws", "rds", "drop", "--db-instance-identifier", "x"}, env).rule_id, "aws-destructive-operations");
  EXPECT_EQ(decide({"aws", "whoami"}, env).action, Action::allow);
  // Without the alias file the word is just an unknown service.
  EXPECT_EQ(decide({"aws", "nuke", "--instance-ids", "i-1"}).action, Action::allow);
  // A shell alias is not expanded here: aws starts a shell for it, and the hooks see that shell's launches.
  auto shell = default_policy().decide_exec(test::request("/nonexistent/bin/aws", {"aws", "shellish"}, env), nullptr,
                                           Trace::on);
  EXPECT_EQ(shell.action, Action::allow);
  bool noted = false;
  for (const auto& line : shell.trace) noted = noted || line.find("shell alias") != std::string::npos;
  EXPECT_TRUE(noted);
  // AWS_CONFIG_FILE moves the alias file next to it.
  test::TempDir other;
  std::filesystem::create_directories(other.path / "cli");
  std::ofstream(other.path / "cli/alias") << "[toplevel]\nbye = cloudformation delete-stack\n";
  EXPECT_EQ(decide({"aws", "bye", "--stack-name", "s"}, {"HOME=/nonexistent", "AWS_CONFIG_FILE=" + (other.path / "config").string()})
                .rule_id,
            "aws-destructive-operations");
}

// ---------------------------------------------------------------- terragrunt, pulumi, cdk

TEST(PolicyOtherTools, WorkingDirectoriesAndForms) {
  auto tg = parse_command("terragrunt", {"terragrunt", "--working-dir", "live", "run", "--all", "--", "destroy"}, {}, "/r");
  EXPECT_EQ(tg.words, (std::vector<std::string>{"run", "destroy"}));
  EXPECT_EQ(tg.cwd, "/r/live");
  auto pl = parse_command("pulumi", {"pulumi", "-C", "infra", "-s", "prod", "destroy", "-y"}, {}, "/r");
  EXPECT_EQ(pl.words, (std::vector<std::string>{"destroy"}));
  EXPECT_EQ(pl.cwd, "/r/infra");
  auto cdk = parse_command("cdk", {"cdk", "-a", "node app.js", "destroy", "-f"}, {}, "/r");
  EXPECT_EQ(cdk.words, (std::vector<std::string>{"destroy"}));
  EXPECT_EQ(decide({"terragrunt", "run-all", "destroy"}).rule_id, "terragrunt-destroy");
  EXPECT_EQ(decide({"pulumi", "stack", "rm", "--force", "prod"}).rule_id, "pulumi-stack-rm");
  EXPECT_EQ(decide({"cdk", "destroy", "--all"}).rule_id, "cdk-destroy");
  EXPECT_EQ(decide({"pulumi", "up"}).action, Action::allow);
}

// ---------------------------------------------------------------- wrappers

TEST(PolicyWrappers, SudoFindsTheInnerCommand) {
  EXPECT_EQ(decide({"sudo", "-u", "deploy", "-E", "terraform", "destroy"}).rule_id, "terraform-destroy");
  EXPECT_EQ(decide({"sudo", "-Eu", "deploy", "--", "terraform", "destroy"}).rule_id, "terraform-destroy");
  EXPECT_EQ(decide({"sudo", "--user=deploy", "TF_CLI_ARGS=destroy", "terraform"}).rule_id, "terraform-destroy");
  EXPECT_EQ(decide({"sudo", "-D", "/srv/infra", "terraform", "apply", "-destroy"}).rule_id, "terraform-apply-destroy");
  EXPECT_EQ(decide({"doas", "-u", "root", "aws", "s3", "rb", "s3://b"}).rule_id, "aws-destructive-operations");
  EXPECT_EQ(decide({"pkexec", "--user", "root", "terraform", "destroy"}).rule_id, "terraform-destroy");
  EXPECT_EQ(decide({"sudo", "sudo", "terraform", "destroy"}).rule_id, "terraform-destroy");
  EXPECT_EQ(decide({"sudo", "-l"}).action, Action::allow);
  EXPECT_EQ(decide({"sudo", "-k"}).action, Action::allow);
}

TEST(PolicyWrappers, ShellStringsAreSplitAndTheWorstWins) {
  auto d = decide({"sudo", "sh", "-c", "cd /srv && terraform plan; echo ok | terraform destroy -auto-approve"});
  EXPECT_EQ(d.action, Action::deny);
  EXPECT_EQ(d.rule_id, "terraform-destroy");
  EXPECT_EQ(decide({"sudo", "bash", "-ec", "terraform plan && terraform state list"}).action, Action::allow);
  EXPECT_EQ(decide({"su", "-c", "TF_CLI_ARGS_apply=-destroy terraform apply", "root"}).rule_id, "terraform-apply-destroy");
  EXPECT_EQ(decide({"su", "root", "-c", "aws ec2 terminate-instances --instance-ids i-1"}).rule_id, "aws-destructive-operations");
  EXPECT_EQ(decide({"su", "-", "root", "--command=env -i terraform destroy"}).rule_id, "terraform-destroy");
  EXPECT_EQ(decide({"sudo", "sh", "-c", "exec 'terraform' \"destroy\""}).rule_id, "terraform-destroy");
  // A line the splitter cannot read is refused, never allowed.
  EXPECT_EQ(decide({"sudo", "sh", "-c", "terraform 'destroy"}).action, Action::deny);
}

TEST(PolicyWrappers, ProgramsRunByRootHelpersAreSeen) {
  // Below sudo nothing is hooked, so helpers that start other programs are looked through.
  EXPECT_EQ(decide({"sudo", "timeout", "60", "terraform", "destroy"}).rule_id, "terraform-destroy");
  EXPECT_EQ(decide({"sudo", "nice", "-n", "5", "/usr/local/bin/terraform", "destroy"}).rule_id, "terraform-destroy");
  EXPECT_EQ(decide({"sudo", "find", ".", "-exec", "terraform", "destroy", "-auto-approve", ";"}).rule_id, "terraform-destroy");
  EXPECT_EQ(decide({"sudo", "sh", "-c", "echo `terraform destroy -auto-approve`"}).rule_id, "terraform-destroy");
  EXPECT_EQ(decide({"sudo", "grep", "-r", "terraform", "/etc/hosts"}).action, Action::allow);
  EXPECT_EQ(decide({"sudo", "apt-get", "install", "terraform"}).action, Action::allow);
}

TEST(PolicyWrappers, RootShellsAreRefused) {
  for (auto argv : std::vector<std::vector<std::string>>{
           {"sudo", "-i"}, {"sudo", "-s"}, {"sudo", "bash"}, {"sudo", "bash", "script.sh"}, {"su"}, {"su", "-"}, {"pkexec"}, {"doas", "-s"}}) {
    EXPECT_EQ(decide(argv).rule_id, "root-shell") << argv.size();
  }
}

TEST(PolicyShellWords, QuotesAndOperators) {
  auto commands = detail::split_commands("A=1 B='x y' terraform \"de\"stroy\\ now || echo a&&b\n(c) ; d # e");
  ASSERT_EQ(commands.size(), 5u);
  EXPECT_EQ(commands[0].assignments, (std::vector<std::string>{"A=1", "B=x y"}));
  EXPECT_EQ(commands[0].words, (std::vector<std::string>{"terraform", "destroy now"}));
  EXPECT_EQ(commands[1].words, (std::vector<std::string>{"echo", "a"}));
  EXPECT_EQ(commands[4].words, (std::vector<std::string>{"d"}));
  std::string error;
  detail::split_words("a \"b", &error);
  EXPECT_EQ(error, "unclosed double quote");
}

// join_dir's fast path gives what std::filesystem's lexical normalisation gives.
TEST(PolicyDialect, JoinDirFastPathMatchesFilesystemNormalisation) {
  const auto reference = [](const std::string& base, const std::string& dir) {
    std::filesystem::path p(dir);
    if (p.is_relative()) p = std::filesystem::path(base.empty() ? "." : base) / p;
    std::string out = p.lexically_normal().string();
    if (out.size() > 1 && out.back() == '/') out.pop_back();
    return out;
  };
  const std::vector<std::string> bases = {"/work", "/", "/work/", "/a/./b", "/a/../b", "", ".", "rel/dir", "//x", "/a//b"};
  const std::vector<std::string> dirs = {"prod", "envs/prod", "/abs", "/abs/dir/", "../up", "./here", ".", "..", "a/../b",
                                         "a//b", "prod/", "/", "...", "a/.hidden", ""};
  for (const auto& base : bases)
    for (const auto& dir : dirs) EXPECT_EQ(detail::join_dir(base, dir), reference(base, dir)) << base << " + " << dir;
}

}  // namespace
}  // namespace agentguard::policy
