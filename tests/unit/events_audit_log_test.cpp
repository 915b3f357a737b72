#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "events/audit_log.hpp"
#include "support/digest.hpp"
#include "events/event.hpp"
#include "events/event_json.hpp"
#include "events/spool.hpp"
#include "events_test_support.hpp"

namespace agentguard::events {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::string> read_lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void write_lines(const fs::path& file, const std::vector<std::string>& lines) {
  std::ofstream out(file, std::ios::trunc);
  for (const auto& line : lines) out << line << "\n";
}

json sample_event(int n) {
  Event event;
  event.id = "ev_test_" + std::to_string(n);
  event.time = "2026-11-26T03:40:0" + std::to_string(n % 10) + ".000Z";
  event.argv = {"terraform", "destroy", "-target=module.m" + std::to_string(n)};
  event.decision = "deny";
  event.rule_id = "terraform.destroy";
  return to_json(event);
}

// A log of `count` records in a fresh state directory.
fs::path make_log(const fs::path& state, int count) {
  for (int i = 1; i <= count; ++i) append_audit_record(state, sample_event(i));
  return audit_log_path(state);
}

TEST(EventsDigest, KnownSha256) {
  EXPECT_EQ(digest::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(EventsAuditLog, CanonicalJsonSortsKeysWithoutWhitespace) {
  json value = {{"zeta", 1}, {"alpha", {{"b", "x"}, {"a", json::array({1, 2})}}}};
  EXPECT_EQ(canonical_json(value), R"({"alpha":{"a":[1,2],"b":"x"},"zeta":1})");
}

TEST(EventsAuditLog, RecordHashIsShaOfPrevAndCanonicalRecordWithoutHash) {
  std::string zeros(kGenesisHash);
  json record = {{"seq", 1}, {"prev", zeros}, {"event", json::object()}};
  std::string expected = digest::sha256_hex(zeros + R"({"event":{},"prev":")" + zeros + R"(","seq":1})");
  EXPECT_EQ(audit_record_hash(record), expected);
  record["hash"] = "ignored";
  EXPECT_EQ(audit_record_hash(record), expected);
}

TEST(EventsAuditLog, AppendsChainedRecords) {
  testing::TempStateDir state;
  fs::path log = make_log(state.path(), 3);
  auto lines = read_lines(log);
  ASSERT_EQ(lines.size(), 3u);
  std::string prev(kGenesisHash);
  for (size_t i = 0; i < lines.size(); ++i) {
    json record = json::parse(lines[i]);
    EXPECT_EQ(record["seq"], i + 1);
    EXPECT_EQ(record["prev"], prev);
    EXPECT_EQ(record["hash"], audit_record_hash(record));
    EXPECT_EQ(record["event"]["id"], "ev_test_" + std::to_string(i + 1));
    prev = record["hash"];
  }
  auto result = verify_audit_log(log);
  EXPECT_TRUE(result.ok) << result.problem;
  EXPECT_EQ(result.records, 3u);
}

TEST(EventsAuditLog, EmptyOrMissingLogVerifies) {
  testing::TempStateDir state;
  auto result = verify_audit_log(audit_log_path(state.path()));
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.records, 0u);
}

TEST(EventsAuditLog, EditIsDetectedAtTheEditedRecord) {
  testing::TempStateDir state;
  fs::path log = make_log(state.path(), 5);
  auto lines = read_lines(log);
  auto pos = lines[2].find("\"deny\"");
  ASSERT_NE(pos, std::string::npos);
  lines[2].replace(pos, 6, "\"allow\"");
  write_lines(log, lines);
  auto result = verify_audit_log(log);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.line, 3u);
  EXPECT_NE(result.problem.find("edited"), std::string::npos) << result.problem;
  EXPECT_EQ(result.records, 2u);
}

TEST(EventsAuditLog, EditWithRecomputedHashIsDetectedAtTheNextRecord) {
  testing::TempStateDir state;
  fs::path log = make_log(state.path(), 4);
  auto lines = read_lines(log);
  json record = json::parse(lines[1]);
  record["event"]["decision"] = "allow";
  record["hash"] = audit_record_hash(record);
  lines[1] = canonical_json(record);
  write_lines(log, lines);
  auto result = verify_audit_log(log);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.line, 3u);
  EXPECT_NE(result.problem.find("chain is broken"), std::string::npos) << result.problem;
}

TEST(EventsAuditLog, DeletionIsDetectedWhereTheRecordWas) {
  testing::TempStateDir state;
  fs::path log = make_log(state.path(), 5);
  auto lines = read_lines(log);
  lines.erase(lines.begin() + 2);  // record #3
  write_lines(log, lines);
  auto result = verify_audit_log(log);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.line, 3u);
  EXPECT_NE(result.problem.find("record #3 before this line was removed"), std::string::npos) << result.problem;
}

TEST(EventsAuditLog, ReorderIsDetectedAtTheFirstMovedRecord) {
  testing::TempStateDir state;
  fs::path log = make_log(state.path(), 5);
  auto lines = read_lines(log);
  std::swap(lines[1], lines[3]);  // records #2 and #4
  write_lines(log, lines);
  auto result = verify_audit_log(log);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.line, 2u);
  EXPECT_NE(result.problem.find("out of order"), std::string::npos) << result.problem;
  EXPECT_NE(result.problem.find("line 4"), std::string::npos) << result.problem;
}

TEST(EventsAuditLog, RemovingTheLastRecordsIsDetectedThroughTheHead) {
  testing::TempStateDir state;
  fs::path log = make_log(state.path(), 5);
  auto lines = read_lines(log);
  lines.resize(3);
  write_lines(log, lines);
  auto result = verify_audit_log(log);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.problem.find("last 2 record(s) were removed"), std::string::npos) << result.problem;
}

TEST(EventsAuditLog, GarbageLineIsReported) {
  testing::TempStateDir state;
  fs::path log = make_log(state.path(), 2);
  {
    std::ofstream out(log, std::ios::app);
    out << "{\"seq\":3,";  // a torn write, no newline
  }
  auto result = verify_audit_log(log);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.line, 3u);
  // The next append starts on a fresh line, and verify still points at the damage.
  append_audit_record(state.path(), sample_event(9));
  result = verify_audit_log(log);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.line, 3u);
  EXPECT_EQ(read_lines(log).size(), 4u);
}

// 32 processes report at the same moment: 32 whole, chained records and 32 spooled events.
TEST(EventsAuditLog, ThirtyTwoConcurrentReportsGiveThirtyTwoChainedRecords) {
  testing::TempStateDir state;
  ::unsetenv("AGENTGUARD_WEBHOOK_URL");  // the woken notifiers have nowhere to send
  constexpr int kProcesses = 32;
  int start_gate[2];
  ASSERT_EQ(::pipe(start_gate), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(start_gate[1]);
      char byte;
      (void)::read(start_gate[0], &byte, 1);  // returns when the parent closes the pipe: all start together
      Event event = make_event();
      event.argv = {"terraform", "destroy", "-var", "db_password=hunter" + std::to_string(i)};
      event.program = "terraform";
      event.decision = "deny";
      event.rule_id = "terraform.destroy";
      event.message = "process " + std::to_string(i);
      ::_exit(report(event) ? 0 : 1);
    }
    children.push_back(pid);
  }
  ::close(start_gate[0]);
  ::close(start_gate[1]);
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }

  fs::path log = audit_log_path(state.path());
  auto result = verify_audit_log(log);
  EXPECT_TRUE(result.ok) << result.line << ": " << result.problem;
  EXPECT_EQ(result.records, static_cast<size_t>(kProcesses));
  std::set<std::string> ids, messages;
  for (const auto& line : read_lines(log)) {
    EXPECT_EQ(line.find("hunter"), std::string::npos) << "secret written to the audit log: " << line;
    json record = json::parse(line);
    ids.insert(record["event"]["id"].get<std::string>());
    messages.insert(record["event"]["message"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kProcesses));
  EXPECT_EQ(messages.size(), static_cast<size_t>(kProcesses));
  auto spooled = list_spool(state.path());
  std::set<std::string> spooled_ids;
  for (const auto& entry : spooled) spooled_ids.insert(entry.id());
  EXPECT_EQ(spooled_ids, ids);
}

}  // namespace
}  // namespace agentguard::events
