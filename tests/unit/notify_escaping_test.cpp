// Agent-controlled text (argv, cwd, message) must not become markup in the human's channel: a
// directory named `<!here>` or an argument `<https://evil.example|Approve here>` must not turn into
// a Slack mention or link, nor `[Approve](https://evil)` into a Discord masked link or `@everyone`
// into a ping. Checked against each format's rules.
#include <gtest/gtest.h>


#include "approvals/approvals.hpp"
#include "events/event_json.hpp"
#include "notify/payload.hpp"

namespace agentguard::notify {
namespace {
using nlohmann::json;

const char* kHostileArg = "<https://evil.example|Approve here>";
const char* kHostileCwd = "/srv/<!here>/a&b";

Notification hostile(bool approval) {
  events::Event e;
  e.id = "ev_1";
  e.time = "2026-11-26T03:00:00.000Z";
  e.host = "build-7";
  e.user = "ci";
  e.cwd = kHostileCwd;
  e.argv = {"terraform", "apply", kHostileArg, "[Approve](https://evil.example)", "@everyone", "```", "*bold*"};
  e.program = "terraform";
  e.decision = "ask";
  e.rule_id = "plan-any-delete";
  e.message = "<!channel> approve <https://evil.example|here> & @here";
  Notification n = single_notification(events::to_json(e));
  if (approval) n.approval = {{"id", "ev_1"}, {"code", "ABCD-EFGH"}, {"expires_unix", 1800000000}, {"status", "pending"},
                              {"seq", 1}, {"approve_command", "agentguard approve ev_1 ABCD-EFGH"}, {"deny_command", "agentguard deny ev_1"}};
  return n;
}

// Every string Slack parses as mrkdwn: `text` and every mrkdwn object's text.
void collect_mrkdwn(const json& j, std::vector<std::string>& out) {
  if (j.is_object()) {
    if (j.value("type", "") == "mrkdwn" && j.contains("text")) out.push_back(j["text"]);
    for (auto& [k, v] : j.items()) collect_mrkdwn(v, out);
  } else if (j.is_array()) {
    for (auto& v : j) collect_mrkdwn(v, out);
  }
}

TEST(NotifyEscaping, SlackEscapesAmpersandAndAngleBracketsInEveryParsedText) {
  for (bool approval : {false, true}) {
    const json p = render_payload(hostile(approval), "slack");
    std::vector<std::string> texts{p["text"].get<std::string>()};
    collect_mrkdwn(p["blocks"], texts);
    bool saw_cwd = false, saw_arg = false;
    for (const auto& t : texts) {
      // Slack's control sequences are <...>; after escaping no raw `<` or `>` may come from the agent.
      // The only `<` left may be our own page link, which this notification does not have.
      EXPECT_EQ(t.find('<'), std::string::npos) << t;
      EXPECT_EQ(t.find('>'), std::string::npos) << t;
      // Every `&` starts one of the three escapes.
      for (size_t i = t.find('&'); i != std::string::npos; i = t.find('&', i + 1))
        EXPECT_TRUE(t.compare(i, 5, "&amp;") == 0 || t.compare(i, 4, "&lt;") == 0 || t.compare(i, 4, "&gt;") == 0) << t;
      saw_cwd = saw_cwd || t.find("/srv/&lt;!here&gt;/a&amp;b") != std::string::npos;
      saw_arg = saw_arg || t.find("&lt;https://evil.example|Approve here&gt;") != std::string::npos;
    }
    EXPECT_TRUE(saw_cwd);
    EXPECT_TRUE(saw_arg);
  }
}

TEST(NotifyEscaping, DiscordTurnsOffMentionsAndEscapesMarkdownOutsideCode) {
  for (bool approval : {false, true}) {
    const json p = render_payload(hostile(approval), "discord");
    EXPECT_EQ(p["allowed_mentions"], json({{"parse", json::array()}}));
    const std::string content = p["content"];
    // Outside code spans and blocks, no unescaped [, (, <, @ or * may come from the message.
    std::string outside;
    bool in_block = false, in_span = false;
    for (size_t i = 0; i < content.size(); ++i) {
      if (content.compare(i, 3, "```") == 0) {
        in_block = !in_block;
        i += 2;
        continue;
      }
      if (!in_block && content[i] == '`') {
        in_span = !in_span;
        continue;
      }
      if (!in_block && !in_span) outside += content[i];
    }
    // The message, the one agent-controlled text outside code, arrives with every markup character escaped.
    EXPECT_NE(outside.find("\\<!channel\\> approve \\<https\\://evil.example\\|here\\> & \\@here"), std::string::npos)
        << outside;
    EXPECT_EQ(outside.find("<!channel>"), std::string::npos);
    EXPECT_EQ(outside.find("[Approve]("), std::string::npos);
    EXPECT_EQ(outside.find(" @here"), std::string::npos);
    // A backtick from the agent cannot close the code block early.
    size_t fences = 0;
    for (size_t pos = content.find("```"); pos != std::string::npos; pos = content.find("```", pos + 3)) ++fences;
    EXPECT_EQ(fences, 2u) << content;
  }
}

TEST(NotifyEscaping, UpdatesOfARequestAreOrderedAndNeverCarryTheCode) {
  Notification n = hostile(false);
  n.approval = {{"id", "ev_1"}, {"status", "denied"}, {"seq", 2}, {"detail", "denied by ann@h: keep the db"}};
  EXPECT_EQ(n.dedupe_id(), "ev_1:approval:2");
  const json slack = render_payload(n, "slack");
  EXPECT_NE(slack["text"].get<std::string>().find("request ev_1 denied (denied by ann@h: keep the db)"), std::string::npos);
  EXPECT_EQ(slack.dump().find("To approve"), std::string::npos);
  const json pending = render_payload(hostile(true), "json");
  EXPECT_EQ(pending["approval"]["seq"], 1);
}

TEST(ApprovalDurations, EveryDurationHasItsTrueUnit) {
  EXPECT_EQ(approvals::duration_text(6), "6 seconds");
  EXPECT_EQ(approvals::duration_text(1), "1 second");
  EXPECT_EQ(approvals::duration_text(90), "90 seconds");
  EXPECT_EQ(approvals::duration_text(60), "1 minute");
  EXPECT_EQ(approvals::duration_text(600), "10 minutes");
  EXPECT_EQ(approvals::duration_text(150), "2 minutes 30 seconds");
  EXPECT_EQ(approvals::duration_text(7200), "2 hours");
}

TEST(ApprovalCode, ScryptHashMatchesOnlyTheCodeInAnySpelling) {
  const std::string code = approvals::new_code();
  const auto hash = approvals::hash_code(code);
  EXPECT_EQ(hash.hash_hex.find(code), std::string::npos);
  EXPECT_TRUE(approvals::code_matches(hash, code));
  std::string lower = code;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_TRUE(approvals::code_matches(hash, lower));
  EXPECT_FALSE(approvals::code_matches(hash, "AAAA-AAAA"));
  EXPECT_FALSE(approvals::code_matches(hash, ""));
  EXPECT_FALSE(approvals::code_matches(approvals::CodeHash{}, code));
}

TEST(ApprovalBinding, ArgvCwdAndPlanEachChangeIt) {
  const auto b = approvals::binding_of({"terraform", "apply"}, "/a", "deletes:delete x");
  EXPECT_EQ(b, approvals::binding_of({"terraform", "apply"}, "/a", "deletes:delete x"));
  EXPECT_NE(b, approvals::binding_of({"terraform", "apply", "-x"}, "/a", "deletes:delete x"));
  EXPECT_NE(b, approvals::binding_of({"terraform", "apply"}, "/b", "deletes:delete x"));
  EXPECT_NE(b, approvals::binding_of({"terraform", "apply"}, "/a", "deletes:delete y"));
  EXPECT_NE(approvals::binding_of({"a b"}, "/", ""), approvals::binding_of({"a", "b"}, "/", ""));
}

}  // namespace
}  // namespace agentguard::notify
