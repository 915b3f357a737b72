#pragma once
// The hash-chained audit log: <state>/audit.jsonl, one JSON record per line:
//   {"seq":N,"prev":"<hash of record N-1, or 64 zeros>","event":{...},"hash":"<sha256>"}
// hash = SHA-256 over prev followed by the canonical JSON of the record without "hash".
// Appends from many processes are serialised by an flock on <state>/audit.lock and each line
// goes out in one write() on an O_APPEND descriptor, then fsync, so no line is torn or lost.
// <state>/audit.head remembers the record count and last hash, so removing records from the
// end is noticed too.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace agentguard::events {

inline constexpr std::string_view kGenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

std::filesystem::path audit_log_path(const std::filesystem::path& state_dir);

// The hash a record must carry (its own "hash" member, if present, is ignored).
std::string audit_record_hash(const nlohmann::json& record);

// Appends one event (already redacted) and returns the record as written. Throws
// std::runtime_error when the log cannot be written.
nlohmann::json append_audit_record(const std::filesystem::path& state_dir, const nlohmann::json& event);

struct VerifyResult {
  bool ok = true;
  size_t records = 0;   // records checked (all of them when ok)
  size_t line = 0;      // first bad line (1-based), 0 when ok or when the problem is at the end
  std::string problem;  // what is wrong there, in words
};
VerifyResult verify_audit_log(const std::filesystem::path& log_file);

struct AuditLine {
  size_t line = 0;
  std::optional<nlohmann::json> record;  // empty when the line is not valid JSON
};
// The last `count` lines of the log (all when count is 0); an absent log is empty.
std::vector<AuditLine> read_audit_lines(const std::filesystem::path& log_file, size_t count = 0);

}  // namespace agentguard::events
