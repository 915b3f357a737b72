#pragma once
// What the service answers, and to whom (docs/threat-model.md, "The separated mode"). Every decision
// is made from the peer credentials of the connection:
//   - the agent users are the uids whose sessions the service keeps (by default every uid but root
//     and the service's own); their gates create requests, wait for answers and record events;
//   - a request belongs to the uid that created it: only that uid may update its waiter, claim it
//     or close it, and its launch binding (argv, cwd, plan, code hash) never changes after the
//     first write;
//   - an answer (approve, deny, a wrong code) may come only from a uid that may answer (the
//     configured approver users and groups; by default every uid that is not an agent user) and
//     never from the request's own uid; the service names the answering process itself;
//   - the policy snapshots and compiled API rules the agent users' gates decide from are made by the
//     service from the texts a client sends (policy.compile), in a directory only it writes;
//   - a session's channel (webhook URLs, secrets) is used by the service's own notifiers only: the
//     agent user's gate hands it events and approval requests (notify.*), and learns only which
//     webhooks there are;
//   - the audit log is appended by the service only, each record stamped with the sender's uid,
//     user and pid, chained and MAC'd with a key only the service can read.
#include <sys/types.h>

#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "service/peer.hpp"

namespace agentguard::service {

struct KeeperConfig {
  std::set<uid_t> agent_users, approver_users;
  std::set<gid_t> agent_groups, approver_groups;
  std::string state_dir;
};

class Keeper {
 public:
  explicit Keeper(KeeperConfig config);
  // One request, one answer ({"ok": false, "error": ...} for a refusal). Serialised internally.
  nlohmann::json handle(const Peer& peer, const nlohmann::json& request);

  bool is_agent(const Peer& peer) const;
  bool may_answer(const Peer& peer) const;

 private:
  nlohmann::json dispatch(const Peer& peer, const nlohmann::json& request);
  std::filesystem::path session_file(const std::string& session) const;
  std::string session_of(const nlohmann::json& request) const;
  nlohmann::json channel_of(const std::string& session, const Peer& peer) const;
  KeeperConfig config_;
  uid_t self_;
  std::mutex mutex_;
};

}  // namespace agentguard::service
