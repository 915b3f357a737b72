#include <gtest/gtest.h>

#include <fstream>

#include "events/event_json.hpp"
#include "events/spool.hpp"
#include "events_test_support.hpp"

namespace agentguard::events {
namespace {
namespace fs = std::filesystem;

nlohmann::json event_at(const std::string& id, const std::string& time) {
  Event event;
  event.id = id;
  event.time = time;
  return to_json(event);
}

TEST(EventsSpool, SpoolListUpdateDeliver) {
  testing::TempStateDir state;
  spool_event(state.path(), event_at("ev_b", "2026-11-26T03:40:02.000Z"));
  spool_event(state.path(), event_at("ev_a", "2026-11-26T03:40:01.000Z"));
  auto entries = list_spool(state.path());
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id(), "ev_a");  // oldest first
  EXPECT_EQ(entries[0].attempts, 0);

  entries[0].attempts = 3;
  entries[0].next_attempt_at = 1234;
  entries[0].last_error = "HTTP 500";
  entries[0].delivered_to = {"http://x"};
  save_spool_entry(entries[0]);
  auto again = list_spool(state.path());
  EXPECT_EQ(again[0].attempts, 3);
  EXPECT_EQ(again[0].next_attempt_at, 1234);
  EXPECT_EQ(again[0].last_error, "HTTP 500");
  EXPECT_EQ(again[0].delivered_to, std::vector<std::string>{"http://x"});

  mark_delivered(state.path(), again[0]);
  EXPECT_EQ(list_spool(state.path()).size(), 1u);
  EXPECT_TRUE(fs::exists(delivered_dir(state.path()) / "ev_a.json"));
}

TEST(EventsSpool, IgnoresTempFilesAndReportsUnreadableOnes) {
  testing::TempStateDir state;
  spool_event(state.path(), event_at("ev_a", "2026-11-26T03:40:01.000Z"));
  std::ofstream(spool_dir(state.path()) / ".ev_x.json.1.tmp") << "partial";
  std::ofstream(spool_dir(state.path()) / "ev_broken.json") << "{not json";
  size_t unreadable = 0;
  auto entries = list_spool(state.path(), &unreadable);
  EXPECT_EQ(entries.size(), 1u);
  EXPECT_EQ(unreadable, 1u);
}

TEST(EventsSpool, FileNameCannotEscapeTheSpool) {
  testing::TempStateDir state;
  fs::path file = spool_event(state.path(), event_at("../../etc/evil", "t"));
  EXPECT_EQ(file.parent_path(), spool_dir(state.path()));
}

}  // namespace
}  // namespace agentguard::events
