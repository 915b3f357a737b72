// GCC 12's <regex> trips -Wmaybe-uninitialized inside libstdc++ under -fsanitize (a false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>
#include <set>

#include "events/event.hpp"
#include "events/event_json.hpp"
#include "events/process_info.hpp"

namespace agentguard::events {
namespace {

TEST(EventsMakeEvent, FillsWhoWhereAndWhen) {
  ::setenv("AGENTGUARD_SESSION", "sess-42", 1);
  Event event = make_event();
  ::unsetenv("AGENTGUARD_SESSION");
  EXPECT_TRUE(std::regex_match(event.id, std::regex(R"(ev_\d{8}T\d{6}Z_[0-9a-f]{16})"))) << event.id;
  EXPECT_TRUE(std::regex_match(event.time, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"))) << event.time;
  EXPECT_FALSE(event.host.empty());
  EXPECT_FALSE(event.user.empty());
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(event.cwd, cwd);
  EXPECT_EQ(event.pid, ::getpid());
  EXPECT_EQ(event.session, "sess-42");
  ASSERT_FALSE(event.parents.empty());
  EXPECT_EQ(event.parents.front().pid, ::getppid());
  EXPECT_LE(event.parents.size(), 16u);
  for (const auto& parent : event.parents) EXPECT_FALSE(parent.name.empty()) << parent.pid;
}

TEST(EventsMakeEvent, IdsAreUnique) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(make_event().id);
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(EventsMakeEvent, TimeFormat) {
  timespec when{1795665381, 7'000'000};
  EXPECT_EQ(format_rfc3339_ms(when), "2026-11-26T03:56:21.007Z");
}

TEST(EventsMakeEvent, JsonRoundTrip) {
  Event event = make_event();
  event.argv = {"terraform", "destroy"};
  event.resources = {"aws_db_instance.main"};
  event.decision = "deny";
  event.rule_id = "r";
  Event back = event_from_json(to_json(event));
  EXPECT_EQ(to_json(back), to_json(event));
  EXPECT_EQ(back.parents.size(), event.parents.size());
}

}  // namespace
}  // namespace agentguard::events
