// `agentguard audit verify` and `agentguard log`: check and read the hash-chained audit log.
#include <sys/ioctl.h>
#include <unistd.h>

#include <fnmatch.h>

#include <algorithm>
#include <ctime>
#include <regex>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "commands.hpp"
#include "core/protocol.hpp"
#include "support/paths.hpp"
#include "support/state_key.hpp"
#include "events/audit_log.hpp"
#include "notify/payload.hpp"
#include "service_client/service_client.hpp"

namespace agentguard::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path log_file_or_default(const std::string& file) {
  // Separated mode: the service's log (readable by every user, written by the service alone).
  return file.empty() ? events::readable_audit_log(paths::state_dir()) : fs::path(file);
}

int terminal_width() {
  winsize size{};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 60) return size.ws_col;
  if (const char* columns = std::getenv("COLUMNS")) {
    int value = std::atoi(columns);
    if (value >= 60) return value;
  }
  return 140;
}

// Shortened to `width` characters: the end is cut ("...") or, for paths, the start.
std::string fit(const std::string& text, size_t width, bool keep_end = false) {
  if (text.size() <= width) return text;
  if (width <= 3) return text.substr(0, width);
  return keep_end ? "..." + text.substr(text.size() - (width - 3)) : text.substr(0, width - 3) + "...";
}

std::string pad(const std::string& text, size_t width) { return text + std::string(width > text.size() ? width - text.size() : 0, ' '); }

std::string home_shortened(const std::string& path) {
  std::string home = paths::home_dir();
  if (home.size() > 1 && path.rfind(home, 0) == 0 && (path.size() == home.size() || path[home.size()] == '/'))
    return "~" + path.substr(home.size());
  return path;
}

struct Columns {
  size_t time = 19, decision = 8, rule = 26, program = 14, cwd = 28, command = 40;
};

Columns layout() {
  Columns c;
  int used = static_cast<int>(c.time + c.decision + c.rule + c.program + c.cwd + 5 * 2);
  c.command = static_cast<size_t>(std::max(20, terminal_width() - used));
  return c;
}

void print_header(const Columns& c) {
  std::cout << pad("TIME (UTC)", c.time) << "  " << pad("DECISION", c.decision) << "  " << pad("RULE", c.rule) << "  "
            << pad("PROGRAM", c.program) << "  " << pad("CWD", c.cwd) << "  COMMAND\n";
}

void print_row(const events::AuditLine& line, const Columns& c) {
  if (!line.record || !line.record->is_object() || !line.record->contains("event")) {
    std::cout << "(line " << line.line << ": not a readable audit record; run `agentguard audit verify`)\n";
    return;
  }
  const json& e = (*line.record)["event"];
  std::string time = e.value("time", std::string());
  if (time.size() >= 19) time = time.substr(0, 10) + " " + time.substr(11, 8);
  std::string program = e.value("program", std::string());
  if (e.value("kind", std::string()) == "http")
    program = e.value("service", std::string()) + ":" + e.value("operation", std::string());
  if (program.empty() && e.contains("argv") && e["argv"].is_array() && !e["argv"].empty() && e["argv"][0].is_string())
    program = fs::path(e["argv"][0].get<std::string>()).filename().string();
  std::cout << pad(fit(time, c.time), c.time) << "  " << pad(fit(e.value("decision", std::string()), c.decision), c.decision)
            << "  " << pad(fit(e.value("rule_id", std::string()), c.rule), c.rule) << "  "
            << pad(fit(program, c.program), c.program) << "  "
            << pad(fit(home_shortened(e.value("cwd", std::string())), c.cwd, true), c.cwd) << "  "
            << fit(notify::command_line(e), c.command) << "\n";
}

// `log --since --decision --rule`: which records to show. Unreadable lines are always shown (they
// are what `audit verify` is for).
struct LogFilter {
  std::string since;                   // ISO-8601 UTC, compared as text with the record's `time`
  std::vector<std::string> decisions;  // any of them
  std::vector<std::string> rules;      // globs on rule_id, any of them
  bool any() const { return !since.empty() || !decisions.empty() || !rules.empty(); }
  bool keeps(const events::AuditLine& line) const {
    if (!line.record || !line.record->is_object() || !line.record->contains("event")) return true;
    const json& e = (*line.record)["event"];
    const std::string time = e.value("time", std::string());
    if (!since.empty() && time.substr(0, since.size()) < since) return false;
    if (!decisions.empty() &&
        std::find(decisions.begin(), decisions.end(), e.value("decision", std::string())) == decisions.end())
      return false;
    if (!rules.empty()) {
      const std::string rule = e.value("rule_id", std::string());
      if (std::none_of(rules.begin(), rules.end(), [&](const std::string& g) { return fnmatch(g.c_str(), rule.c_str(), 0) == 0; }))
        return false;
    }
    return true;
  }
};

// --since: a duration back from now (90s, 30m, 2h, 7d) or a UTC date/time (2026-12-06, 2026-12-06T17:00,
// 2026-12-06 17:00:00). Returned as the ISO-8601 prefix records are compared with.
std::string since_time(const std::string& text) {
  static const std::regex duration(R"(^(\d+)([smhdw])$)");
  static const std::regex stamp(R"(^(\d{4}-\d{2}-\d{2})([T ](\d{2}:\d{2}(:\d{2})?))?Z?$)");
  std::smatch m;
  if (std::regex_match(text, m, duration)) {
    const long long n = std::stoll(m[1]);
    const char u = m[2].str()[0];
    const long long unit = u == 's' ? 1 : u == 'm' ? 60 : u == 'h' ? 3600 : u == 'd' ? 86400 : 604800;
    const std::time_t at = std::time(nullptr) - static_cast<std::time_t>(n * unit);
    std::tm tm{};
    gmtime_r(&at, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
  }
  if (std::regex_match(text, m, stamp)) return m[3].matched ? m[1].str() + "T" + m[3].str() : m[1].str();
  throw CLI::ValidationError("--since", "'" + text + "' is neither a duration (30m, 2h, 7d) nor a UTC date/time "
                                        "(2026-12-06, 2026-12-06T17:00)");
}

void print_line(const events::AuditLine& line, bool as_json, const Columns& c) {
  if (as_json) {
    if (line.record)
      std::cout << line.record->dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    else
      std::cout << json{{"unreadable_line", line.line}}.dump() << "\n";
  } else {
    print_row(line, c);
  }
}

// Prints complete lines appended after `offset` and moves it past them.
void print_new_lines(const fs::path& file, std::streamoff& offset, size_t& line_number, bool as_json, const Columns& c,
                     const LogFilter& filter) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return;
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < offset) offset = 0, line_number = 0;  // the log was replaced
  in.seekg(offset);
  std::string text;
  while (std::getline(in, text)) {
    if (in.eof()) break;  // no newline yet: the line is still being written
    offset = in.tellg();
    events::AuditLine line{++line_number, std::nullopt};
    json parsed = json::parse(text, nullptr, false);
    if (!parsed.is_discarded()) line.record = std::move(parsed);
    if (filter.keeps(line)) print_line(line, as_json, c);
  }
  std::cout.flush();
}

void run_verify(const std::string& file, const std::string& against) {
  fs::path path = log_file_or_default(file);
  events::VerifyResult result;
  const bool by_the_service = file.empty() && service::mode().kind == service::Mode::separated;
  try {
    if (by_the_service) {
      // Separated mode: only the service can read the key, so it checks the chain and the MACs.
      const json r = service::call({{"op", "audit.verify"}});
      result.ok = r.value("verified", false);
      result.records = r.value("records", size_t{0});
      result.line = r.value("line", size_t{0});
      result.problem = r.value("problem", std::string());
      result.macs_checked = r.value("macs_checked", false);
      result.note = r.value("note", std::string());
    }
    if (!by_the_service) {
    // The state key checks the records' MACs. Inside a guarded session it is sealed: not even
    // tried there (a refused read would be recorded as an attempt on the guard's files).
    const fs::path state = paths::state_dir();
    std::error_code ec;
    const bool key_exists = fs::exists(state_key::file(state), ec);
    const bool sealed_here = std::getenv(protocol::kEnvSealed) != nullptr && std::getenv(protocol::kEnvSession) != nullptr;
    result = events::verify_audit_log(path, sealed_here ? std::nullopt : state_key::load(state), key_exists);
    }
  } catch (const std::exception& error) {
    std::cerr << "agentguard: cannot check the audit log: " << error.what() << "\n";
    throw CLI::RuntimeError(2);
  }
  events::AnchorResult anchors;
  if (result.ok && !against.empty()) {
    try {
      anchors = events::verify_against_receiver(path, against);
    } catch (const std::exception& error) {
      std::cerr << "agentguard: cannot read the receiver's payloads: " << error.what() << "\n";
      throw CLI::RuntimeError(2);
    }
    if (!anchors.ok) {
      std::cout << "FAILED: " << path.string() << ": " << anchors.problem << " (compared with " << against << ")\n";
      throw CLI::RuntimeError(1);
    }
  }
  if (result.ok) {
    std::cout << "ok: " << result.records << " records in " << path.string()
              << (result.macs_checked ? by_the_service ? ", every MAC checked by the agentguard service with its key"
                                                       : ", every MAC checked with the state key"
                                      : "");
    if (!against.empty())
      std::cout << "; " << anchors.anchors << " record(s) match what the receiver saved in " << against;
    std::cout << "\n";
    if (!result.note.empty()) std::cout << "note: " << result.note << "\n";
    return;
  }
  std::cout << "FAILED: " << path.string();
  if (result.line > 0) std::cout << ":" << result.line;
  std::cout << ": " << result.problem << "\n";
  std::cout << "The " << result.records << " record(s) before it are intact. The log was edited, cut or reordered "
            << "after it was written; compare with the notifications your webhooks received.\n";
  throw CLI::RuntimeError(1);
}

void run_log(size_t count, bool as_json, bool follow, const std::string& file, const LogFilter& filter) {
  fs::path path = log_file_or_default(file);
  Columns c = layout();
  std::error_code ec;
  if (!fs::exists(path, ec) && !follow) {
    if (!as_json) std::cout << "no events yet (" << path.string() << " does not exist)\n";
    return;
  }
  if (!as_json) print_header(c);
  std::streamoff offset = 0;
  size_t line_number = 0;
  if (!follow || count > 0) {
    // With a filter, the last `count` records that pass it.
    auto lines = events::read_audit_lines(path, filter.any() ? 0 : count);
    std::vector<const events::AuditLine*> shown;
    for (const auto& line : lines)
      if (filter.keeps(line)) shown.push_back(&line);
    if (count > 0 && shown.size() > count) shown.erase(shown.begin(), shown.end() - static_cast<long>(count));
    for (const auto* line : shown) print_line(*line, as_json, c);
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    offset = in ? static_cast<std::streamoff>(in.tellg()) : 0;
    line_number = lines.empty() ? 0 : lines.back().line;
  }
  std::cout.flush();
  while (follow) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    print_new_lines(path, offset, line_number, as_json, c, filter);
  }
}

}  // namespace

void add_audit_commands(CLI::App& app) {
  auto* audit = app.add_subcommand("audit", "The tamper-evident audit log");
  audit->require_subcommand(1);
  audit->footer("Example:\n  agentguard audit verify");
  auto* verify = audit->add_subcommand(
      "verify", "Check the hash chain; report the first record that was edited, removed or reordered (exit 1)");
  auto verify_file = std::make_shared<std::string>();
  verify->add_option("--file", *verify_file, "Audit log to check (default: <state dir>/audit.jsonl)");
  verify->footer("Examples:\n  agentguard audit verify\n  agentguard audit verify --file /backup/audit.jsonl\n"
                 "  agentguard audit verify --against receiver-payloads.jsonl\n"
                 "Exit status: 0 when every record is intact and chained, 1 at the first broken one.");
  auto against = std::make_shared<std::string>();
  verify->add_option("--against", *against,
                     "A webhook receiver's saved payloads (JSON lines or a JSON array of json-format bodies): each "
                     "record they name must match the log")
      ->check(CLI::ExistingFile);
  verify->callback([verify_file, against] { run_verify(*verify_file, *against); });

  auto* log = app.add_subcommand("log", "Show recent events (blocked, asked, logged) as a table");
  auto count = std::make_shared<size_t>(20);
  auto as_json = std::make_shared<bool>(false);
  auto follow = std::make_shared<bool>(false);
  auto log_file = std::make_shared<std::string>();
  log->add_option("-n,--lines", *count, "How many recent events (0 = all)")->capture_default_str();
  log->add_flag("--json", *as_json, "One audit record per line, as JSON (for machines)");
  log->add_flag("-f,--follow", *follow, "Keep watching and print new events as they happen");
  log->add_option("--file", *log_file, "Audit log to read (default: <state dir>/audit.jsonl)");
  auto since = std::make_shared<std::string>();
  auto decisions = std::make_shared<std::vector<std::string>>();
  auto rules = std::make_shared<std::vector<std::string>>();
  log->add_option("--since", *since, "Only events since a duration ago (30m, 2h, 7d) or a UTC date/time (2026-12-06T17:00)");
  log->add_option("--decision", *decisions,
                  "Only events with this decision: deny, ask, log or approved (repeatable, or deny,ask)")
      ->delimiter(',')
      ->allow_extra_args(false);
  log->add_option("--rule", *rules, "Only events whose rule id matches this glob, e.g. 'terraform-*' (repeatable)")
      ->allow_extra_args(false);
  log->footer("Examples:\n  agentguard log              # the last 20 events\n  agentguard log -n 0 --json  # everything, for jq\n"
              "  agentguard log --follow     # watch refusals as they happen\n"
              "  agentguard log --since 2h --decision deny,ask\n"
              "  agentguard log --rule 'plan-*' --json\n"
              "With a filter, -n counts the events that pass it.");
  log->callback([=] {
    LogFilter filter{since->empty() ? "" : since_time(*since), *decisions, *rules};
    run_log(*count, *as_json, *follow, *log_file, filter);
  });
}

}  // namespace agentguard::cli
