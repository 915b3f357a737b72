#include "events/audit_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>

#include "service_client/service_client.hpp"
#include "support/digest.hpp"
#include "support/state_key.hpp"
#include "events/durable_file.hpp"
#include "events/event_json.hpp"

namespace agentguard::events {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path head_path(const fs::path& log_file) { return log_file.parent_path() / "audit.head"; }

std::runtime_error errno_error(const std::string& what, const fs::path& path) {
  return std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

// The last line of the file (without its newline) and whether the file ends in a newline.
struct Tail {
  std::string last_line;
  bool ends_with_newline = true;
};

Tail read_tail(int fd, off_t size) {
  Tail tail;
  if (size == 0) return tail;
  std::string buffer;
  off_t position = size;
  const off_t chunk = 4096;
  // Read backwards until the newline that starts the last line is inside the buffer.
  while (position > 0) {
    off_t start = position > chunk ? position - chunk : 0;
    std::string piece(static_cast<size_t>(position - start), '\0');
    ssize_t n = ::pread(fd, piece.data(), piece.size(), start);
    if (n < 0) throw std::runtime_error(std::string("cannot read the audit log: ") + std::strerror(errno));
    piece.resize(static_cast<size_t>(n));
    buffer = piece + buffer;
    position = start;
    if (buffer.size() > 1 && buffer.find('\n') < buffer.size() - 1) break;
  }
  tail.ends_with_newline = !buffer.empty() && buffer.back() == '\n';
  if (tail.ends_with_newline) buffer.pop_back();
  auto newline = buffer.rfind('\n');
  tail.last_line = newline == std::string::npos ? buffer : buffer.substr(newline + 1);
  return tail;
}

size_t count_lines(const fs::path& log_file) {
  std::ifstream in(log_file);
  size_t lines = 0;
  std::string line;
  while (std::getline(in, line)) ++lines;
  return lines;
}

void write_head(const fs::path& log_file, uint64_t records, const std::string& hash) {
  write_file_durably(head_path(log_file), json{{"records", records}, {"hash", hash}}.dump() + "\n");
}

json g_last_anchor;

// The state key for a new record: made on the first append to a state directory (by the gate or
// the CLI, never by a guarded process: the directory is protected from those).
std::optional<std::string> key_for_append(const fs::path& state_dir) {
  try {
    if (auto key = state_key::load(state_dir)) return key;
    state_key::ensure(state_dir);
    return state_key::load(state_dir);
  } catch (const std::exception&) {
    return std::nullopt;  // the record goes out without a MAC; verify says so where the key is read
  }
}

std::string describe(const json& record) {
  if (record.contains("seq") && record["seq"].is_number()) return "record #" + std::to_string(record["seq"].get<uint64_t>());
  return "record";
}

}  // namespace

fs::path audit_log_path(const fs::path& state_dir) { return state_dir / "audit.jsonl"; }

json last_audit_anchor() { return g_last_anchor; }

std::string audit_record_hash(const json& record) {
  json without_hash = record;
  without_hash.erase("hash");
  without_hash.erase("mac");
  std::string prev = record.value("prev", std::string());
  return digest::sha256_hex(prev + canonical_json(without_hash));
}

json append_audit_record(const fs::path& state_dir, const json& event) {
  fs::path log_file = audit_log_path(state_dir);
  FileLock lock(state_dir / "audit.lock");
  int fd = ::open(log_file.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw errno_error("cannot open the audit log", log_file);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  struct stat info {};
  if (::fstat(fd, &info) != 0) throw errno_error("cannot stat the audit log", log_file);
  Tail tail = read_tail(fd, info.st_size);

  std::string prev(kGenesisHash);
  uint64_t seq = 1;
  if (!tail.last_line.empty()) {
    json last = json::parse(tail.last_line, nullptr, false);
    if (!last.is_discarded() && last.is_object() && last.contains("hash") && last.contains("seq") &&
        last["hash"].is_string() && last["seq"].is_number_unsigned()) {
      prev = last["hash"].get<std::string>();
      seq = last["seq"].get<uint64_t>() + 1;
    } else {
      // A damaged last line: keep appending (verify will point at it), chained to its raw text.
      prev = digest::sha256_hex(tail.last_line);
      seq = count_lines(log_file) + 1;
    }
  }

  json record = {{"seq", seq}, {"prev", prev}, {"event", event}};
  record["hash"] = audit_record_hash(record);
  if (const auto key = key_for_append(state_dir)) record["mac"] = state_key::hmac_hex(*key, record["hash"].get<std::string>());
  std::string line = (tail.ends_with_newline ? "" : "\n") + canonical_json(record) + "\n";

  // One write() on an O_APPEND descriptor, under the lock: the line lands whole or not at all.
  ssize_t written = ::write(fd, line.data(), line.size());
  if (written != static_cast<ssize_t>(line.size())) {
    int saved = errno;
    if (written > 0) (void)::ftruncate(fd, info.st_size);  // never leave half a record behind
    errno = written < 0 ? saved : ENOSPC;
    throw errno_error("cannot append to the audit log", log_file);
  }
  if (::fsync(fd) != 0) throw errno_error("cannot fsync the audit log", log_file);
  write_head(log_file, seq, record["hash"].get<std::string>());
  g_last_anchor = {{"seq", seq}, {"hash", record["hash"]}};
  return record;
}

json record_event(const fs::path& state_dir, const json& event) {
  const auto& mode = service::mode();
  if (mode.kind == service::Mode::same_user) return append_audit_record(state_dir, event);
  if (mode.kind == service::Mode::unavailable)
    throw std::runtime_error(mode.why + "; the audit log is kept there, so nothing is written to the state directory");
  const json reply = service::call({{"op", "audit.append"}, {"event", event}});
  if (!reply.contains("seq") || !reply.contains("hash")) throw std::runtime_error("the agentguard service did not say where it recorded the event");
  g_last_anchor = {{"seq", reply["seq"]}, {"hash", reply["hash"]}};
  return g_last_anchor;
}

fs::path readable_audit_log(const fs::path& state_dir) {
  const auto& mode = service::mode();
  if (mode.kind == service::Mode::separated)
    if (const auto path = mode.hello.value("audit_log", std::string()); !path.empty()) return path;
  return audit_log_path(state_dir);
}

std::vector<AuditLine> read_audit_lines(const fs::path& log_file, size_t count) {
  std::vector<AuditLine> lines;
  std::ifstream in(log_file);
  std::string text;
  size_t number = 0;
  while (std::getline(in, text)) {
    ++number;
    AuditLine line{number, std::nullopt};
    json parsed = json::parse(text, nullptr, false);
    if (!parsed.is_discarded()) line.record = std::move(parsed);
    lines.push_back(std::move(line));
  }
  if (count > 0 && lines.size() > count) lines.erase(lines.begin(), lines.end() - static_cast<long>(count));
  return lines;
}

VerifyResult verify_audit_log(const fs::path& log_file, const std::optional<std::string>& key, bool key_exists) {
  VerifyResult result;
  result.macs_checked = key.has_value();
  if (!key)
    result.note = key_exists ? "the records' MACs were not checked: the state key cannot be read here (inside a guarded "
                               "tree it is sealed); run `agentguard audit verify` outside it"
                             : "the records' MACs were not checked: this state directory has no key yet";
  std::error_code ec;
  if (!fs::exists(log_file, ec)) return result;  // nothing written yet: nothing to doubt

  std::string content = read_whole_file(log_file);
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < content.size()) {
    size_t newline = content.find('\n', start);
    if (newline == std::string::npos) {
      lines.push_back(content.substr(start));
      break;
    }
    lines.push_back(content.substr(start, newline - start));
    start = newline + 1;
  }
  bool torn_end = !content.empty() && content.back() != '\n';

  std::vector<json> records(lines.size());
  std::map<uint64_t, size_t> line_of_seq;
  for (size_t i = 0; i < lines.size(); ++i) {
    records[i] = json::parse(lines[i], nullptr, false);
    if (!records[i].is_discarded() && records[i].is_object() && records[i].contains("seq") &&
        records[i]["seq"].is_number_unsigned())
      line_of_seq.emplace(records[i]["seq"].get<uint64_t>(), i + 1);
  }

  auto fail = [&](size_t line, std::string problem) {
    result.ok = false;
    result.line = line;
    result.problem = std::move(problem);
    return result;
  };

  std::string expected_prev(kGenesisHash);
  uint64_t expected_seq = 1;
  for (size_t i = 0; i < lines.size(); ++i) {
    size_t line = i + 1;
    const json& record = records[i];
    if (i + 1 == lines.size() && torn_end) return fail(line, "the last line is incomplete (a torn write or a cut file)");
    if (record.is_discarded() || !record.is_object())
      return fail(line, "not a valid JSON record (the line was edited or damaged)");
    if (!record.contains("seq") || !record["seq"].is_number_unsigned() || !record.contains("prev") ||
        !record["prev"].is_string() || !record.contains("hash") || !record["hash"].is_string() ||
        !record.contains("event") || !record["event"].is_object())
      return fail(line, "not an audit record: seq, prev, event or hash is missing or has the wrong type");

    uint64_t seq = record["seq"].get<uint64_t>();
    if (audit_record_hash(record) != record["hash"].get<std::string>())
      return fail(line, describe(record) + " was edited: its content does not match its hash");
    if (record["prev"].get<std::string>() != expected_prev) {
      if (seq != expected_seq) {
        if (auto it = line_of_seq.find(expected_seq); it != line_of_seq.end() && it->second != line)
          return fail(line, "records are out of order: found " + describe(record) + " where record #" +
                                std::to_string(expected_seq) + " belongs (it is at line " +
                                std::to_string(it->second) + ")");
        if (seq > expected_seq)
          return fail(line, seq - expected_seq > 1
                                ? "records #" + std::to_string(expected_seq) + "-#" + std::to_string(seq - 1) +
                                      " before this line were removed (found " + describe(record) + ")"
                                : "record #" + std::to_string(expected_seq) + " before this line was removed (found " +
                                      describe(record) + ")");
      }
      return fail(line, "the chain is broken: " + describe(record) +
                            " does not carry the hash of the record before it (a record before it was removed, "
                            "replaced or moved)");
    }
    if (seq != expected_seq)
      return fail(line, describe(record) + " has the wrong number: expected #" + std::to_string(expected_seq));
    if (key) {
      const bool has_mac = record.contains("mac") && record["mac"].is_string();
      if (!has_mac || !state_key::same_mac(record["mac"].get<std::string>(),
                                           state_key::hmac_hex(*key, record["hash"].get<std::string>())))
        return fail(line, describe(record) + (has_mac ? " has a wrong MAC" : " has no MAC") +
                              ": it was written or re-chained by someone without the state key");
    } else if (!key_exists && record.contains("mac")) {
      return fail(line, describe(record) + " carries a MAC, but the state key is gone (" +
                            state_key::file(log_file.parent_path()).string() + " was removed)");
    }
    expected_prev = record["hash"].get<std::string>();
    expected_seq = seq + 1;
    ++result.records;
  }

  // Records cut off the end leave the chain intact; audit.head remembers how long it was.
  fs::path head_file = head_path(log_file);
  if (fs::exists(head_file, ec)) {
    json head = json::parse(read_whole_file(head_file), nullptr, false);
    if (!head.is_discarded() && head.is_object() && head.contains("records") && head["records"].is_number_unsigned()) {
      uint64_t expected_records = head["records"].get<uint64_t>();
      std::string head_hash = head.value("hash", std::string());
      if (expected_records > result.records)
        return fail(0, "the last " + std::to_string(expected_records - result.records) + " record(s) were removed (" +
                           head_file.string() + " says the log had " + std::to_string(expected_records) + ")");
      if (expected_records == result.records && !head_hash.empty() && head_hash != expected_prev)
        return fail(lines.size(), "the last record was replaced: its hash differs from the one in " +
                                      head_file.string());
    }
  }
  return result;
}

VerifyResult verify_audit_log(const fs::path& log_file) {
  const fs::path state = log_file.parent_path();
  std::error_code ec;
  return verify_audit_log(log_file, state_key::load(state), fs::exists(state_key::file(state), ec));
}

AnchorResult verify_against_receiver(const fs::path& log_file, const fs::path& payloads) {
  AnchorResult result;
  const std::string text = read_whole_file(payloads);
  std::vector<json> items;
  const json whole = json::parse(text, nullptr, false);
  if (!whole.is_discarded() && whole.is_array()) {
    for (const auto& item : whole) items.push_back(item);
  } else {
    size_t start = 0;
    size_t number = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      ++number;
      const std::string line = text.substr(start, end - start);
      start = end + 1;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      json item = json::parse(line, nullptr, false);
      if (item.is_discarded()) {
        result.ok = false;
        result.problem = payloads.string() + ":" + std::to_string(number) + ": not a JSON payload";
        return result;
      }
      items.push_back(std::move(item));
    }
  }
  std::map<uint64_t, std::string> hash_of_seq;
  for (const auto& line : read_audit_lines(log_file)) {
    if (line.record && line.record->is_object() && line.record->contains("seq") && (*line.record)["seq"].is_number_unsigned() &&
        line.record->contains("hash") && (*line.record)["hash"].is_string())
      hash_of_seq[(*line.record)["seq"].get<uint64_t>()] = (*line.record)["hash"].get<std::string>();
  }
  for (const auto& item : items) {
    if (!item.is_object() || !item.contains("audit") || !item["audit"].is_object()) continue;
    const json& anchor = item["audit"];
    if (!anchor.contains("seq") || !anchor["seq"].is_number_unsigned() || !anchor.contains("hash") || !anchor["hash"].is_string())
      continue;
    const uint64_t seq = anchor["seq"].get<uint64_t>();
    const std::string id = item.value("id", std::string("?"));
    const auto it = hash_of_seq.find(seq);
    if (it == hash_of_seq.end()) {
      result.ok = false;
      result.problem = "record #" + std::to_string(seq) + " (event " + id + ", which the receiver got) is not in the log";
      return result;
    }
    if (it->second != anchor["hash"].get<std::string>()) {
      result.ok = false;
      result.problem = "record #" + std::to_string(seq) + " differs from what the receiver got for event " + id +
                       ": the log was rewritten from there on";
      return result;
    }
    ++result.anchors;
  }
  return result;
}

}  // namespace agentguard::events
