#include "approvals.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "paths.hpp"

namespace agentguard::approvals {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path dir() {
  fs::path d = paths::ensure_state_dir() / "approvals";
  fs::create_directories(d);
  return d;
}

fs::path file(const std::string& id, const char* kind) { return dir() / (id + "." + kind + ".json"); }

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

}  // namespace

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

void write_request(const Request& r) {
  json j = {{"id", r.id},           {"expires_unix", r.expires_unix}, {"argv", r.argv},
            {"cwd", r.cwd},         {"program", r.program},           {"rule_id", r.rule_id},
            {"message", r.message}, {"resources", r.resources},       {"plan_file", r.plan_file},
            {"plan_sha256", r.plan_sha256}, {"gate_pid", r.gate_pid}};
  write_atomically(file(r.id, "request"), j.dump(2));
}

std::optional<Request> read_request(const std::string& id) {
  if (!valid_id(id)) return std::nullopt;
  auto j = read_json(file(id, "request"));
  if (!j) return std::nullopt;
  Request r;
  r.id = j->value("id", "");
  r.expires_unix = j->value("expires_unix", std::int64_t{0});
  r.argv = j->value("argv", std::vector<std::string>{});
  r.cwd = j->value("cwd", "");
  r.program = j->value("program", "");
  r.rule_id = j->value("rule_id", "");
  r.message = j->value("message", "");
  r.resources = j->value("resources", std::vector<std::string>{});
  r.plan_file = j->value("plan_file", "");
  r.plan_sha256 = j->value("plan_sha256", "");
  r.gate_pid = j->value("gate_pid", 0);
  return r;
}

std::vector<Request> pending_requests() {
  std::vector<Request> out;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir(), ec)) {
    const std::string name = entry.path().filename().string();
    const std::string suffix = ".request.json";
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const std::string id = name.substr(0, name.size() - suffix.size());
    auto r = read_request(id);
    if (r && r->expires_unix > now && !fs::exists(file(id, "response")) && !fs::exists(file(id, "outcome")))
      out.push_back(*r);
  }
  return out;
}

bool write_response(const std::string& id, const Response& response) {
  if (!valid_id(id)) return false;
  const json j = {{"decision", response.decision}, {"code", response.code}, {"by", response.by}};
  const std::string text = j.dump();
  // O_EXCL: only the first answer counts; a later one (or a guessing agent) cannot replace it.
  const int fd = open(file(id, "response").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  fsync(fd);
  close(fd);
  return ok;
}

std::optional<Response> read_response(const std::string& id) {
  auto j = read_json(file(id, "response"));
  if (!j) return std::nullopt;
  return Response{j->value("decision", ""), j->value("code", ""), j->value("by", "someone")};
}

void write_outcome(const std::string& id, const std::string& status, const std::string& detail) {
  try {
    write_atomically(file(id, "outcome"), json{{"status", status}, {"detail", detail}}.dump());
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
