#include "approval.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/approvals.hpp"
#include "common/paths.hpp"
#include "events/event_json.hpp"
#include "gate/launch.hpp"
#include "gate/refusal.hpp"

namespace agentguard::gate {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";  // 32 symbols, no 0/O/1/I

std::string normalise(const std::string& code) {
  std::string out;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    out += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  }
  return out;
}

// Sends the approval request - with the code - to the human. The code goes to the notifier through
// a pipe, never through argv, the environment or a file.
pid_t start_approval_notifier(const json& payload) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  const std::string cli = paths::cli_program().string();
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[0], 0);
    const int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 1);
    execl(cli.c_str(), cli.c_str(), "notify", "send-approval-request", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[0]);
  const std::string text = payload.dump();
  ssize_t off = 0;
  while (pid > 0 && off < static_cast<ssize_t>(text.size())) {
    const ssize_t n = write(fds[1], text.data() + off, text.size() - static_cast<size_t>(off));
    if (n <= 0) break;
    off += n;
  }
  close(fds[1]);
  return pid;
}

void stop_notifier(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
}

int refuse_with(const HeldLaunch& held, const std::string& why) {
  policy::Decision d = held.decision;
  d.action = policy::Action::deny;
  d.message = why;
  return refuse(held.request, d);
}

}  // namespace

std::chrono::seconds approval_timeout() {
  if (const char* v = std::getenv("AGENTGUARD_APPROVAL_TIMEOUT"); v && *v) {
    const long s = std::strtol(v, nullptr, 10);
    if (s > 0) return std::chrono::seconds(s);
  }
  return std::chrono::seconds(600);
}

std::string new_approval_code() {
  unsigned char random[8];
  size_t got = 0;
  while (got < sizeof random) {
    const ssize_t n = getrandom(random + got, sizeof random - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  std::string code;
  for (int i = 0; i < 8; ++i) {
    if (i == 4) code += '-';
    code += kAlphabet[random[i] % 32];
  }
  return code;
}

bool codes_equal(const std::string& expected, const std::string& given) {
  const std::string a = normalise(expected), b = normalise(given);
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

int hold_for_approval(const HeldLaunch& held) {
  events::Event ev = events::make_event();
  ev.kind = held.resources.empty() ? "exec" : "plan";
  ev.argv = held.request.argv;
  ev.program = held.decision.program;
  ev.resolved_path = held.request.resolved_path;
  ev.resources = held.resources;
  ev.decision = "ask";
  ev.rule_id = held.decision.rule_id;
  ev.policy_file = held.decision.source.to_string();
  ev.message = held.decision.message;

  const auto timeout = approval_timeout();
  const auto expires = std::chrono::system_clock::now() + timeout;
  const std::string code = new_approval_code();

  approvals::Request request;
  request.id = ev.id;
  request.expires_unix = std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch()).count();
  request.argv = held.request.argv;
  request.cwd = held.request.cwd;
  request.program = held.decision.program;
  request.rule_id = held.decision.rule_id;
  request.message = held.decision.message;
  request.resources = held.resources;
  request.plan_file = held.plan_file;
  request.plan_sha256 = held.plan_sha256;
  request.gate_pid = getpid();
  try {
    approvals::write_request(request);
  } catch (const std::exception& e) {
    return refuse_with(held, std::string("The launch needs a human's approval, but the request could not be stored (") +
                                 e.what() + "), so it was not run.");
  }
  events::report(ev);  // the audit log and the spool get the event without the code

  json payload = events::to_json(ev);
  payload["approval"] = {{"id", ev.id},
                         {"code", code},
                         {"expires_unix", request.expires_unix},
                         {"approve_command", "agentguard approve " + ev.id + " " + code},
                         {"deny_command", "agentguard deny " + ev.id}};
  const pid_t notifier = start_approval_notifier(payload);

  std::fprintf(stderr,
               "agentguard: holding `%s` for a human's approval (rule %s, event %s).%s%s The person responsible was "
               "sent a one-time approval code; this waits up to %lld minutes, then counts as a refusal. Do not try "
               "another way around it.\n",
               shell_quote(held.request.argv).c_str(), held.decision.rule_id.c_str(), ev.id.c_str(),
               held.resources.empty() ? "" : " It would: ", held.resources.empty() ? "" : (approvals::join(held.resources) + ".").c_str(),
               static_cast<long long>(timeout.count() / 60 > 0 ? timeout.count() / 60 : 1));

  std::optional<approvals::Response> response;
  while (std::chrono::system_clock::now() < expires) {
    response = approvals::read_response(ev.id);
    if (response) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  stop_notifier(notifier);

  if (!response) {
    approvals::write_outcome(ev.id, "expired", "no decision before the deadline");
    return refuse_with(held, "No human approved it within the time limit, so it counts as refused. " +
                                 held.decision.message);
  }
  if (response->decision != "approve") {
    approvals::write_outcome(ev.id, "denied", "denied by " + response->by);
    return refuse_with(held, "A human (" + response->by + ") denied it. " + held.decision.message);
  }
  if (!codes_equal(code, response->code)) {
    approvals::write_outcome(ev.id, "rejected", "the approval code did not match; the request is closed");
    return refuse_with(held, "An approval arrived with the wrong code, so the request was closed and nothing ran.");
  }
  if (held.still_the_same) {
    if (std::string changed = held.still_the_same(); !changed.empty()) {
      approvals::write_outcome(ev.id, "rejected", changed);
      return refuse_with(held, "It was approved, but " + changed + ", so nothing ran. Ask for a new approval.");
    }
  }
  approvals::write_outcome(ev.id, "approved", "approved by " + response->by + "; the held command is running");
  events::Event done = events::make_event();  // its own record, pointing at the request it approves
  done.kind = ev.kind;
  done.argv = ev.argv;
  done.program = ev.program;
  done.resolved_path = ev.resolved_path;
  done.resources = ev.resources;
  done.rule_id = ev.rule_id;
  done.policy_file = ev.policy_file;
  done.decision = "approved";
  done.message = "request " + ev.id + " approved by " + response->by;
  events::report(done);
  std::fprintf(stderr, "agentguard: approved by %s; running `%s`.\n", response->by.c_str(),
               shell_quote(held.request.argv).c_str());
  return held.launch ? held.launch() : exec_program(held.request);
}

}  // namespace agentguard::gate
