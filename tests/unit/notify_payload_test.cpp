#include <gtest/gtest.h>

#include "events/event_json.hpp"
#include "notify/payload.hpp"

namespace agentguard::notify {
namespace {
using nlohmann::json;

json sample() {
  events::Event e;
  e.id = "ev_1";
  e.time = "2026-11-26T03:00:00.000Z";
  e.host = "build-7";
  e.user = "ci";
  e.cwd = "/srv/infra/prod";
  e.pid = 4242;
  e.parents = {{4200, "bash"}, {4100, "claude"}};
  e.session = "s-1";
  e.argv = {"terraform", "destroy", "-target=module.db", "it's"};
  e.program = "terraform";
  e.resolved_path = "/usr/bin/terraform";
  e.decision = "deny";
  e.rule_id = "terraform.destroy";
  e.policy_file = "<built-in default>";
  e.message = "terraform destroy deletes every resource in the state.";
  return events::to_json(e);
}

Notification burst(size_t count) {
  Notification n = single_notification(sample());
  for (size_t i = 2; i <= count; ++i) n.event_ids.push_back("ev_" + std::to_string(i));
  n.last_time = "2026-11-26T03:00:40.000Z";
  return n;
}

TEST(NotifyPayload, CommandLineIsShellQuoted) {
  EXPECT_EQ(command_line(sample()), "terraform destroy -target=module.db 'it'\\''s'");
}

TEST(NotifyPayload, JsonCarriesSchemaAndEveryEventField) {
  json payload = render_payload(single_notification(sample()), "json");
  EXPECT_EQ(payload["schema"], "agentguard.event/1");
  const json event = sample();
  for (auto& [key, value] : event.items()) EXPECT_EQ(payload[key], value) << key;
  EXPECT_EQ(payload["count"], 1);
  EXPECT_EQ(payload["event_ids"], json::array({"ev_1"}));
  EXPECT_EQ(payload["first_time"], "2026-11-26T03:00:00.000Z");
}

TEST(NotifyPayload, JsonBurstHasCountAndIds) {
  json payload = render_payload(burst(3), "json");
  EXPECT_EQ(payload["count"], 3);
  EXPECT_EQ(payload["event_ids"], json::array({"ev_1", "ev_2", "ev_3"}));
  EXPECT_EQ(payload["last_time"], "2026-11-26T03:00:40.000Z");
}

TEST(NotifyPayload, SlackHasTextAndBlocksSayingWhatWhereWhy) {
  json payload = render_payload(burst(50), "slack");
  ASSERT_TRUE(payload["text"].is_string());
  std::string text = payload["text"];
  EXPECT_NE(text.find("blocked"), std::string::npos);
  EXPECT_NE(text.find("terraform destroy"), std::string::npos);
  EXPECT_NE(text.find("build-7"), std::string::npos);
  EXPECT_NE(text.find("50 times"), std::string::npos);
  ASSERT_TRUE(payload["blocks"].is_array());
  EXPECT_EQ(payload["blocks"][0]["type"], "header");
  std::string all = payload["blocks"].dump();
  for (const char* needle : {"/srv/infra/prod", "terraform.destroy", "deletes every resource", "ev_1", "*Repeated*\\n50 times"})
    EXPECT_NE(all.find(needle), std::string::npos) << needle;
  for (const auto& block : payload["blocks"]) {
    if (block.contains("text")) {
      EXPECT_LE(block["text"]["text"].get<std::string>().size(), 3000u);
    }
  }
}

TEST(NotifyPayload, DiscordHasBoundedContent) {
  json payload = render_payload(single_notification(sample()), "discord");
  ASSERT_TRUE(payload["content"].is_string());
  std::string content = payload["content"];
  EXPECT_NE(content.find("terraform destroy"), std::string::npos);
  EXPECT_NE(content.find("/srv/infra/prod"), std::string::npos);
  EXPECT_NE(content.find("terraform.destroy"), std::string::npos);  // '.' is not Markdown: left as it is
  // content, and mentions switched off: nothing in the message pings anyone.
  EXPECT_EQ(payload.size(), 2u);
  EXPECT_EQ(payload["allowed_mentions"], json({{"parse", json::array()}}));

  json huge = sample();
  huge["argv"] = json::array({"terraform", std::string(10000, 'x')});
  huge["message"] = std::string(5000, 'm');
  EXPECT_LE(render_payload(single_notification(huge), "discord")["content"].get<std::string>().size(), 2000u);
}

TEST(NotifyPayload, UnknownFormatIsAnError) {
  EXPECT_THROW(render_payload(single_notification(sample()), "xml"), std::invalid_argument);
}

}  // namespace
}  // namespace agentguard::notify

namespace agentguard::notify {
namespace {

Notification approval_request() {
  json event = sample();
  event["decision"] = "ask";
  Notification n = single_notification(event);
  n.approval = {{"id", "ev_1"},
                {"code", "ABCD-EFGH"},
                {"expires_unix", 1795665381},
                {"approve_command", "agentguard approve ev_1 ABCD-EFGH"},
                {"deny_command", "agentguard deny ev_1"}};
  return n;
}

TEST(NotifyApprovalPayload, EveryFormatCarriesTheApproveCommand) {
  Notification n = approval_request();
  EXPECT_EQ(n.dedupe_id(), "ev_1:approval");
  EXPECT_EQ(single_notification(sample()).dedupe_id(), "ev_1");

  json as_json = render_payload(n, "json");
  EXPECT_EQ(as_json["approval"]["code"], "ABCD-EFGH");
  EXPECT_EQ(as_json["decision"], "ask");

  json slack = render_payload(n, "slack");
  EXPECT_NE(slack["text"].get<std::string>().find("holding"), std::string::npos);
  EXPECT_NE(slack["text"].get<std::string>().find("agentguard approve ev_1 ABCD-EFGH"), std::string::npos);
  EXPECT_NE(slack["blocks"].dump().find("2026-11-26 03:56:21 UTC"), std::string::npos);

  json huge = sample();
  huge["decision"] = "ask";
  huge["message"] = std::string(5000, 'm');
  Notification big = approval_request();
  big.event = huge;
  std::string content = render_payload(big, "discord")["content"];
  EXPECT_LE(content.size(), 2000u);
  EXPECT_NE(content.find("agentguard approve ev_1 ABCD-EFGH"), std::string::npos);
}

TEST(NotifyApprovalPayload, OrdinaryEventsHaveNoApproval) {
  EXPECT_FALSE(render_payload(single_notification(sample()), "json").contains("approval"));
}

}  // namespace
}  // namespace agentguard::notify
