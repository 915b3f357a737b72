#include "service/keeper.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "agentguard/api_rules.hpp"
#include "agentguard/policy.hpp"
#include "approvals/approvals.hpp"
#include "events/audit_log.hpp"
#include "policy_layers/policy_cache.hpp"
#include "service/delivery.hpp"
#include "support/state_key.hpp"

namespace agentguard::service {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Refusal : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string host_name() {
  char host[256] = "host";
  ::gethostname(host, sizeof host - 1);
  return host;
}

std::string id_of(const json& request) {
  const std::string id = request.value("id", std::string());
  if (!approvals::valid_id(id)) throw Refusal("not a request id");
  return id;
}

// The fields that bind a request to one launch, and what a human was shown and sent: fixed by
// the first write.
bool same_binding(const approvals::Request& a, const approvals::Request& b) {
  return a.argv == b.argv && a.cwd == b.cwd && a.program == b.program && a.rule_id == b.rule_id &&
         a.message == b.message && a.resources == b.resources && a.stateful == b.stateful && a.plan_file == b.plan_file &&
         a.plan_sha256 == b.plan_sha256 && a.binding == b.binding && a.code.salt_hex == b.code.salt_hex &&
         a.code.hash_hex == b.code.hash_hex && a.created_unix == b.created_unix && a.expires_unix == b.expires_unix &&
         a.hold == b.hold;
}

}  // namespace

fs::path Keeper::session_file(const std::string& session) const {
  return fs::path(config_.state_dir) / "sessions" / (session + ".json");
}

std::string Keeper::session_of(const json& request) const {
  const std::string session = request.value("session", std::string());
  if (!approvals::valid_id(session)) throw Refusal("not a session id");
  return session;
}

// The channel session `session` registered, when it is `peer`'s; null otherwise.
json Keeper::channel_of(const std::string& session, const Peer& peer) const {
  std::ifstream in(session_file(session));
  json record = in ? json::parse(in, nullptr, false) : json();
  if (!record.is_object() || record.value("owner_uid", -1L) != static_cast<long>(peer.uid)) return json();
  record.erase("owner_uid");
  return record;
}

Keeper::Keeper(KeeperConfig config) : config_(std::move(config)), self_(::geteuid()) {}

bool Keeper::is_agent(const Peer& p) const {
  if (p.uid == 0 || p.uid == self_) return false;
  if (config_.agent_users.empty() && config_.agent_groups.empty()) return true;
  if (config_.agent_users.count(p.uid)) return true;
  return std::any_of(p.groups.begin(), p.groups.end(), [&](gid_t g) { return config_.agent_groups.count(g) != 0; });
}

bool Keeper::may_answer(const Peer& p) const {
  if (p.uid == self_) return false;
  if (config_.approver_users.empty() && config_.approver_groups.empty()) return !is_agent(p);
  if (config_.approver_users.count(p.uid)) return true;
  return std::any_of(p.groups.begin(), p.groups.end(), [&](gid_t g) { return config_.approver_groups.count(g) != 0; });
}

json Keeper::handle(const Peer& peer, const json& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  try {
    if (!request.is_object()) throw Refusal("a request is one JSON object");
    json reply = dispatch(peer, request);
    reply["ok"] = true;
    return reply;
  } catch (const std::exception& e) {
    return {{"ok", false}, {"error", e.what()}};
  }
}

json Keeper::dispatch(const Peer& peer, const json& request) {
  const std::string op = request.value("op", std::string());
  const bool agent = is_agent(peer), answerer = may_answer(peer);

  if (op == "hello") {
    return {{"served", agent},
            {"may_answer", answerer},
            {"uid", peer.uid},
            {"service_user", user_name(self_)},
            {"service_uid", self_},
            {"state_dir", config_.state_dir},
            {"audit_log", events::audit_log_path(config_.state_dir).string()},
            {"version", AGENTGUARD_VERSION},
            {"why", agent ? "an agent user" : answerer ? "not an agent user; may answer requests" : "not an agent user"}};
  }

  if (op == "audit.append") {
    if (!request.contains("event") || !request["event"].is_object()) throw Refusal("audit.append needs an event object");
    json event = request["event"];
    event["sent_by"] = {{"uid", peer.uid}, {"user", peer.user}, {"pid", peer.pid}};
    const json record = events::append_audit_record(config_.state_dir, event);
    // Anyone may read the record (`agentguard log` of every user); only the service writes it.
    ::chmod(events::audit_log_path(config_.state_dir).c_str(), 0644);
    ::chmod((fs::path(config_.state_dir) / "audit.head").c_str(), 0644);
    return {{"seq", record["seq"]}, {"hash", record["hash"]}};
  }

  if (op == "audit.verify") {
    const auto result = events::verify_audit_log(events::audit_log_path(config_.state_dir));
    return {{"verified", result.ok},       {"records", result.records}, {"line", result.line},
            {"problem", result.problem},   {"macs_checked", result.macs_checked}, {"note", result.note},
            {"log", events::audit_log_path(config_.state_dir).string()}};
  }

  // A session's human channel (webhooks, formats, secrets), registered once by `agentguard run` as it
  // starts, never changed after, and used by the service's own notifiers only: `session.channel`
  // tells the session's user which webhooks there are (names and formats, for "a human has been
  // notified"), never their URLs or secrets. The record is the channel as the notifier reads it,
  // plus its owner.
  if (op == "session.register" || op == "session.channel") {
    const std::string session = session_of(request);
    if (op == "session.register") {
      if (!agent) throw Refusal("only the agent users' sessions are registered here");
      if (!request.contains("channel") || !request["channel"].is_object()) throw Refusal("session.register needs a channel");
      const fs::path file = session_file(session);
      fs::create_directories(file.parent_path());
      ::chmod(file.parent_path().c_str(), 0700);
      json record = request["channel"];
      record["owner_uid"] = peer.uid;
      const std::string text = record.dump();
      const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0) throw Refusal("session " + session + " is registered already");
      const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
      ::close(fd);
      if (!written) throw Refusal("cannot record session " + session);
      return json::object();
    }
    const json channel = channel_of(session, peer);
    if (channel.is_null()) return json::object();
    json hooks = json::array();
    for (const auto& h : channel.value("webhooks", json::array()))
      if (h.is_object()) hooks.push_back({{"name", h.value("name", "session")}, {"format", h.value("format", "json")}});
    return {{"channel", {{"webhooks", hooks}, {"delivered_by", "service"}}}};
  }

  // The session's notifications, sent by the service's own notifiers (service/delivery.hpp).
  if (op == "notify.event" || op == "notify.approval_request" || op == "notify.approval_update") {
    if (!agent) throw Refusal("only the agent users' sessions notify through the service");
    const std::string session = session_of(request);
    const json channel = channel_of(session, peer);
    if (channel.is_null()) throw Refusal("no session " + session + " of uid " + std::to_string(peer.uid));
    if (channel.value("webhooks", json::array()).empty()) return {{"sent", false}};
    if (op == "notify.event") {
      if (!request.contains("event") || !request["event"].is_object()) throw Refusal("notify.event needs an event");
      delivery::deliver_event(config_.state_dir, session, channel, request["event"]);
      return {{"sent", true}};
    }
    // Only about a request of this uid's own.
    const json& given = op == "notify.approval_request" ? request.value("request", json::object()) : request;
    const std::string id = given.contains("approval") && given["approval"].is_object()
                               ? given["approval"].value("id", std::string())
                               : given.value("id", std::string());
    const auto held = approvals::valid_id(id) ? approvals::files::read_request(id) : std::nullopt;
    if (!held || held->owner_uid != static_cast<long>(peer.uid)) throw Refusal("no request " + id + " of uid " + std::to_string(peer.uid));
    if (op == "notify.approval_update") {
      delivery::send_approval_update(config_.state_dir, session, id);
      return {{"sent", true}};
    }
    delivery::send_approval_request(config_.state_dir, session, channel, given);
    return {{"sent", true}};
  }

  // The policy the agent user's gate and `run` may decide from without parsing: the service parses
  // the texts itself and files the snapshot and the compiled API rules under the key it computes
  // from them, in a directory only it writes (policy_cache.hpp, "vouched"). Texts that are not the
  // real files get a key of their own, which no gate reading the real files ever looks up.
  if (op == "policy.compile") {
    if (!agent) throw Refusal("only the agent users' policies are compiled here");
    const json& given = request.contains("layers") ? request["layers"] : json();
    if (!given.is_array()) throw Refusal("policy.compile needs the layers");
    std::vector<policy::LayerText> layers;
    for (const auto& l : given) {
      if (!l.is_object() || !l.contains("file") || !l["file"].is_string() || !l.contains("text") || !l["text"].is_string() ||
          !l.value("project", json(false)).is_boolean())
        throw Refusal("a layer is {file, text, project}");
      layers.push_back({l["file"].get<std::string>(), l["text"].get<std::string>(), l.value("project", false)});
    }
    const json builtin = request.value("builtin_default", json(true));
    if (!builtin.is_boolean()) throw Refusal("builtin_default is true or false");
    policy::LoadOptions options;
    options.builtin_default = builtin.get<bool>();
    const std::string key = policy_cache::key_for(options, layers);
    const fs::path dir = policy_cache::vouched_directory(config_.state_dir, peer.uid);
    if (fs::exists(dir / (key + ".snap")) && fs::exists(dir / (key + ".api-rules"))) return {{"key", key}};
    const policy::Policy parsed = policy::Policy::from_layers(layers, options.builtin_default, true);
    policy_cache::write_vouched(dir, key, parsed, policy::compile_api_rules(parsed.api_rules()));
    return {{"key", key}};
  }

  if (op == "approvals.write_request") {
    if (!agent) throw Refusal("only the agent users' gates create requests (uid " + std::to_string(peer.uid) + " is not one)");
    if (!request.contains("request") || !request["request"].is_object()) throw Refusal("approvals.write_request needs a request");
    approvals::Request r = approvals::request_from_json(request["request"]);
    if (!approvals::valid_id(r.id)) throw Refusal("not a request id");
    if (auto existing = approvals::files::read_request(r.id)) {
      if (existing->owner_uid != static_cast<long>(peer.uid)) throw Refusal("request " + r.id + " belongs to another user");
      // Only who waits for it may change; the launch it was made for and the code's hash stay.
      if (!same_binding(*existing, r)) throw Refusal("request " + r.id + " cannot be changed, only waited for");
    }
    r.owner_uid = static_cast<long>(peer.uid);
    approvals::files::write_request(r);
    return json::object();
  }

  if (op == "approvals.list") {
    json out = json::array();
    for (const auto& r : approvals::files::all_requests())
      if (r.owner_uid == static_cast<long>(peer.uid) || answerer) out.push_back(approvals::to_json(r));
    return {{"requests", out}};
  }

  // Everything else is about one request, which must exist and be visible to the peer.
  const std::string id = id_of(request);
  const auto r = approvals::files::read_request(id);
  const bool owner = r && r->owner_uid == static_cast<long>(peer.uid);
  if (!r || (!owner && !answerer)) {
    if (op == "approvals.read_request") return json::object();
    throw Refusal("no request " + id + " that uid " + std::to_string(peer.uid) + " may see");
  }
  const bool may_answer_this = answerer && !owner;

  if (op == "approvals.read_request") return {{"request", approvals::to_json(*r)}};
  if (op == "approvals.read_response") {
    if (auto response = approvals::files::read_response(id)) return {{"response", approvals::to_json(*response)}};
    return json::object();
  }
  if (op == "approvals.read_outcome") {
    if (auto outcome = approvals::files::read_outcome(id)) return {{"outcome", {{"status", outcome->status}, {"detail", outcome->detail}}}};
    return json::object();
  }
  if (op == "approvals.wrong_codes") return {{"wrong_codes", approvals::files::wrong_codes(id)}};

  if (op == "approvals.write_response") {
    if (!may_answer_this)
      throw Refusal(owner ? "a request cannot be answered by the user whose launch it holds (uid " + std::to_string(peer.uid) + ")"
                          : "uid " + std::to_string(peer.uid) + " may not answer requests");
    const json& given = request.value("response", json::object());
    approvals::Response response = approvals::response_from_json(given.is_object() ? given : json::object());
    if (response.decision != "approve" && response.decision != "deny") throw Refusal("the decision is approve or deny");
    // Who answered is what the kernel says about this connection, not what the client wrote.
    response.by = peer.user + "@" + host_name();
    response.time_unix = approvals::now_unix();
    response.approver.uid = static_cast<long>(peer.uid);
    response.approver.user = peer.user;
    response.approver.tty = peer.tty;
    response.approver.pid = static_cast<long>(peer.pid);
    return {{"created", approvals::files::write_response(id, response)}};
  }
  if (op == "approvals.add_wrong_code") {
    if (!may_answer_this) throw Refusal("uid " + std::to_string(peer.uid) + " may not answer request " + id);
    return {{"wrong_codes", approvals::files::add_wrong_code(id)}};
  }
  if (op == "approvals.claim") {
    if (!owner) throw Refusal("only the user whose launch was held may run it");
    return {{"claimed", approvals::files::claim(id)}};
  }
  if (op == "approvals.write_outcome") {
    const std::string status = request.value("status", std::string());
    if (status != "ran" && status != "denied" && status != "expired" && status != "rejected") throw Refusal("not an outcome");
    // The owner records what its launch did; an answerer may close a request it denied or rejected.
    if (!owner && !(may_answer_this && status != "ran")) throw Refusal("uid " + std::to_string(peer.uid) + " may not close request " + id);
    approvals::files::write_outcome(id, status, request.value("detail", std::string()));
    return json::object();
  }
  throw Refusal("unknown operation `" + op + "`");
}

}  // namespace agentguard::service
