// The separated mode's service decides who may do what from the peer's credentials alone
// (tools/service/keeper.hpp). These tests give it peers as the kernel would name them and check
// every rule of the table in docs/architecture.md ("The separated mode").
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "approvals/approvals.hpp"
#include "core/protocol.hpp"
#include "events/audit_log.hpp"
#include "policy_layers/policy_cache.hpp"
#include "service/keeper.hpp"
#include "support/state_key.hpp"

namespace agentguard::service {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uid_t kAgent = 50001, kOtherAgent = 50002, kHuman = 50003;

Peer peer(uid_t uid, pid_t pid = 4242) {
  Peer p;
  p.uid = uid;
  p.gid = uid;
  p.pid = pid;
  p.user = "user" + std::to_string(uid);
  p.groups = {static_cast<gid_t>(uid)};
  return p;
}

class KeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ag-keeper-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    const char* old = std::getenv(protocol::kEnvStateDir);
    old_state_ = old ? old : "";
    ::setenv(protocol::kEnvStateDir, dir_.c_str(), 1);
    state_key::ensure(dir_);
  }
  void TearDown() override {
    if (old_state_.empty()) ::unsetenv(protocol::kEnvStateDir);
    else ::setenv(protocol::kEnvStateDir, old_state_.c_str(), 1);
    fs::remove_all(dir_);
  }
  KeeperConfig config() {
    KeeperConfig c;
    c.state_dir = dir_.string();
    c.agent_users = {kAgent, kOtherAgent};
    return c;
  }
  static json request(const std::string& id, const std::string& argv0 = "terraform") {
    approvals::Request r;
    r.id = id;
    r.argv = {argv0, "apply"};
    r.cwd = "/work";
    r.binding = "b-" + argv0;
    r.created_unix = 1;
    r.expires_unix = approvals::now_unix() + 600;
    return {{"op", "approvals.write_request"}, {"request", approvals::to_json(r)}};
  }
  fs::path dir_;
  std::string old_state_;
};

TEST_F(KeeperTest, OnlyTheRequestsOwnerUpdatesItAndItsLaunchNeverChanges) {
  Keeper k(config());
  ASSERT_TRUE(k.handle(peer(kAgent), request("ev_1"))["ok"]);
  EXPECT_EQ(approvals::files::read_request("ev_1")->owner_uid, static_cast<long>(kAgent));
  // Another agent user cannot take it over, and a human does not create requests.
  EXPECT_FALSE(k.handle(peer(kOtherAgent), request("ev_1"))["ok"]);
  EXPECT_FALSE(k.handle(peer(kHuman), request("ev_2"))["ok"]);
  // The owner may change who waits, not what was asked for (an approval cannot move to another launch).
  json moved = request("ev_1", "rm");
  EXPECT_FALSE(k.handle(peer(kAgent), moved)["ok"]);
  EXPECT_EQ(approvals::files::read_request("ev_1")->argv.front(), "terraform");
  json waiting = request("ev_1");
  waiting["request"]["waiter_pid"] = 77;
  EXPECT_TRUE(k.handle(peer(kAgent), waiting)["ok"]);
  EXPECT_EQ(approvals::files::read_request("ev_1")->waiter_pid, 77);
}

TEST_F(KeeperTest, AnswersComeFromAnotherUserAndNameWhoTheKernelSays) {
  Keeper k(config());
  ASSERT_TRUE(k.handle(peer(kAgent), request("ev_1"))["ok"]);
  const json forged = {{"op", "approvals.write_response"},
                       {"id", "ev_1"},
                       {"response", {{"decision", "approve"}, {"by", "definitely-a-human@ops"},
                                     {"approver", {{"uid", kHuman}, {"user", "root"}, {"pid", 1}}}}}};
  const json own = k.handle(peer(kAgent), forged);
  EXPECT_FALSE(own["ok"]);
  EXPECT_NE(own["error"].get<std::string>().find("cannot be answered by the user whose launch it holds"), std::string::npos);
  EXPECT_FALSE(k.handle(peer(kOtherAgent), forged)["ok"]);  // agent users do not answer (default approvers)
  EXPECT_FALSE(k.handle(peer(kAgent), {{"op", "approvals.add_wrong_code"}, {"id", "ev_1"}})["ok"]);
  EXPECT_EQ(k.handle(peer(kHuman), {{"op", "approvals.add_wrong_code"}, {"id", "ev_1"}})["wrong_codes"], 1);
  EXPECT_FALSE(approvals::files::read_response("ev_1"));
  const json answered = k.handle(peer(kHuman, 5150), forged);
  ASSERT_TRUE(answered["ok"]) << answered.dump();
  EXPECT_TRUE(answered["created"]);
  const auto response = approvals::files::read_response("ev_1");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->approver.uid, static_cast<long>(kHuman));
  EXPECT_EQ(response->approver.pid, 5150);
  EXPECT_EQ(response->approver.user, "user" + std::to_string(kHuman));
  EXPECT_EQ(response->by.rfind("user" + std::to_string(kHuman) + "@", 0), 0u) << response->by;
  // The first answer stands.
  EXPECT_FALSE(k.handle(peer(kHuman), forged)["created"]);
}

TEST_F(KeeperTest, OnlyTheOwnerRunsItAndOthersSeeNothing) {
  Keeper k(config());
  ASSERT_TRUE(k.handle(peer(kAgent), request("ev_1"))["ok"]);
  EXPECT_FALSE(k.handle(peer(kHuman), {{"op", "approvals.claim"}, {"id", "ev_1"}})["ok"]);
  EXPECT_FALSE(k.handle(peer(kHuman), {{"op", "approvals.write_outcome"}, {"id", "ev_1"}, {"status", "ran"}})["ok"]);
  EXPECT_TRUE(k.handle(peer(kHuman), {{"op", "approvals.write_outcome"}, {"id", "ev_1"}, {"status", "denied"}})["ok"]);
  EXPECT_TRUE(k.handle(peer(kAgent), {{"op", "approvals.claim"}, {"id", "ev_1"}})["claimed"]);
  EXPECT_FALSE(k.handle(peer(kAgent), {{"op", "approvals.claim"}, {"id", "ev_1"}})["claimed"]);
  // Another agent user neither sees nor lists it.
  EXPECT_FALSE(k.handle(peer(kOtherAgent), {{"op", "approvals.read_request"}, {"id", "ev_1"}}).contains("request"));
  EXPECT_TRUE(k.handle(peer(kOtherAgent), {{"op", "approvals.list"}})["requests"].empty());
  EXPECT_EQ(k.handle(peer(kHuman), {{"op", "approvals.list"}})["requests"].size(), 1u);
}

TEST_F(KeeperTest, ConfiguredApproversAloneMayAnswer) {
  KeeperConfig c = config();
  c.approver_users = {kHuman};
  Keeper k(c);
  EXPECT_TRUE(k.may_answer(peer(kHuman)));
  EXPECT_FALSE(k.may_answer(peer(50009)));  // not an agent user, but not an approver either
  EXPECT_FALSE(k.is_agent(peer(50009)));
  EXPECT_FALSE(k.is_agent(peer(0)));        // root's sessions stay in the same-user mode
  const json hello = k.handle(peer(kAgent), {{"op", "hello"}});
  EXPECT_TRUE(hello["served"]);
  EXPECT_FALSE(hello["may_answer"]);
}

TEST_F(KeeperTest, TheRecordNamesTheSenderAndOnlyTheServiceWritesIt) {
  Keeper k(config());
  const json reply = k.handle(peer(kAgent, 999), {{"op", "audit.append"},
                                                  {"event", {{"id", "ev_x"}, {"sent_by", {{"uid", 0}}}}}});
  ASSERT_TRUE(reply["ok"]) << reply.dump();
  const auto lines = events::read_audit_lines(events::audit_log_path(dir_));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ((*lines[0].record)["event"]["sent_by"]["uid"], kAgent);  // not the uid the client wrote
  EXPECT_EQ((*lines[0].record)["event"]["sent_by"]["pid"], 999);
  EXPECT_EQ((fs::status(events::audit_log_path(dir_)).permissions() & fs::perms::all),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  const json verified = k.handle(peer(kHuman), {{"op", "audit.verify"}});
  EXPECT_TRUE(verified["verified"]);
  EXPECT_TRUE(verified["macs_checked"]);
}

TEST_F(KeeperTest, ASessionsChannelIsRegisteredOnceAndReadByItsUserOnly) {
  Keeper k(config());
  const json channel = {{"webhooks", json::array({{{"url", "https://human.example/hook"}}})}};
  EXPECT_TRUE(k.handle(peer(kAgent), {{"op", "session.register"}, {"session", "s_1"}, {"channel", channel}})["ok"]);
  const json again = {{"op", "session.register"}, {"session", "s_1"}, {"channel", {{"webhooks", json::array()}}}};
  EXPECT_FALSE(k.handle(peer(kAgent), again)["ok"]);
  // Its own user learns which webhooks there are, never where they are or their secrets: the
  // service's notifiers send (notify.*).
  const json told = k.handle(peer(kAgent), {{"op", "session.channel"}, {"session", "s_1"}})["channel"];
  EXPECT_EQ(told["webhooks"], json::array({{{"name", "session"}, {"format", "json"}}})) << told;
  EXPECT_EQ(told.dump().find("human.example"), std::string::npos);
  EXPECT_FALSE(k.handle(peer(kOtherAgent), {{"op", "session.channel"}, {"session", "s_1"}}).contains("channel"));
  EXPECT_FALSE(k.handle(peer(kHuman), {{"op", "session.register"}, {"session", "s_2"}, {"channel", channel}})["ok"]);
  EXPECT_FALSE(k.handle(peer(kAgent), {{"op", "session.channel"}, {"session", "../x"}})["ok"]);
}

TEST_F(KeeperTest, OnlyTheSessionsUserNotifiesItsHumansAndOnlyAboutItsOwnRequests) {
  Keeper k(config());
  const json secret_channel = {{"webhooks", json::array({{{"url", "https://human.example/hook"}, {"secret", "s3cret"}}})}};
  ASSERT_TRUE(k.handle(peer(kAgent), {{"op", "session.register"}, {"session", "s_1"}, {"channel", {{"webhooks", json::array()}}}})["ok"]);
  ASSERT_TRUE(k.handle(peer(kOtherAgent), {{"op", "session.register"}, {"session", "s_2"}, {"channel", secret_channel}})["ok"]);
  const json event = {{"op", "notify.event"}, {"session", "s_1"}, {"event", {{"id", "ev_1"}}}};
  // No webhook: nothing is sent, and the caller is told so (never "a human has been notified").
  const json none = k.handle(peer(kAgent), event);
  EXPECT_TRUE(none["ok"]);
  EXPECT_FALSE(none["sent"]);
  // Another user's session, a human, no session, no event: refused.
  EXPECT_FALSE(k.handle(peer(kAgent), {{"op", "notify.event"}, {"session", "s_2"}, {"event", {{"id", "ev_1"}}}})["ok"]);
  EXPECT_FALSE(k.handle(peer(kHuman), event)["ok"]);
  EXPECT_FALSE(k.handle(peer(kAgent), {{"op", "notify.event"}, {"session", "s_9"}, {"event", {{"id", "ev_1"}}}})["ok"]);
  EXPECT_FALSE(k.handle(peer(kOtherAgent), {{"op", "notify.event"}, {"session", "s_2"}})["ok"]);
  // An approval request or update only about a request of the caller's own.
  ASSERT_TRUE(k.handle(peer(kAgent), request("ev_7"))["ok"]);
  EXPECT_FALSE(k.handle(peer(kOtherAgent), {{"op", "notify.approval_update"}, {"session", "s_2"}, {"id", "ev_7"}})["ok"]);
  EXPECT_FALSE(k.handle(peer(kOtherAgent), {{"op", "notify.approval_request"}, {"session", "s_2"},
                                            {"request", {{"approval", {{"id", "ev_7"}, {"code", "123456"}}}}}})["ok"]);
  EXPECT_FALSE(k.handle(peer(kOtherAgent), {{"op", "notify.approval_update"}, {"session", "s_2"}, {"id", "ev_nope"}})["ok"]);
}

TEST_F(KeeperTest, APolicyIsVouchedForUnderTheKeyOfTheTextsTheServiceParsed) {
  Keeper k(config());
  const std::vector<policy::LayerText> strict = {{"/etc/team.toml", "schema = 1\n", false}};
  const std::vector<policy::LayerText> lenient = {{"/etc/team.toml", "schema = 1\ndisable = [\"terraform-destroy\"]\n", false}};
  const auto ask = [&](const Peer& p, const std::vector<policy::LayerText>& layers) {
    json list = json::array();
    for (const auto& l : layers) list.push_back({{"file", l.file}, {"text", l.text}, {"project", l.project}});
    // A key the client names is not looked at: the service computes it from the texts.
    return k.handle(p, {{"op", "policy.compile"}, {"layers", list}, {"builtin_default", true}, {"key", "forged"}});
  };
  policy::LoadOptions options;
  const std::string strict_key = policy_cache::key_for(options, strict), lenient_key = policy_cache::key_for(options, lenient);
  const fs::path mine = policy_cache::vouched_directory(dir_, kAgent);
  const policy::ExecRequest destroy{"/nonexistent/bin/terraform", {"terraform", "destroy", "-auto-approve"}, {}, "/work"};

  const json made = ask(peer(kAgent), strict);
  ASSERT_TRUE(made["ok"]) << made;
  EXPECT_EQ(made["key"], strict_key);
  const auto pol = policy_cache::read_vouched(mine, ::geteuid(), strict_key, strict);
  ASSERT_TRUE(pol.has_value());
  EXPECT_EQ(pol->decide_exec(destroy).action, policy::Action::deny);
  const auto blob = policy_cache::vouched_api_rules(mine, ::geteuid(), strict_key);
  ASSERT_TRUE(blob.has_value());
  EXPECT_EQ(fs::status(*blob).permissions() & fs::perms::others_read, fs::perms::others_read);  // the preload maps it

  // Lenient texts get their own key, never the real files' one; nothing there is read for another owner.
  EXPECT_EQ(ask(peer(kAgent), lenient)["key"], lenient_key);
  EXPECT_NE(lenient_key, strict_key);
  EXPECT_EQ(policy_cache::read_vouched(mine, ::geteuid(), lenient_key, lenient)->decide_exec(destroy).action,
            policy::Action::allow);
  EXPECT_EQ(policy_cache::read_vouched(mine, ::geteuid(), strict_key, strict)->decide_exec(destroy).action,
            policy::Action::deny);
  EXPECT_FALSE(policy_cache::read_vouched(mine, ::geteuid() + 1, strict_key, strict).has_value());
  EXPECT_FALSE(policy_cache::vouched_api_rules(mine, ::geteuid() + 1, strict_key).has_value());

  // A broken layer is refused with its place; only agent users ask; malformed layers are refused.
  const json broken = ask(peer(kAgent), {{"/etc/team.toml", "schema = 1\n[[exec]\n", false}});
  EXPECT_FALSE(broken["ok"]);
  EXPECT_NE(broken["error"].get<std::string>().find("/etc/team.toml:2:"), std::string::npos) << broken;
  EXPECT_FALSE(ask(peer(kHuman), strict)["ok"]);
  EXPECT_FALSE(fs::exists(policy_cache::vouched_directory(dir_, kHuman)));
  EXPECT_FALSE(k.handle(peer(kAgent), {{"op", "policy.compile"}, {"layers", json::array({{{"file", 1}}})}})["ok"]);
  EXPECT_FALSE(k.handle(peer(kAgent), {{"op", "policy.compile"}})["ok"]);
}

}  // namespace
}  // namespace agentguard::service
