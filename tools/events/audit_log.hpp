#pragma once
// The hash-chained audit log: <state>/audit.jsonl, one JSON record per line:
//   {"seq":N,"prev":"<hash of record N-1, or 64 zeros>","event":{...},"hash":"<sha256>"}
// hash = SHA-256 over prev followed by the canonical JSON of the record without "hash".
// Appends from many processes are serialised by an flock on <state>/audit.lock and each line
// goes out in one write() on an O_APPEND descriptor, then fsync, so no line is torn or lost.
// <state>/audit.head remembers the record count and last hash, so removing records from the
// end is noticed too.
//
// Keyed: every record also carries "mac" = HMAC-SHA256 under the state key (common/state_key.hpp)
// of its "hash". The key is sealed from guarded processes, so a log re-chained by someone without
// it (a record removed, the rest re-hashed) fails `audit verify` where the key can be read. The
// outside anchor: every notification carries its record's seq and hash (payload "audit"), and
// `audit verify --against FILE` compares the log with what a receiver saved.
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
  bool macs_checked = false;  // false: the state key could not be read here (note says why)
  std::string note;
};
// `key`: the state key, or nullopt when it cannot be read (only the chain is checked then).
VerifyResult verify_audit_log(const std::filesystem::path& log_file, const std::optional<std::string>& key,
                              bool key_exists);

// The same with the key of the log's own state directory (its parent), when it can be read.
VerifyResult verify_audit_log(const std::filesystem::path& log_file);

// Compares the log with a receiver's saved payloads (JSON lines, or one JSON array, of json-format
// notification bodies): every "audit": {"seq", "hash"} must match the log's record with that seq.
struct AnchorResult {
  bool ok = true;
  size_t anchors = 0;  // payloads that carried an anchor and matched
  std::string problem;
};
AnchorResult verify_against_receiver(const std::filesystem::path& log_file, const std::filesystem::path& payloads);

// Appends the event where this process's records are kept: with the agentguard service in the
// separated mode (it adds who sent it, from the socket's peer credentials, and chains and MACs it
// with a key only it can read), else append_audit_record(state_dir). Returns {"seq", "hash"} at
// least. Throws std::runtime_error when the record cannot be written; a service that should be
// there but does not answer is such a case (never a fall back to the state directory).
nlohmann::json record_event(const std::filesystem::path& state_dir, const nlohmann::json& event);

// Where `agentguard log` and `audit verify` read: the service's log in the separated mode.
std::filesystem::path readable_audit_log(const std::filesystem::path& state_dir);

// The anchor of the record most recently appended by this process ({"seq", "hash"}), or null.
nlohmann::json last_audit_anchor();

struct AuditLine {
  size_t line = 0;
  std::optional<nlohmann::json> record;  // empty when the line is not valid JSON
};
// The last `count` lines of the log (all when count is 0); an absent log is empty.
std::vector<AuditLine> read_audit_lines(const std::filesystem::path& log_file, size_t count = 0);

}  // namespace agentguard::events
