#include <pwd.h>
#include <unistd.h>

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
#include "service_client/service_client.hpp"
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

json to_json(const Request& r) {
  return {{"id", r.id},
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
          {"deferred", r.deferred},
          {"owner_uid", r.owner_uid}};
}

Request request_from_json(const json& j) {
  Request r;
  r.id = j.value("id", "");
  r.created_unix = j.value("created_unix", std::int64_t{0});
  r.expires_unix = j.value("expires_unix", std::int64_t{0});
  r.argv = j.value("argv", std::vector<std::string>{});
  r.cwd = j.value("cwd", "");
  r.program = j.value("program", "");
  r.rule_id = j.value("rule_id", "");
  r.message = j.value("message", "");
  r.resources = j.value("resources", std::vector<std::string>{});
  r.stateful = j.value("stateful", std::vector<std::string>{});
  r.plan_file = j.value("plan_file", "");
  r.plan_sha256 = j.value("plan_sha256", "");
  r.binding = j.value("binding", "");
  r.code.salt_hex = j.value("code_salt", "");
  r.code.hash_hex = j.value("code_scrypt", "");
  r.hold = j.value("hold", "defer");
  r.waiter_pid = j.value("waiter_pid", 0);
  r.waiter_start = j.value("waiter_start", std::uint64_t{0});
  r.deferred = j.value("deferred", false);
  r.owner_uid = j.value("owner_uid", -1L);
  return r;
}

json to_json(const Response& response) {
  const Approver& a = response.approver;
  return {{"decision", response.decision}, {"code", response.code}, {"by", response.by},
          {"reason", response.reason},     {"via", response.via},   {"time_unix", response.time_unix},
          {"approver", {{"uid", a.uid}, {"user", a.user}, {"tty", a.tty}, {"pid", a.pid}}}};
}

Response response_from_json(const json& j) {
  Response r;
  r.decision = j.value("decision", "");
  r.code = j.value("code", "");
  r.by = j.value("by", "someone");
  r.reason = j.value("reason", "");
  r.via = j.value("via", "");
  r.time_unix = j.value("time_unix", std::int64_t{0});
  if (auto a = j.find("approver"); a != j.end() && a->is_object()) {
    r.approver.uid = a->value("uid", -1L);
    r.approver.user = a->value("user", "");
    r.approver.tty = a->value("tty", "");
    r.approver.pid = a->value("pid", 0L);
  }
  return r;
}

namespace files {

void write_request(const Request& r) { write_atomically(new_file(r.id, "request"), to_json(r).dump(2)); }

std::optional<Request> read_request(const std::string& id) {
  if (!valid_id(id)) return std::nullopt;
  auto j = read_json(file(id, "request"));
  if (!j || !j->is_object()) return std::nullopt;
  Request r = request_from_json(*j);
  if (r.id != id) return std::nullopt;
  return r;
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
  return out;
}

bool write_response(const std::string& id, const Response& response) {
  if (!valid_id(id)) return false;
  // O_EXCL: only the first answer counts; a later one cannot replace it.
  return create_exclusively(new_file(id, "response"), to_json(response).dump());
}

std::optional<Response> read_response(const std::string& id) {
  if (!valid_id(id)) return std::nullopt;
  auto j = read_json(file(id, "response"));
  if (!j || !j->is_object()) return std::nullopt;
  return response_from_json(*j);
}

int wrong_codes(const std::string& id) {
  if (!valid_id(id)) return 0;
  auto j = read_json(file(id, "attempts"));
  return j && j->is_object() ? j->value("wrong_codes", 0) : 0;
}

int add_wrong_code(const std::string& id) {
  const int n = wrong_codes(id) + 1;
  try {
    if (valid_id(id)) write_atomically(new_file(id, "attempts"), json{{"wrong_codes", n}}.dump());
  } catch (const std::exception&) {
  }
  return n;
}

bool claim(const std::string& id) {
  return valid_id(id) && create_exclusively(new_file(id, "used"), json{{"pid", getpid()}, {"time_unix", now_unix()}}.dump());
}

void write_outcome(const std::string& id, const std::string& status, const std::string& detail) {
  try {
    if (valid_id(id)) write_atomically(new_file(id, "outcome"), json{{"status", status}, {"detail", detail}}.dump());
  } catch (const std::exception&) {
    // The gate's own decision stands whether or not the approver can read it back.
  }
}

std::optional<Outcome> read_outcome(const std::string& id) {
  if (!valid_id(id)) return std::nullopt;
  auto j = read_json(file(id, "outcome"));
  if (!j || !j->is_object()) return std::nullopt;
  return Outcome{j->value("status", ""), j->value("detail", "")};
}

}  // namespace files

namespace {

// Where requests are looked up, and where this process's own requests go (service_client.hpp):
// an agent user the service keeps reads the service only (its own state directory is writable by
// any program it runs); a human the service lets answer sees the service's requests and its own
// state directory's; everyone else, the state directory. A service that should be there but does
// not answer is nowhere: nothing is found and nothing is written.
enum class Place { files, service };

std::vector<Place> read_places() {
  const auto& m = service::mode();
  if (m.kind == service::Mode::separated) return {Place::service};
  if (m.kind == service::Mode::unavailable) return {};
  if (m.may_answer) return {Place::service, Place::files};
  return {Place::files};
}

Place own_place() {
  const auto& m = service::mode();
  if (m.kind == service::Mode::unavailable)
    throw std::runtime_error(m.why + "; approvals are kept there, so nothing falls back to the state directory");
  return m.kind == service::Mode::separated ? Place::service : Place::files;
}

json ask(const std::string& op, json args = json::object()) {
  args["op"] = op;
  return service::call(args);
}

std::optional<Request> request_at(Place place, const std::string& id) {
  if (!valid_id(id)) return std::nullopt;
  if (place == Place::files) return files::read_request(id);
  try {
    const json reply = ask("approvals.read_request", {{"id", id}});
    if (!reply.contains("request") || !reply["request"].is_object()) return std::nullopt;
    Request r = request_from_json(reply["request"]);
    if (r.id != id) return std::nullopt;
    return r;
  } catch (const std::exception&) {
    return std::nullopt;  // no answer from the service: no request (never an approval)
  }
}

// Where the request with this id lives.
std::optional<Place> place_of(const std::string& id) {
  const auto places = read_places();
  if (places.size() == 1) return places.front();
  for (Place p : places)
    if (request_at(p, id)) return p;
  return std::nullopt;
}

}  // namespace

void write_request(const Request& r) {
  if (own_place() == Place::files) return files::write_request(r);
  ask("approvals.write_request", {{"request", to_json(r)}});
}

std::optional<Request> read_request(const std::string& id) {
  for (Place p : read_places())
    if (auto r = request_at(p, id)) return r;
  return std::nullopt;
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
  for (Place p : read_places()) {
    if (p == Place::files) {
      for (auto& r : files::all_requests()) out.push_back(std::move(r));
      continue;
    }
    try {
      for (const auto& j : ask("approvals.list").value("requests", json::array()))
        if (j.is_object()) out.push_back(request_from_json(j));
    } catch (const std::exception&) {
      // Not reachable: `agentguard doctor` says so; nothing of it is shown.
    }
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

Approver Approver::of_this_process() {
  Approver a;
  a.uid = static_cast<long>(::getuid());
  if (const passwd* pw = ::getpwuid(::getuid())) a.user = pw->pw_name;
  // The controlling terminal, whichever of the standard descriptors is on it.
  for (int fd : {0, 1, 2}) {
    if (const char* name = ::ttyname(fd)) {
      a.tty = name;
      break;
    }
  }
  a.pid = static_cast<long>(::getpid());
  return a;
}

std::string Approver::describe() const {
  if (uid < 0) return "no record of the answering process";
  return "uid " + std::to_string(uid) + ", tty " + (tty.empty() ? std::string("none") : tty) + ", pid " +
         std::to_string(pid);
}

std::string Response::who() const { return by + " (" + approver.describe() + ")"; }

// Separated mode: the service writes the answer itself and names the answering process from the
// socket's peer credentials; what this process says about itself is not used.
bool write_response(const std::string& id, const Response& response) {
  const auto place = place_of(id);
  if (!place) return false;
  if (*place == Place::files) return files::write_response(id, response);
  return ask("approvals.write_response", {{"id", id}, {"response", to_json(response)}}).value("created", false);
}

std::optional<Response> read_response(const std::string& id) {
  const auto place = place_of(id);
  if (!place) return std::nullopt;
  if (*place == Place::files) return files::read_response(id);
  try {
    const json reply = ask("approvals.read_response", {{"id", id}});
    if (reply.contains("response") && reply["response"].is_object()) return response_from_json(reply["response"]);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

int wrong_codes(const std::string& id) {
  const auto place = place_of(id);
  if (!place) return 0;
  if (*place == Place::files) return files::wrong_codes(id);
  try {
    return ask("approvals.wrong_codes", {{"id", id}}).value("wrong_codes", 0);
  } catch (const std::exception&) {
    return 0;
  }
}

int add_wrong_code(const std::string& id) {
  const auto place = place_of(id);
  if (!place) return 0;
  if (*place == Place::files) return files::add_wrong_code(id);
  // A refusal (this user may not answer) is the caller's to report: it throws.
  return ask("approvals.add_wrong_code", {{"id", id}}).value("wrong_codes", 0);
}

bool claim(const std::string& id) {
  const auto place = place_of(id);
  if (!place) return false;
  if (*place == Place::files) return files::claim(id);
  try {
    return ask("approvals.claim", {{"id", id}}).value("claimed", false);
  } catch (const std::exception&) {
    return false;
  }
}

void write_outcome(const std::string& id, const std::string& status, const std::string& detail) {
  const auto place = place_of(id);
  if (!place) return;
  if (*place == Place::files) return files::write_outcome(id, status, detail);
  try {
    ask("approvals.write_outcome", {{"id", id}, {"status", status}, {"detail", detail}});
  } catch (const std::exception&) {
    // As with a file: the gate's own decision stands.
  }
}

std::optional<Outcome> read_outcome(const std::string& id) {
  const auto place = place_of(id);
  if (!place) return std::nullopt;
  if (*place == Place::files) return files::read_outcome(id);
  try {
    const json reply = ask("approvals.read_outcome", {{"id", id}});
    if (reply.contains("outcome") && reply["outcome"].is_object())
      return Outcome{reply["outcome"].value("status", ""), reply["outcome"].value("detail", "")};
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

}  // namespace agentguard::approvals
