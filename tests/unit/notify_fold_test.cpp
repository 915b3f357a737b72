#include <gtest/gtest.h>

#include "events/event_json.hpp"
#include "notify/fold.hpp"

namespace agentguard::notify {
namespace {
using nlohmann::json;

json event(const std::string& id, const std::string& time, const std::string& rule, std::vector<std::string> argv) {
  events::Event e;
  e.id = id;
  e.time = time;
  e.rule_id = rule;
  e.argv = std::move(argv);
  e.decision = "deny";
  return events::to_json(e);
}

TEST(NotifyFold, ParsesEventTimes) {
  EXPECT_EQ(parse_event_time_ms("1970-01-01T00:00:01.250Z"), 1250);
  EXPECT_EQ(parse_event_time_ms("2026-11-26T03:56:21.007Z"), 1795665381007);
  EXPECT_EQ(parse_event_time_ms("garbage"), -1);
}

TEST(NotifyFold, SameRuleAndArgvWithinTheWindowFoldTogether) {
  std::vector<std::string> destroy = {"terraform", "destroy"};
  std::vector<json> events = {
      event("a", "2026-11-26T03:00:00.000Z", "tf.destroy", destroy),
      event("b", "2026-11-26T03:00:10.000Z", "tf.destroy", destroy),
      event("c", "2026-11-26T03:00:20.000Z", "tf.destroy", {"terraform", "destroy", "-auto-approve"}),  // other argv
      event("d", "2026-11-26T03:00:30.000Z", "other.rule", destroy),                                   // other rule
      event("e", "2026-11-26T03:01:00.000Z", "tf.destroy", destroy),  // exactly 60 s after a: still in
      event("f", "2026-11-26T03:01:00.001Z", "tf.destroy", destroy),  // just outside: a new burst
      event("g", "2026-11-26T03:01:30.000Z", "tf.destroy", destroy),
  };
  auto groups = fold_events(events, 60);
  std::vector<std::vector<size_t>> expected = {{0, 1, 4}, {2}, {3}, {5, 6}};
  EXPECT_EQ(groups, expected);
}

TEST(NotifyFold, FiftyRetriesBecomeOneNotification) {
  std::vector<json> events;
  for (int i = 0; i < 50; ++i) {
    char time[40];
    std::snprintf(time, sizeof time, "2026-11-26T03:00:%02d.%03dZ", i / 2, (i % 2) * 500);
    events.push_back(event("ev" + std::to_string(i), time, "aws.s3.rb", {"aws", "s3", "rb", "s3://prod"}));
  }
  auto groups = fold_events(events, 60);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].size(), 50u);
}

TEST(NotifyFold, WindowZeroDisablesFolding) {
  std::vector<json> events = {event("a", "2026-11-26T03:00:00.000Z", "r", {"x"}),
                              event("b", "2026-11-26T03:00:00.000Z", "r", {"x"})};
  EXPECT_EQ(fold_events(events, 0).size(), 2u);
}

}  // namespace
}  // namespace agentguard::notify
