// The TOML loader: every error names file:line:col, and a broken policy never loads.
#include <gtest/gtest.h>

#include <fstream>

#include "agentguard/api_rules.hpp"
#include "agentguard/policy.hpp"
#include "agentguard/policy_sections.hpp"
#include "policy_test_support.hpp"

namespace agentguard::policy {
namespace {

// The error's "file:line:col: message" for a policy text that must not load.
std::string load_error(const std::string& text) {
  try {
    Policy::from_text(text, "p.toml");
  } catch (const PolicyError& e) {
    return e.what();
  }
  return "(loaded)";
}

const char* kRuleHead = "schema = 1\n[[exec]]\nid = \"r\"\naction = \"deny\"\n";

TEST(PolicyLoader, UnknownTopLevelKey) {
  EXPECT_EQ(load_error("schema = 1\nbogus = 3\n"),
            "p.toml:2:1: unknown top-level key `bogus` (expected schema, disable, exec, plan, api, notify, approval, launch)");
}

TEST(PolicyLoader, LaunchSectionIsChecked) {
  EXPECT_EQ(load_error("schema = 1\n[launch]\nunknown_setuid = \"maybe\"\n"),
            "p.toml:3:18: `unknown_setuid` must be \"allow\", \"log\" or \"deny\"");
  EXPECT_EQ(load_error("schema = 1\n[launch]\nstrict = 1\n"), "p.toml:3:10: `strict` must be true or false, not an integer");
  EXPECT_EQ(load_error("schema = 1\n[launch]\nstrikt = true\n"),
            "p.toml:3:1: unknown key `strikt` in [launch] (expected strict, unknown_setuid)");
}

TEST(PolicyLoader, UnknownRuleKeyPointsAtTheKey) {
  std::string e = load_error(std::string(kRuleHead) + "program = [\"terraform\"]\n  comand = [\"destroy\"]\n");
  EXPECT_EQ(e.rfind("p.toml:6:3: unknown key `comand` in [[exec]]", 0), 0u) << e;
}

TEST(PolicyLoader, UnknownKeyInUnlessAndExamples) {
  EXPECT_EQ(load_error(std::string(kRuleHead) + "program = \"aws\"\nunless = { flagz = [\"x\"] }\n")
                .rfind("p.toml:6:12: unknown key `flagz` in `unless`", 0),
            0u);
  EXPECT_EQ(load_error(std::string(kRuleHead) + "program = \"aws\"\nexamples.matches = [\"aws\"]\n")
                .rfind("p.toml:6:10: unknown key `matches` in `examples`", 0),
            0u);
}

TEST(PolicyLoader, WrongTypes) {
  EXPECT_EQ(load_error("schema = \"1\"\n"), "p.toml:1:10: `schema` must be an integer, not a string");
  EXPECT_EQ(load_error(std::string(kRuleHead) + "program = 3\n"),
            "p.toml:5:11: `program` must be a string or an array of strings, not an integer");
  EXPECT_EQ(load_error(std::string(kRuleHead) + "program = [\"aws\", 7]\n"),
            "p.toml:5:19: `program` entries must be strings, not an integer");
  EXPECT_EQ(load_error(std::string(kRuleHead) + "program = \"aws\"\nenv = \"X\"\n"),
            "p.toml:6:7: `env` must be a table of NAME = \"glob\", not a string");
  EXPECT_EQ(load_error("schema = 1\ndisable = \"x\"\n"), "p.toml:2:11: `disable` must be an array of rule ids, not a string");
  EXPECT_EQ(load_error("schema = 1\nexec = 1\n"), "p.toml:2:8: `exec` must be an array of tables ([[exec]]), not an integer");
}

TEST(PolicyLoader, BadGlob) {
  EXPECT_EQ(load_error(std::string(kRuleHead) + "program = \"aws\"\ncommand = [\"s3 r[b\"]\n"),
            "p.toml:6:12: `command`: bad pattern \"r[b\": unclosed '[' at offset 1");
  EXPECT_EQ(load_error(std::string(kRuleHead) + "program = \"aws\"\ncwd = \"/srv/]x\"\n"),
            "p.toml:6:7: `cwd`: bad pattern \"/srv/]x\": ']' without '[' at offset 5");
  EXPECT_EQ(load_error(std::string(kRuleHead) + "program = \"aws\"\nflags = [\"-destroy\"]\n"),
            "p.toml:6:10: `flags`: write flag names without dashes (\"-destroy\")");
}

TEST(PolicyLoader, DuplicateIdAndUnknownAction) {
  std::string twice = std::string(kRuleHead) + "program = \"aws\"\n[[exec]]\nid = \"r\"\naction = \"deny\"\nprogram = \"aws\"\n";
  EXPECT_EQ(load_error(twice), "p.toml:6:1: duplicate rule id \"r\"");
  EXPECT_EQ(load_error("schema = 1\n[[exec]]\nid = \"r\"\naction = \"block\"\nprogram = \"aws\"\n"),
            "p.toml:4:10: unknown action \"block\" (expected deny, allow, ask or log)");
}

TEST(PolicyLoader, MissingPiecesAndSyntax) {
  EXPECT_EQ(load_error("[[exec]]\nid = \"r\"\naction = \"deny\"\nprogram = \"aws\"\n"),
            "p.toml:1:1: missing `schema = 1` at the top of the policy");
  EXPECT_EQ(load_error("schema = 2\n"), "p.toml:1:10: unsupported policy schema 2 (this agentguard reads schema 1)");
  EXPECT_EQ(load_error("schema = 1\n[[exec]]\nid = \"r\"\naction = \"deny\"\n"),
            "p.toml:2:1: rule r: needs at least one match key (program, command, flags, env, cwd, plan)");
  EXPECT_EQ(load_error("schema = 1\n[[exec]]\naction = \"deny\"\nprogram = \"aws\"\n"), "p.toml:2:1: [[exec]] rule without `id`");
  std::string syntax = load_error("schema = 1\nx = [1,\n");
  EXPECT_EQ(syntax.rfind("p.toml:", 0), 0u) << syntax;
  EXPECT_NE(syntax.find("TOML syntax error"), std::string::npos) << syntax;
}

TEST(PolicyLoader, ErrorCarriesLocationObject) {
  try {
    Policy::from_text("schema = 1\n\nbogus = true\n", "/etc/x.toml");
    FAIL() << "loaded";
  } catch (const PolicyError& e) {
    EXPECT_EQ(e.where().file, "/etc/x.toml");
    EXPECT_EQ(e.where().line, 3);
    EXPECT_EQ(e.where().column, 1);
  }
}

TEST(PolicyLoader, MissingFileIsAnErrorNotAnAllow) {
  LoadOptions options;
  options.files = {"/nonexistent/agentguard/policy.toml"};
  EXPECT_THROW(Policy::load(options), PolicyError);
}

TEST(PolicyLoader, NotifyAndApiSectionsAreKeptAsWritten) {
  test::TempDir dir;
  std::string file = (dir.path / "user.toml").string();
  std::ofstream(file) << "schema = 1\n[notify]\nwebhooks = [{ url = \"http://127.0.0.1:9/hook\" }]\n[[api]]\nid = \"scratch-log\"\naction = \"log\"\nmatch = \"s3:DeleteObject\"\n";
  LoadOptions options;
  options.files = {file};
  Policy policy = Policy::load(options);
  auto notify = policy.sections("notify");
  ASSERT_EQ(notify.size(), 1u);
  EXPECT_EQ(notify[0].file, file);
  EXPECT_EQ(toml::find<std::string>(toml::find<toml::array>(notify[0].value, "webhooks").at(0), "url"), "http://127.0.0.1:9/hook");
  EXPECT_EQ(notify[0].value.location().line(), 2u);
  auto api = policy.sections("api");
  ASSERT_EQ(api.size(), 2u);  // the built-in default's API rules, then this file's
  EXPECT_EQ(api[1].file, file);
  EXPECT_TRUE(api[1].value.is_array());
  EXPECT_EQ(policy.api_rules().back().id, "scratch-log");
  EXPECT_TRUE(policy.sections("exec").size() <= 2);
  EXPECT_EQ(policy.files(), (std::vector<std::string>{"<built-in default>", file}));
}

}  // namespace
}  // namespace agentguard::policy
