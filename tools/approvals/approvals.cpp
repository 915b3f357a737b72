#include "approvals.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "support/digest.hpp"
#include "support/paths.hpp"

namespace agentguard::approvals {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Reading never creates the state directory (a lingering notifier must not bring back a removed one).
fs::path dir() { return paths::state_dir() / "approvals"; }
fs::path writable_dir() {
  fs::path d = paths::ensure_state_dir() / "approvals";
  fs::create_directories(d);
  return d;
}

fs::path file(const std::string& id, const char* kind) { return dir() / (id + "." + kind + ".json"); }
fs::path new_file(const std::string& id, const char* kind) { return writable_dir() / (id + "." + kind + ".json"); }

std::optional<json> read_json(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return std::nullopt;
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

// Written whole and renamed into place, so a reader never sees half a file.
void write_atomically(const fs::path& p, const std::string& text) {
  const fs::path tmp = p.string() + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, p);
}

bool create_exclusively(const fs::path& p, const std::string& text) {
  const int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  fsync(fd);
  close(fd);
  return ok;
}

std::string unit(std::int64_t n, const char* one) { return std::to_string(n) + " " + one + (n == 1 ? "" : "s"); }

}  // namespace

std::string clock_text(std::int64_t unix_time, const char* format) {
  const auto t = static_cast<std::time_t>(unix_time);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[64];
  return std::strftime(text, sizeof text, format, &utc) > 0 ? text : "";
}

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string duration_text(std::int64_t s) {
  if (s < 0) s = 0;
  if (s < 120 && s % 60 != 0) return unit(s, "second");
  if (s % 3600 == 0 && s >= 3600) return unit(s / 3600, "hour");
  if (s % 60 == 0) return unit(s / 60, "minute");
  return unit(s / 60, "minute") + " " + unit(s % 60, "second");
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 80) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

std::string binding_of(const std::vector<std::string>& argv, const std::string& cwd, const std::string& plan) {
  const std::string text = json{{"argv", argv}, {"cwd", cwd}, {"plan", plan}}.dump();
  return digest::sha256_hex(text);
}

std::uint64_t process_start_ticks(int pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close_paren = text.rfind(')');  // the command name may hold spaces and parentheses
  if (close_paren == std::string::npos) return 0;
  std::istringstream rest(text.substr(close_paren + 2));
  std::string field;
  // Fields after the name: state(3) ... starttime(22).
  for (int i = 3; i <= 22 && rest >> field; ++i)
    if (i == 22) return std::strtoull(field.c_str(), nullptr, 10);
  return 0;
}

bool waiter_alive(const Request& r) {
  return r.waiter_pid > 0 && process_start_ticks(r.waiter_pid) == r.waiter_start && r.waiter_start != 0;
}

void write_request(const Request& r) {
  json j = {{"id", r.id},
            {"created_unix", r.created_unix},
            {"expires_unix", r.expires_unix},
            {"argv", r.argv},
            {"cwd", r.cwd},
            {"program", r.program},
            {"rule_id", r.rule_id},
            {"message", r.message},
            {"resources", r.resources},
            {"stateful", r.stateful},
            {"plan_file", r.plan_file},
            {"plan_sha256", r.plan_sha256},
            {"binding", r.binding},
            {"code_salt", r.code.salt_hex},
            {"code_scrypt", r.code.hash_hex},
            {"hold", r.hold},
            {"waiter_pid", r.waiter_pid},
            {"waiter_start", r.waiter_start},
            {"deferred", r.deferred}};
  write_atomically(new_file(r.id, "request"), j.dump(2));
}

std::optional<Request> read_request(const std::string& id) {
  if (!valid_id(id)) return std::nullopt;
  auto j = read_json(file(id, "request"));
  if (!j) return std::nullopt;
  Request r;
  r.id = j->value("id", "");
  if (r.id != id) return std::nullopt;
  r.created_unix = j->value("created_unix", std::int64_t{0});
  r.expires_unix = j->value("expires_unix", std::int64_t{0});
  r.argv = j->value("argv", std::vector<std::string>{});
  r.cwd = j->value("cwd", "");
  r.program = j->value("program", "");
  r.rule_id = j->value("rule_id", "");
  r.message = j->value("message", "");
  r.resources = j->value("resources", std::vector<std::string>{});
  r.stateful = j->value("stateful", std::vector<std::string>{});
  r.plan_file = j->value("plan_file", "");
  r.plan_sha256 = j->value("plan_sha256", "");
  r.binding = j->value("binding", "");
  r.code.salt_hex = j->value("code_salt", "");
  r.code.hash_hex = j->value("code_scrypt", "");
  r.hold = j->value("hold", "defer");
  r.waiter_pid = j->value("waiter_pid", 0);
  r.waiter_start = j->value("waiter_start", std::uint64_t{0});
  r.deferred = j->value("deferred", false);
  return r;
}

const char* to_string(State s) {
  switch (s) {
    case State::holding: return "holding";
    case State::deferred: return "waiting for the agent to repeat it";
    case State::dead: return "dead";
    case State::approved: return "approved";
    case State::ran: return "ran";
    case State::denied: return "denied";
    case State::expired: return "expired";
    case State::rejected: return "rejected";
  }
  return "unknown";
}

State state_of(const Request& r) {
  if (auto outcome = read_outcome(r.id)) {
    if (outcome->status == "ran") return State::ran;
    if (outcome->status == "denied") return State::denied;
    if (outcome->status == "rejected") return State::rejected;
    return State::expired;
  }
  const auto now = now_unix();
  if (auto response = read_response(r.id)) {
    if (response->decision != "approve") return State::denied;
    return now <= response->time_unix + kGrantSeconds ? State::approved : State::expired;
  }
  if (now >= r.expires_unix) return State::expired;
  if (waiter_alive(r)) return State::holding;
  return r.deferred ? State::deferred : State::dead;
}

std::string describe(const Request& r, State s) {
  switch (s) {
    case State::holding:
      return "the launch is held (process " + std::to_string(r.waiter_pid) + "); an approval runs it at once";
    case State::deferred:
      return "the agent was told to run the same command again after an approval; an approval lets that repeat run once";
    case State::dead:
      return "the process that was waiting for this answer is gone (the agent or its tool stopped it); nothing runs "
             "unless the agent runs exactly this command again";
    case State::approved:
      return "approved; it runs once when the agent repeats it";
    case State::ran: return "approved and run";
    case State::denied: return "denied";
    case State::expired: return "expired without a decision";
    case State::rejected: return "closed";
  }
  return "";
}

std::vector<Request> all_requests() {
  std::vector<Request> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir(), ec)) {
    const std::string name = entry.path().filename().string();
    const std::string suffix = ".request.json";
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    if (auto r = read_request(name.substr(0, name.size() - suffix.size()))) out.push_back(*r);
  }
  std::sort(out.begin(), out.end(), [](const Request& a, const Request& b) {
    return a.created_unix != b.created_unix ? a.created_unix > b.created_unix : a.id > b.id;
  });
  return out;
}

std::vector<Request> pending_requests() {
  std::vector<Request> out;
  for (auto& r : all_requests()) {
    const State s = state_of(r);
    if (s == State::holding || s == State::deferred || s == State::dead) out.push_back(r);
  }
  return out;
}

std::optional<Request> find_by_binding(const std::string& binding) {
  for (auto& r : all_requests()) {
    if (r.binding != binding) continue;
    const State s = state_of(r);
    if (s == State::ran || s == State::expired || s == State::rejected) continue;
    return r;
  }
  return std::nullopt;
}

bool write_response(const std::string& id, const Response& response) {
  if (!valid_id(id)) return false;
  const json j = {{"decision", response.decision}, {"code", response.code}, {"by", response.by},
                  {"reason", response.reason},     {"via", response.via},   {"time_unix", response.time_unix}};
  // O_EXCL: only the first answer counts; a later one cannot replace it.
  return create_exclusively(new_file(id, "response"), j.dump());
}

std::optional<Response> read_response(const std::string& id) {
  auto j = read_json(file(id, "response"));
  if (!j) return std::nullopt;
  Response r;
  r.decision = j->value("decision", "");
  r.code = j->value("code", "");
  r.by = j->value("by", "someone");
  r.reason = j->value("reason", "");
  r.via = j->value("via", "");
  r.time_unix = j->value("time_unix", std::int64_t{0});
  return r;
}

int wrong_codes(const std::string& id) {
  auto j = read_json(file(id, "attempts"));
  return j ? j->value("wrong_codes", 0) : 0;
}

int add_wrong_code(const std::string& id) {
  const int n = wrong_codes(id) + 1;
  try {
    write_atomically(new_file(id, "attempts"), json{{"wrong_codes", n}}.dump());
  } catch (const std::exception&) {
  }
  return n;
}

bool claim(const std::string& id) {
  return valid_id(id) && create_exclusively(new_file(id, "used"), json{{"pid", getpid()}, {"time_unix", now_unix()}}.dump());
}

void write_outcome(const std::string& id, const std::string& status, const std::string& detail) {
  try {
    write_atomically(new_file(id, "outcome"), json{{"status", status}, {"detail", detail}}.dump());
  } catch (const std::exception&) {
    // The gate's own decision stands whether or not the approver can read it back.
  }
}

std::optional<Outcome> read_outcome(const std::string& id) {
  auto j = read_json(file(id, "outcome"));
  if (!j) return std::nullopt;
  return Outcome{j->value("status", ""), j->value("detail", "")};
}

}  // namespace agentguard::approvals
