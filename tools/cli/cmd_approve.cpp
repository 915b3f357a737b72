// `agentguard approve <id> <code>`, `agentguard deny <id>`, `agentguard approvals`: the human's side
// of a held launch. Run them from your own terminal, outside the guarded tree.
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "commands.hpp"
#include "common/approvals.hpp"
#include "common/guarded.hpp"

namespace agentguard::cli {

namespace {

std::string who() {
  char host[256] = "host";
  gethostname(host, sizeof host - 1);
  const passwd* pw = getpwuid(getuid());
  return std::string(pw ? pw->pw_name : "uid" + std::to_string(getuid())) + "@" + host;
}

void refuse_inside_guard() {
  std::string why;
  if (guarded::inside_guarded_tree(&why)) {
    std::fprintf(stderr,
                 "agentguard: refused: approvals cannot be given from inside a guarded session (%s). "
                 "Run this in your own terminal.\n",
                 why.c_str());
    throw CLI::RuntimeError(3);
  }
}

approvals::Request load_pending(const std::string& id) {
  auto request = approvals::read_request(id);
  if (!request) {
    std::fprintf(stderr, "agentguard: no held launch with id %s (see `agentguard approvals`)\n", id.c_str());
    throw CLI::RuntimeError(1);
  }
  if (auto outcome = approvals::read_outcome(id)) {
    std::fprintf(stderr, "agentguard: %s is already closed: %s (%s)\n", id.c_str(), outcome->status.c_str(),
                 outcome->detail.c_str());
    throw CLI::RuntimeError(1);
  }
  return *request;
}

int answer(const std::string& id, const approvals::Response& response) {
  if (!approvals::write_response(id, response)) {
    std::fprintf(stderr, "agentguard: %s has already been answered\n", id.c_str());
    return 1;
  }
  // The gate picks the answer up within a fraction of a second; report what it did.
  for (int i = 0; i < 50; ++i) {
    if (auto outcome = approvals::read_outcome(id)) {
      std::printf("%s: %s\n", outcome->status.c_str(), outcome->detail.c_str());
      return outcome->status == "approved" || response.decision == "deny" ? 0 : 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::printf("answer recorded; the held launch has not picked it up yet\n");
  return 0;
}

}  // namespace

void add_approval_commands(CLI::App& app) {
  auto id = std::make_shared<std::string>();
  auto code = std::make_shared<std::string>();

  auto* approve = app.add_subcommand("approve", "Approve a held launch with the one-time code you were sent");
  approve->add_option("id", *id, "The event id of the held launch")->required();
  approve->add_option("code", *code, "The one-time approval code from the notification")->required();
  approve->footer("Example:\n  agentguard approve ev_20261126T101500Z_3f9a2c K7QF-2MZP\n"
                  "The exact command that was held runs once; a wrong code closes the request.");
  approve->callback([id, code] {
    refuse_inside_guard();
    const auto request = load_pending(*id);
    std::printf("approving: %s\n  in %s\n", approvals::join(request.argv, " ").c_str(), request.cwd.c_str());
    if (!request.resources.empty()) std::printf("  it will: %s\n", approvals::join(request.resources).c_str());
    throw CLI::RuntimeError(answer(*id, {"approve", *code, who()}));
  });

  auto* deny = app.add_subcommand("deny", "Deny a held launch");
  deny->add_option("id", *id, "The event id of the held launch")->required();
  deny->footer("Example:\n  agentguard deny ev_20261126T101500Z_3f9a2c");
  deny->callback([id] {
    refuse_inside_guard();
    load_pending(*id);
    throw CLI::RuntimeError(answer(*id, {"deny", "", who()}));
  });

  auto* list = app.add_subcommand("approvals", "List launches waiting for a human's approval");
  list->footer("Example:\n  agentguard approvals");
  list->callback([] {
    const auto pending = approvals::pending_requests();
    if (pending.empty()) std::printf("nothing is waiting for approval\n");
    for (const auto& r : pending) {
      std::printf("%s  rule %s\n  %s\n  in %s\n", r.id.c_str(), r.rule_id.c_str(), approvals::join(r.argv, " ").c_str(),
                  r.cwd.c_str());
      if (!r.resources.empty()) std::printf("  it would: %s\n", approvals::join(r.resources).c_str());
    }
  });
}

}  // namespace agentguard::cli
