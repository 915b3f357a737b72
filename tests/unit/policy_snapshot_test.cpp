// The precompiled policy snapshot (Policy::to_snapshot / from_snapshot) and the gate's use of it
// (policy_layers/policy_cache, gate/policy_loading): a snapshot decides exactly like the parsed policy,
// anything wrong with it means "parse the TOML", and an edit or a broken policy never brings back
// an older snapshot.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <fstream>
#include <sstream>

#include "agentguard/plan_rules.hpp"
#include "agentguard/policy.hpp"
#include "agentguard/policy_sections.hpp"
#include "policy_layers/policy_cache.hpp"
#include "support/digest.hpp"
#include "events_test_support.hpp"
#include "gate/policy_loading.hpp"
#include "policy_test_support.hpp"

namespace agentguard::policy {
namespace {

namespace fs = std::filesystem;

const char* const kUserLayer = R"(schema = 1
disable = ["terraform-workspace-delete", "destroy-by-name"]

[[exec]]
id = "kubectl-delete"
action = "deny"
program = ["kubectl"]
command = ["delete", "drain"]
unless = [{ flags = ["dry-run=client", "dry-run=server"] }, { env = { KUBECONFIG = "*scratch*" } }]
message = "Deleting Kubernetes objects needs a human."
examples.match = ["kubectl delete pod web-1"]
examples.no_match = ["kubectl get pods", "kubectl delete pod web-1 --dry-run=client"]

[[exec]]
id = "apply-prod-ask"
action = "ask"
description = "applies in prod wait for a human"
program = "terraform"
command = "apply"
cwd = "/srv/prod*"

[[exec]]
id = "log-plan-deletes"
action = "log"
program = "terraform"
command = "apply"
plan = "deletes"

[[api]]
id = "scratch-log"
action = "log"
match = "s3:DeleteObject"

[[plan]]
id = "scratch-may-go"
action = "allow"
addresses = ["module.scratch.*"]
examples.match = ["module.scratch.terraform_data.x"]

[notify]
fold_window_seconds = 30
)";

const char* const kProjectLayer = R"(schema = 1
[[exec]]
id = "project-no-taint"
action = "deny"
program = "terraform"
command = ["taint", "untaint"]
)";

std::string write(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  return file.string();
}

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::vector<std::vector<std::string>>& commands() {
  static const std::vector<std::vector<std::string>> all = {
      {"terraform", "destroy"},
      {"terraform", "-chdir=prod", "apply", "-destroy"},
      {"terraform", "plan"},
      {"terraform", "version"},
      {"terraform", "state", "rm", "aws_instance.x"},
      {"terraform", "workspace", "delete", "dev"},
      {"terraform", "apply"},
      {"terraform", "taint", "aws_instance.x"},
      {"tofu", "destroy"},
      {"terragrunt", "run", "--all", "destroy"},
      {"pulumi", "destroy", "-s", "prod"},
      {"cdk", "destroy"},
      {"aws", "s3", "rb", "s3://bucket"},
      {"aws", "ec2", "describe-instances"},
      {"aws", "rds", "delete-db-instance", "--db-instance-identifier", "x", "--dry-run"},
      {"aws", "rds", "modify-db-instance", "--no-deletion-protection"},
      {"aws", "s3", "sync", ".", "s3://b", "--delete"},
      {"kubectl", "delete", "pod", "web-1"},
      {"kubectl", "delete", "pod", "web-1", "--dry-run=client"},
      {"kubectl", "get", "pods"},
      {"sudo", "-i"},
      {"sudo", "sh", "-c", "cd /x && terraform destroy"},
  };
  return all;
}

std::vector<ExecRequest> requests() {
  std::vector<ExecRequest> out;
  for (const auto& argv : commands()) {
    out.push_back(test::request("/nonexistent/bin/" + argv[0], argv));
    out.push_back(test::request("/nonexistent/bin/" + argv[0], argv, {"TF_CLI_ARGS=destroy", "KUBECONFIG=/k/scratch"},
                                "/srv/prod-eu"));
  }
  return out;
}

void expect_same_decisions(const Policy& parsed, const Policy& restored) {
  for (const auto& request : requests()) {
    const Decision a = parsed.decide_exec(request);
    const Decision b = restored.decide_exec(request);
    std::string line;
    for (const auto& word : request.argv) line += word + " ";
    SCOPED_TRACE(line + "in " + request.cwd);
    EXPECT_EQ(a.action, b.action);
    EXPECT_EQ(a.rule_id, b.rule_id);
    EXPECT_EQ(a.message, b.message);
    EXPECT_EQ(a.source.to_string(), b.source.to_string());
    EXPECT_EQ(a.program, b.program);
    EXPECT_EQ(a.effective_argv, b.effective_argv);
    EXPECT_EQ(a.trace, b.trace);  // every rule's file:line:col is in the trace
  }
  EXPECT_EQ(parsed.describe(), restored.describe());
  EXPECT_EQ(parsed.files(), restored.files());
  EXPECT_EQ(parsed.rule_count(), restored.rule_count());
  EXPECT_EQ(parsed.watch_list("/nonexistent"), restored.watch_list("/nonexistent"));
  ASSERT_EQ(parsed.plan_rules().size(), restored.plan_rules().size());
  for (std::size_t i = 0; i < parsed.plan_rules().size(); ++i) {
    const PlanRule& a = parsed.plan_rules()[i];
    const PlanRule& b = restored.plan_rules()[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.action, b.action);
    EXPECT_EQ(a.types, b.types);
    EXPECT_EQ(a.addresses, b.addresses);
    EXPECT_EQ(a.changes, b.changes);
    EXPECT_EQ(a.message, b.message);
    EXPECT_EQ(a.where.to_string(), b.where.to_string());
  }
  const auto pa = parsed.layer_texts(), pb = restored.layer_texts();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].file, pb[i].file);
    EXPECT_EQ(pa[i].text, pb[i].text);
    EXPECT_EQ(pa[i].project, pb[i].project);
  }
}

TEST(PolicySnapshot, DefaultPolicyRoundTrip) {
  const Policy parsed = Policy::load(LoadOptions{});
  const Policy restored = Policy::from_snapshot(parsed.to_snapshot(), {});
  expect_same_decisions(parsed, restored);
  // The snapshot of the restored policy is the same bytes: nothing was lost on the way.
  EXPECT_EQ(parsed.to_snapshot(), restored.to_snapshot());
}

TEST(PolicySnapshot, LayeredFilesRoundTrip) {
  test::TempDir dir;
  LoadOptions options;
  options.files = {write(dir.path / "user.toml", kUserLayer)};
  options.project_files = {write(dir.path / ".agentguard.toml", kProjectLayer)};
  const Policy parsed = Policy::load(options);
  const Policy restored = Policy::from_snapshot(parsed.to_snapshot(), Policy::read_layers(options));
  expect_same_decisions(parsed, restored);
  EXPECT_EQ(parsed.to_snapshot(), restored.to_snapshot());
  EXPECT_EQ(restored.decide_exec(test::request("/x/kubectl", {"kubectl", "drain", "n1"})).rule_id, "kubectl-delete");
  EXPECT_EQ(restored.decide_exec(test::request("/x/terraform", {"terraform", "taint", "a.b"})).source.to_string(),
            options.project_files[0] + ":2:1");

  // [notify] comes from the layer's own text, with its own locations, when it is asked for.
  const auto a = parsed.sections("notify"), b = restored.sections("notify");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].file, b[0].file);
  EXPECT_EQ(toml::find<int64_t>(a[0].value, "fold_window_seconds"), toml::find<int64_t>(b[0].value, "fold_window_seconds"));
  EXPECT_EQ(a[0].value.location().line(), b[0].value.location().line());
  EXPECT_EQ(parsed.sections("api").size(), restored.sections("api").size());
}

TEST(PolicySnapshot, RestoredPolicyHasNoApiRuleBodiesNorExamples) {
  const Policy parsed = Policy::load(LoadOptions{});
  const Policy restored = Policy::from_snapshot(parsed.to_snapshot(), {});
  EXPECT_FALSE(parsed.api_rules().empty());
  EXPECT_THROW(restored.api_rules(), std::logic_error);
  // Nor examples: `policy check` parses the TOML.
  EXPECT_THROW(restored.check_examples(), std::logic_error);
  EXPECT_THROW(restored.example_count(), std::logic_error);
  // Their ids still count: a layer can disable one, and may not reuse one.
  LoadOptions without;
  without.api_rules = false;
  EXPECT_THROW(Policy::load(without).api_rules(), std::logic_error);
  EXPECT_EQ(Policy::load(without).rule_count(), parsed.rule_count());
}

TEST(PolicySnapshot, GateReadsApiRuleIdsOnly) {
  test::TempDir dir;
  LoadOptions options;
  options.api_rules = false;
  // A disabled API rule of the default is found by id; a duplicate id is still an error.
  options.files = {write(dir.path / "p.toml", "schema = 1\ndisable = [\"destroy-by-name\"]\n")};
  EXPECT_NO_THROW(Policy::load(options));
  write(dir.path / "p.toml", "schema = 1\n[[api]]\nid = \"terraform-destroy\"\naction = \"log\"\nmatch = \"s3:*\"\n");
  EXPECT_THROW(Policy::load(options), PolicyError);
}

TEST(PolicySnapshot, MalformedSnapshotsAreRefused) {
  test::TempDir dir;
  LoadOptions options;
  options.files = {write(dir.path / "user.toml", kUserLayer)};
  const auto layers = Policy::read_layers(options);
  const std::string good = Policy::load(options).to_snapshot();
  EXPECT_NO_THROW(Policy::from_snapshot(good, layers));
  for (std::size_t cut : {std::size_t{0}, std::size_t{1}, good.size() / 2, good.size() - 1})
    EXPECT_THROW(Policy::from_snapshot(good.substr(0, cut), layers), SnapshotError) << cut;
  EXPECT_THROW(Policy::from_snapshot("not a snapshot", layers), SnapshotError);
  // Other layers than the ones it was made from (another file name, another count, project flag).
  auto renamed = layers;
  renamed[0].file += ".other";
  EXPECT_THROW(Policy::from_snapshot(good, renamed), SnapshotError);
  EXPECT_THROW(Policy::from_snapshot(good, {}), SnapshotError);
  auto project = layers;
  project[0].project = true;
  EXPECT_THROW(Policy::from_snapshot(good, project), SnapshotError);
}

// The gate's loading path, in a private state directory.
class GateLoading : public ::testing::Test {
 protected:
  agentguard::testing::TempStateDir state;
  test::TempDir dir;
  fs::path user = dir.path / "policy.toml";

  LoadOptions options() const {
    LoadOptions o;
    o.files = {user.string()};
    o.api_rules = false;
    return o;
  }
  std::string key() const { return policy_cache::key_for(options(), Policy::read_layers(options())); }
  fs::path snapshot() const { return policy_cache::file_for(key()); }
  static Action decide(const Policy& p, std::vector<std::string> argv) {
    const std::string path = "/nonexistent/bin/" + argv[0];
    return p.decide_exec(test::request(path, std::move(argv))).action;
  }
  std::size_t snapshot_count() const {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(policy_cache::directory(), ec)) n += e.path().extension() == ".snap";
    return n;
  }
};

const char* const kDenyKubectl = "schema = 1\n[[exec]]\nid = \"k\"\naction = \"deny\"\nprogram = \"kubectl\"\n";
const char* const kDenyHelmctl = "schema = 1\n[[exec]]\nid = \"k\"\naction = \"deny\"\nprogram = \"helmctl\"\n";  // same size

TEST_F(GateLoading, WritesASnapshotAndUsesIt) {
  write(user, kDenyKubectl);
  ASSERT_FALSE(fs::exists(snapshot()));
  auto first = gate::load_policy(options());
  EXPECT_TRUE(first.broken.empty());
  ASSERT_TRUE(fs::exists(snapshot()));
  EXPECT_EQ(fs::status(snapshot()).permissions() & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
  auto cached = policy_cache::read(key(), Policy::read_layers(options()));
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(decide(*cached, {"kubectl", "get"}), Action::deny);
  EXPECT_EQ(decide(*cached, {"terraform", "destroy"}), Action::deny);
  auto second = gate::load_policy(options());
  EXPECT_EQ(decide(second.policy, {"kubectl", "get"}), Action::deny);
  EXPECT_EQ(snapshot_count(), 1u);
}

TEST_F(GateLoading, DamagedSnapshotsFallBackToParsing) {
  write(user, kDenyKubectl);
  gate::load_policy(options());
  const std::string good = read(snapshot());
  const auto layers = Policy::read_layers(options());

  auto damaged = good;
  damaged[damaged.size() - 10] ^= 0x20;  // a flipped bit in the payload: its SHA-256 no longer matches
  auto wrong_version = good;
  wrong_version.replace(0, std::string("agentguard-policy-snapshot ").size() + 1, "agentguard-policy-snapshot 0");
  // A well-framed file (the right key and checksum) around a payload that is not a snapshot.
  const std::string not_cbor = policy_cache::frame(key(), "\xa1\x61x\x01 garbage");
  for (const std::string& bad : {good.substr(0, good.size() / 2), good.substr(0, 40), std::string(), damaged,
                                 wrong_version, not_cbor}) {
    write(snapshot(), bad);
    ::chmod(snapshot().c_str(), 0600);
    EXPECT_FALSE(policy_cache::read(key(), layers).has_value());
    auto loaded = gate::load_policy(options());  // parses the TOML, and writes a good snapshot again
    EXPECT_TRUE(loaded.broken.empty());
    EXPECT_EQ(decide(loaded.policy, {"kubectl", "get"}), Action::deny);
    EXPECT_EQ(decide(loaded.policy, {"terraform", "destroy"}), Action::deny);
    EXPECT_EQ(read(snapshot()), good);
  }
  // A snapshot anyone else may write is not used.
  ::chmod(snapshot().c_str(), 0666);
  EXPECT_FALSE(policy_cache::read(key(), layers).has_value());
}

TEST_F(GateLoading, AnEditWithTheSameSizeAndTimeIsSeen) {
  write(user, kDenyKubectl);
  struct stat before {};
  ASSERT_EQ(::stat(user.c_str(), &before), 0);
  EXPECT_EQ(decide(gate::load_policy(options()).policy, {"kubectl", "get"}), Action::deny);

  write(user, kDenyHelmctl);
  const struct utimbuf same{before.st_atime, before.st_mtime};
  ASSERT_EQ(::utime(user.c_str(), &same), 0);
  struct stat after {};
  ASSERT_EQ(::stat(user.c_str(), &after), 0);
  ASSERT_EQ(after.st_size, before.st_size);
  ASSERT_EQ(after.st_mtime, before.st_mtime);

  const auto loaded = gate::load_policy(options());
  EXPECT_EQ(decide(loaded.policy, {"kubectl", "get"}), Action::allow);
  EXPECT_EQ(decide(loaded.policy, {"helmctl", "get"}), Action::deny);
  EXPECT_EQ(snapshot_count(), 2u);
}

// The user breaks the policy file. Exactly as without snapshots: the last policy that loaded (not
// an older snapshot, not nothing) stays in force, and the broken text never gets a snapshot.
TEST_F(GateLoading, ABrokenPolicyKeepsTheLastGoodOneNotAnOlderSnapshot) {
  write(user, kDenyKubectl);  // A: looser
  gate::load_policy(options());
  write(user, std::string(kDenyKubectl) + "[[exec]]\nid = \"h\"\naction = \"deny\"\nprogram = \"helmctl\"\n");  // B: tighter
  EXPECT_EQ(decide(gate::load_policy(options()).policy, {"helmctl", "x"}), Action::deny);
  ASSERT_EQ(snapshot_count(), 2u);

  write(user, std::string(kDenyKubectl) + "[[exec]\nbroken");
  for (int launch = 0; launch < 2; ++launch) {
    const auto loaded = gate::load_policy(options());
    EXPECT_FALSE(loaded.broken.empty());
    EXPECT_EQ(decide(loaded.policy, {"helmctl", "x"}), Action::deny);  // B, not A's snapshot
    EXPECT_EQ(decide(loaded.policy, {"kubectl", "get"}), Action::deny);
    EXPECT_EQ(decide(loaded.policy, {"terraform", "destroy"}), Action::deny);
  }
  EXPECT_EQ(snapshot_count(), 2u);
  EXPECT_FALSE(fs::exists(snapshot()));

  // Back to A: its snapshot is used again, and A becomes the last good policy again.
  write(user, kDenyKubectl);
  EXPECT_EQ(decide(gate::load_policy(options()).policy, {"helmctl", "x"}), Action::allow);
  write(user, "schema = 1\n[[exec]\n");
  const auto loaded = gate::load_policy(options());
  EXPECT_FALSE(loaded.broken.empty());
  EXPECT_EQ(decide(loaded.policy, {"helmctl", "x"}), Action::allow);
  EXPECT_EQ(decide(loaded.policy, {"kubectl", "get"}), Action::deny);
}

TEST_F(GateLoading, BrokenWithNoGoodPolicyOnRecordStillRefuses) {
  write(user, "schema = 1\n[[exec]\n");
  EXPECT_THROW(gate::load_policy(options()), PolicyError);
  EXPECT_EQ(snapshot_count(), 0u);
}

TEST(PolicySnapshot, BuiltInDefaultDigestIsItsText) {
  EXPECT_EQ(digest::sha256_hex(default_policy_text()), default_policy_sha256());
}

TEST_F(GateLoading, KeyCoversEveryInput) {
  write(user, kDenyKubectl);
  const auto layers = Policy::read_layers(options());
  const std::string base = policy_cache::key_for(options(), layers);
  auto o = options();
  o.builtin_default = false;
  EXPECT_NE(policy_cache::key_for(o, layers), base);
  auto project = layers;
  project[0].project = true;
  EXPECT_NE(policy_cache::key_for(options(), project), base);
  auto renamed = layers;
  renamed[0].file = "/elsewhere/policy.toml";
  EXPECT_NE(policy_cache::key_for(options(), renamed), base);
  auto edited = layers;
  edited[0].text += "\n";
  EXPECT_NE(policy_cache::key_for(options(), edited), base);
  // Field boundaries are part of the key: moving text from the name into the content is another key.
  auto shifted = layers;
  shifted[0].file += "x";
  shifted[0].text = shifted[0].text.substr(1);
  EXPECT_NE(policy_cache::key_for(options(), shifted), base);
  // The API rules flag is not: a snapshot never holds the API rules' bodies.
  o = options();
  o.api_rules = true;
  EXPECT_EQ(policy_cache::key_for(o, layers), base);
}

}  // namespace
}  // namespace agentguard::policy
