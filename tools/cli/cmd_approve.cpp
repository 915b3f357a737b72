// `agentguard approvals`, `agentguard approve <id> [code]`, `agentguard deny <id> [--reason TEXT]`:
// the human's side of a held launch. Run them from your own terminal, outside the guarded tree;
// inside it every answering command is refused.
//
// Exit status of approve: 0 the held launch is running now; 2 the approval is recorded but nothing
// ran yet (nobody is waiting: it runs once when the agent repeats the command); 1 refused or failed.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "answers.hpp"
#include "commands.hpp"
#include <nlohmann/json.hpp>

#include "approvals/approvals.hpp"
#include "service_client/service_client.hpp"
#include "support/guarded.hpp"
#include "agentguard/shell_quote.hpp"

namespace agentguard::cli {

namespace {

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

// The request in full, the way a human should read it before answering. Agent-controlled text is
// printed as it is; control characters are shown escaped so that it cannot move the cursor or
// rewrite earlier lines of the terminal.
std::string printable(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void print_request(std::FILE* out, const approvals::Request& r) {
  const auto state = approvals::state_of(r);
  std::fprintf(out, "%s  [%s]\n", r.id.c_str(), approvals::to_string(state));
  std::fprintf(out, "  command:  %s\n", printable(policy::shell_quote(r.argv)).c_str());
  std::fprintf(out, "  in:       %s\n", printable(r.cwd).c_str());
  std::fprintf(out, "  rule:     %s\n", printable(r.rule_id).c_str());
  if (!r.resources.empty()) {
    std::fprintf(out, "  it would:\n");
    for (const auto& res : r.resources) {
      const bool stateful = std::find(r.stateful.begin(), r.stateful.end(), res) != r.stateful.end();
      std::fprintf(out, "    %s%s\n", printable(res).c_str(), stateful ? "   <-- STATEFUL: holds data" : "");
    }
  }
  if (!r.plan_sha256.empty()) std::fprintf(out, "  plan:     %s (sha256 %s)\n", printable(r.plan_file).c_str(), r.plan_sha256.c_str());
  std::fprintf(out, "  why:      %s\n", printable(r.message).c_str());
  std::fprintf(out, "  state:    %s\n", approvals::describe(r, state).c_str());
  std::fprintf(out, "  open until %s; %s\n", approvals::clock_text(r.expires_unix).c_str(),
               r.code.hash_hex.empty() ? "no code was sent (no webhook): answer from a terminal"
                                       : "a one-time code was sent to the webhook(s)");
}

// With a separated mode's service that does not answer, nothing can be seen or answered: say so
// instead of "nothing is waiting".
void require_the_service() {
  if (service::mode().service_down) {
    std::fprintf(stderr, "agentguard: note: %s: the requests of its agent users are not shown\n", service::mode().why.c_str());
    return;
  }
  if (service::mode().kind != service::Mode::unavailable) return;
  std::fprintf(stderr, "agentguard: %s; the approvals are kept there, so none can be shown or answered "
               "(`agentguard doctor`)\n", service::mode().why.c_str());
  throw CLI::RuntimeError(1);
}

approvals::Request load_open(const std::string& id) {
  require_the_service();
  std::string why;
  auto request = open_request(id, &why);
  if (!request) {
    std::fprintf(stderr, "agentguard: %s (see `agentguard approvals --all`)\n", why.c_str());
    throw CLI::RuntimeError(1);
  }
  return *request;
}

// The controlling terminal of the human who runs this: never stdin, which a script can fill.
struct Terminal {
  std::FILE* file = nullptr;
  Terminal() {
    const int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd >= 0) file = fdopen(fd, "r+");
  }
  ~Terminal() {
    if (file) std::fclose(file);
  }
  std::string ask(const std::string& prompt) {
    std::fprintf(file, "%s", prompt.c_str());
    std::fflush(file);
    char line[256];
    if (!std::fgets(line, sizeof line, file)) return "";
    std::string answer(line);
    while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r')) answer.pop_back();
    return answer;
  }
};

int exit_status(const AnswerResult& result) {
  std::FILE* out = result.kind == AnswerResult::refused ? stderr : stdout;
  std::fprintf(out, "%s%s\n", result.kind == AnswerResult::refused ? "agentguard: " : "", printable(result.message).c_str());
  return result.kind == AnswerResult::ran ? 0 : result.kind == AnswerResult::recorded ? 2 : 1;
}

void approve(const std::string& id, std::string code) {
  refuse_inside_guard();
  const auto request = load_open(id);
  Terminal tty;
  const bool asked_at_terminal = code.empty();
  const bool needs_code = !request.code.hash_hex.empty();
  // Without a code on the command line the human confirms at the terminal: stdin does not count.
  if (asked_at_terminal && !tty.file) {
    std::fprintf(stderr, "agentguard: refused: `agentguard approve %s` confirms at your terminal, and this process has "
                 "none (/dev/tty). Run it in a terminal%s.\n", id.c_str(), needs_code ? ", or give the one-time code" : "");
    throw CLI::RuntimeError(1);
  }
  std::FILE* out = asked_at_terminal ? tty.file : stdout;
  std::fprintf(out, "approving:\n");
  print_request(out, request);
  std::fflush(out);
  if (asked_at_terminal && tty.ask("Run this exactly once? Type yes to approve: ") != "yes") {
    std::fprintf(stderr, "agentguard: not approved; the request is still open\n");
    throw CLI::RuntimeError(1);
  }
  for (;;) {
    if (needs_code && code.empty()) code = tty.ask("One-time code from the notification: ");
    const AnswerResult result = approve_request(request, code, needs_code ? "code" : "terminal");
    // A wrong code typed at the terminal can be typed again there; one from the command line
    // means running the command again.
    const bool wrong_code = result.kind == AnswerResult::refused && result.message.find("not the code") != std::string::npos;
    if (wrong_code && asked_at_terminal) {
      std::fprintf(tty.file, "%s\n", result.message.c_str());
      code.clear();
      continue;
    }
    throw CLI::RuntimeError(exit_status(result));
  }
}

void deny(const std::string& id, const std::string& reason) {
  refuse_inside_guard();
  const auto request = load_open(id);
  const AnswerResult result = deny_request(request, reason, "terminal");
  if (result.kind == AnswerResult::refused) throw CLI::RuntimeError(exit_status(result));
  std::printf("%s\n", printable(result.message).c_str());
}

}  // namespace

void add_approval_commands(CLI::App& app) {
  auto id = std::make_shared<std::string>();
  auto code = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();

  auto* approve_cmd = app.add_subcommand("approve", "Approve a held launch, at your terminal (and with the code, if one was sent)");
  approve_cmd->add_option("id", *id, "The id of the approval request")->required();
  approve_cmd->add_option("code", *code, "The one-time code from the notification (asked at the terminal if left out)");
  approve_cmd->footer("Examples:\n  agentguard approve ev_20261126T101500Z_3f9a2c            # confirm at this terminal\n"
                      "  agentguard approve ev_20261126T101500Z_3f9a2c K7QF-2MZP  # with the code you were sent\n"
                      "The exact launch that was held runs once. A wrong code can be typed again a few times.\n"
                      "Exit status: 0 the launch is running; 2 approved, but nothing ran yet (it runs when the\n"
                      "agent repeats the command); 1 refused or failed; 3 run from inside a guarded session.");
  approve_cmd->callback([id, code] { approve(*id, *code); });

  auto* deny_cmd = app.add_subcommand("deny", "Deny a held launch; the reason is told to the agent");
  deny_cmd->add_option("id", *id, "The id of the approval request")->required();
  deny_cmd->add_option("--reason", *reason, "Why: the agent reads this");
  deny_cmd->footer("Example:\n  agentguard deny ev_20261126T101500Z_3f9a2c --reason 'the database stays; drop the replace'");
  deny_cmd->callback([id, reason] { deny(*id, *reason); });

  auto all = std::make_shared<bool>(false);
  auto as_json = std::make_shared<bool>(false);
  auto* list = app.add_subcommand("approvals", "Show the launches waiting for a human's approval, in full");
  list->add_flag("--all", *all, "Also show answered, run and expired requests");
  list->add_flag("--json", *as_json, "Print a JSON array of the requests (never the code or its hash)");
  list->footer("Example:\n  agentguard approvals\nStates: holding (a launch waits now), waiting for the agent to repeat it, dead (the\n"
               "waiting process is gone), approved, ran, denied, expired, rejected.");
  list->callback([all, as_json] {
    require_the_service();
    const auto requests = *all ? approvals::all_requests() : approvals::pending_requests();
    if (*as_json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& r : requests) {
        const auto state = approvals::state_of(r);
        out.push_back({{"id", r.id}, {"state", approvals::to_string(state)}, {"state_text", approvals::describe(r, state)},
                       {"argv", r.argv}, {"cwd", r.cwd}, {"program", r.program}, {"rule_id", r.rule_id},
                       {"message", r.message}, {"resources", r.resources}, {"stateful", r.stateful},
                       {"plan_file", r.plan_file}, {"plan_sha256", r.plan_sha256}, {"created_unix", r.created_unix},
                       {"expires_unix", r.expires_unix}, {"code_sent", !r.code.hash_hex.empty()}, {"hold", r.hold}});
      }
      std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return;
    }
    if (requests.empty()) std::printf("nothing is waiting for approval\n");
    for (const auto& r : requests) {
      print_request(stdout, r);
      std::printf("\n");
    }
  });
}

}  // namespace agentguard::cli
