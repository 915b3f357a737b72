// `agentguard doctor`: am I protected right now? Each check prints PASS, WARN or FAIL with the fix.
// The exit status is 1 when protection is not in force (any FAIL), 0 otherwise. A webhook is
// checked by connecting to it (TCP, and TLS for https) without sending anything: only
// `agentguard notify test` posts. A webhook that cannot be reached is a warning: refusals still
// happen and wait in the spool, so protection is in force.
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>


#include <nlohmann/json.hpp>

#include "notify/curl_library.hpp"
#include "agentguard/policy.hpp"
#include "cli_output.hpp"
#include "core/protocol.hpp"
#include "commands.hpp"
#include "support/guarded.hpp"
#include "policy_layers/layers.hpp"
#include "support/paths.hpp"
#include "support/subprocess.hpp"
#include "notify/notify.hpp"
#include "notify/payload.hpp"
#include "notify/settings.hpp"
#include "service_client/service_client.hpp"

extern char** environ;

namespace agentguard::cli {

namespace fs = std::filesystem;

namespace {

struct Doctor {
  bool quiet = false;  // only warnings and failures, and the verdict
  bool json = false;   // nothing printed: one JSON object at the end
  int failures = 0, warnings = 0;
  nlohmann::json checks = nlohmann::json::array();
  void pass(const std::string& what) { report("pass", what, ""); }
  void warn(const std::string& what, const std::string& fix) {
    ++warnings;
    report("warn", what, fix);
  }
  void fail(const std::string& what, const std::string& fix) {
    ++failures;
    report("fail", what, fix);
  }
  void report(const char* status, const std::string& what, const std::string& fix) {
    checks.push_back({{"status", status}, {"what", what}, {"fix", fix}});
    if (json || (quiet && std::string(status) == "pass")) return;
    const std::string word = std::string(status) == "pass" ? output::paint(1, "32", "PASS")
                             : std::string(status) == "warn" ? output::paint(1, "33", "WARN")
                                                             : output::paint(1, "1;31", "FAIL");
    std::printf("%s  %s\n", word.c_str(), what.c_str());
    if (!fix.empty()) std::printf("      fix: %s\n", fix.c_str());
  }
};

bool writable_by_me(const fs::path& p) {
  return access(p.c_str(), W_OK) == 0 || access(p.parent_path().c_str(), W_OK) == 0;
}

void check_guarded(Doctor& d) {
  std::string why;
  const char* gate = std::getenv(protocol::kEnvGate);
  const bool loaded = guarded::inside_guarded_tree(&why) && why.find("loaded in this process") != std::string::npos;
  if (loaded && gate && access(gate, X_OK) == 0)
    d.pass("this process tree is guarded (the preload is loaded; gate " + std::string(gate) + ")");
  else if (!loaded)
    d.fail("this process is not guarded: the preload is not loaded here",
           "start your agent with `agentguard run -- <agent>`, or open `agentguard shell`");
  else
    d.fail("the preload is loaded but the gate is missing (" + std::string(gate ? gate : std::string(protocol::kEnvGate) + " unset") +
               "): every watched program will be refused",
           "reinstall agentguard, or start the session again with `agentguard run`");
}

void check_policy(Doctor& d) {
  const auto options = layers::session_load_options(std::filesystem::current_path().string());
  std::vector<std::string> files = options.files;
  files.insert(files.end(), options.project_files.begin(), options.project_files.end());
  try {
    const auto policy = policy::Policy::load(options);
    const auto failures = policy.check_examples();
    if (failures.empty())
      d.pass("policy valid: built-in default" + (files.empty() ? std::string() : " + " + layers::join(files)));
    else
      d.fail("policy examples fail: " + failures.front(), "fix the rule, then run `agentguard policy check`");
  } catch (const policy::PolicyError& e) {
    d.fail(std::string("policy broken: ") + e.what(),
           "fix it; until then every watched program is refused (`agentguard policy check` shows the error)");
  }
  if (getuid() == 0) return;  // root can write everything; the check only means something for the agent's user
  for (const auto& f : files)
    if (writable_by_me(f))
      d.warn("the policy " + f + " can be edited by this user (and so by the agent): a policy the agent can edit is "
                                 "a policy it can remove",
             "sudo chown root: " + f + " && sudo chmod 644 " + f + " (and its directory)");
}

// Inside a guarded session the state directory is one of the guard's own files: this process may
// not write it (and the doctor does not try: a refused write would be recorded as an attack).
bool state_dir_protected_here(Doctor& d) {
  const char* protect = std::getenv(protocol::kEnvProtect);
  if (protect == nullptr || *protect == '\0') return false;
  std::error_code ec;
  const std::string dir = fs::weakly_canonical(paths::state_dir(), ec).string();
  std::string list = protect;
  for (size_t start = 0; start <= list.size();) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    if (list.compare(start, end - start, dir) == 0) {
      d.pass("state directory protected from this tree (guarded processes cannot change it, nor read the session "
             "record or the keys): " + dir);
      return true;
    }
    start = end + 1;
  }
  return false;
}

// Which of the two modes of docs/threat-model.md ("The guard protects itself") is in force for
// this user, inside a session or not: who keeps the approvals and the audit log.
void check_mode(Doctor& d) {
  const auto& mode = service::mode();
  switch (mode.kind) {
    case service::Mode::separated:
      d.pass("mode: separated: " + mode.why + " (with its key), out of reach of every program this user runs, "
             "static ones included; answers come only from the users the service lets answer");
      return;
    case service::Mode::same_user:
      if (mode.service_down) {
        d.warn("mode: same-user: " + mode.why + "; its agent users' holds and records fail until it is back",
               "start it: `sudo systemctl start agentguard`");
        return;
      }
      d.pass("mode: same-user: " + mode.why + "; approvals and the audit log are in the state directory, kept from "
             "guarded processes by the preload (a static program of this user is not kept out: docs/threat-model.md)");
      return;
    case service::Mode::unavailable:
      d.fail("mode: separated, but " + mode.why + ": holds and audit records fail until it answers (nothing falls back "
             "to the state directory)",
             "start it: `sudo systemctl start agentguard` (or, if the service was removed, `sudo rm " +
                 std::string(service::socket_path()) + "`)");
      return;
  }
}

void check_state_dir(Doctor& d) {
  if (state_dir_protected_here(d)) return;
  try {
    const fs::path dir = paths::ensure_state_dir();
    const fs::path probe = dir / (".doctor-" + std::to_string(getpid()));
    std::ofstream(probe) << "ok";
    const bool ok = fs::exists(probe);
    fs::remove(probe);
    if (ok) d.pass("state directory writable: " + dir.string());
    else d.fail("cannot write to the state directory " + dir.string(), "set AGENTGUARD_STATE_DIR to a writable directory");
  } catch (const std::exception& e) {
    d.fail(e.what(), "set AGENTGUARD_STATE_DIR to a writable directory");
  }
}

// Connects to the webhook's host (and completes TLS for https) without sending a request; "" when
// that works, else why not.
std::string connect_only(const std::string& url) {
  std::string why;
  const notify::CurlApi* api = notify::curl_api(&why);
  if (api == nullptr) return why;
  CURL* curl = api->easy_init();
  if (!curl) return "libcurl did not start";
  char error[CURL_ERROR_SIZE] = "";
  api->easy_setopt(curl, CURLOPT_URL, url.c_str());
  api->easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
  api->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  api->easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  api->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = api->easy_perform(curl);
  api->easy_cleanup(curl);
  if (rc == CURLE_OK) return "";
  return *error ? error : api->easy_strerror(rc);
}

void check_webhooks(Doctor& d, bool check) {
  if (const char* sealed = std::getenv(protocol::kEnvSealed); sealed && *sealed && std::getenv(protocol::kEnvSession)) {
    // The session record holds the webhook URLs and secrets, sealed from every guarded process.
    d.pass("webhooks: fixed when the session started (their URLs and secrets are sealed from this tree; "
           "`agentguard doctor` outside it tests them)");
    return;
  }
  notify::Config config;
  try {
    config = notify::notify_settings();
  } catch (const std::exception& e) {
    d.fail(std::string("webhook configuration: ") + e.what(), notify::how_to_configure());
    return;
  }
  if (config.webhooks.empty()) {
    d.warn("no webhook configured: refusals are logged, but nobody is told at once", notify::how_to_configure());
    return;
  }
  std::string no_libcurl;
  if (check && notify::curl_api(&no_libcurl) == nullptr) {
    d.warn("webhooks cannot be contacted from this installation (" + no_libcurl +
               "): refusals still happen and are logged; their notifications wait in the spool",
           "install libcurl4 (`apt install libcurl4`), then `agentguard notify test` (which posts a test event)");
    return;
  }
  for (const auto& hook : config.webhooks) {
    const std::string label = hook.url + (hook.secret.empty() ? " (unsigned)" : " (signed)");
    if (!check) {
      d.pass("webhook configured: " + label + " (not checked: --no-webhook-test)");
      continue;
    }
    const std::string problem = connect_only(hook.url);
    if (!problem.empty())
      d.warn("webhook " + hook.url + " cannot be reached (" + problem +
                 "): refusals still happen and are logged; their notifications wait in the spool and are retried",
             "check the URL and the network, then `agentguard notify test` (which posts a test event)");
    else if (hook.secret.empty())
      d.warn("webhook " + hook.url + " reachable, but requests are not signed",
             "set AGENTGUARD_WEBHOOK_SECRET (or _SECRET_FILE) and verify X-Agentguard-Signature in the receiver");
    else
      d.pass("webhook " + hook.url + " reachable (connected; nothing was posted), requests signed");
  }
}

// Launches the canary through the real hooks: in a guarded tree the gate must refuse it.
void check_canary(Doctor& d) {
  const std::string canary = paths::canary_program().string();
  if (access(canary.c_str(), X_OK) != 0) {
    d.fail("the canary program is missing at " + canary, "reinstall agentguard");
    return;
  }
  subprocess::Options options;
  options.timeout = std::chrono::seconds(20);
  const auto r = subprocess::run({canary}, options);
  if (r.status == 126 && r.err.find(protocol::kRefusalOpening) != std::string::npos)
    d.pass("live canary refused end to end through the hooks and the gate");
  else if (r.status == 99)
    d.fail("the canary ran: a stand-in for a destructive launch was NOT stopped in this process tree",
           "start your agent with `agentguard run -- <agent>`, or open `agentguard shell`");
  else
    d.fail("the canary gave an unexpected result (status " + std::to_string(r.status) + "): " + r.err,
           "run `agentguard doctor --log-level debug` and check the gate");
}

// /proc/self/status says this process has no_new_privs and at least one seccomp filter.
bool under_seccomp_filter() {
  std::ifstream status("/proc/self/status");
  bool nnp = false, filtered = false;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("NoNewPrivs:", 0) == 0) nnp = line.find('1') != std::string::npos;
    if (line.rfind("Seccomp:", 0) == 0) filtered = line.find('2') != std::string::npos;
  }
  return nnp && filtered;
}

// Static programs (terraform itself, Go wrappers, static busybox) run under the gate's seccomp
// supervisor; without kernel support every one of them is refused.
void check_supervisor(Doctor& d) {
  subprocess::Options options;
  options.timeout = std::chrono::seconds(20);
  const auto r = subprocess::run({paths::gate_program().string(), protocol::kProbeSupervisor}, options);
  std::string line = r.out.substr(0, r.out.find('\n'));
  if (r.status == 0) {
    const char* strict = std::getenv(protocol::kEnvStrict);
    if (strict == nullptr || *strict == '\0') {
      d.pass(line + ": static programs and what they start are supervised (mode: static programs only; "
                    "`agentguard run --strict` supervises every exec)");
    } else if (under_seccomp_filter()) {
      d.pass(line + ": mode: strict (this session's processes run under the supervisor's seccomp filter: every "
                    "exec is seen, raw syscalls included; setuid programs gain no privileges here)");
    } else {
      d.fail("this is a strict session (AGENTGUARD_STRICT is set), but this process is not under a seccomp filter",
             "start the agent with `agentguard run --strict -- <agent>` itself; an exported AGENTGUARD_STRICT is not strict mode");
    }
    return;
  }
  if (line.empty()) line = "seccomp user notification: unavailable (the probe failed: " + r.err + ")";
  d.fail(line + ". Every static program (terraform, tofu, Go wrappers, static busybox) will be refused",
         "run on Linux 5.5 or later, and allow the seccomp() system call and the SECCOMP_IOCTL_NOTIF_* ioctls "
         "(a container's seccomp or AppArmor profile may block them: e.g. docker --security-opt seccomp=unconfined, "
         "or add them to the profile)");
}

}  // namespace

void add_doctor_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("doctor", "Check whether protection is in force right now, and how to fix what is not");
  auto no_check = std::make_shared<bool>(false);
  auto doctor = std::make_shared<Doctor>();
  cmd->add_flag("--no-webhook-test", *no_check, "Do not even connect to the webhooks (doctor never posts to them)");
  cmd->add_flag("-q,--quiet", doctor->quiet, "Print only warnings, failures and the verdict");
  cmd->add_flag("--json", doctor->json, "Print one JSON object: {protected, failures, warnings, checks: [{status, what, fix}]}");
  cmd->footer(
      "Webhooks are checked by connecting to them, without posting anything; `agentguard notify test`\n"
      "posts a test event. A webhook that cannot be reached is a warning: refusals still happen.\n"
      "Examples:\n"
      "  agentguard doctor                 # from the agent's shell, or inside `agentguard shell`\n"
      "  agentguard run -- agentguard doctor --quiet\n"
      "  agentguard doctor --json | jq .protected\n"
      "Exit status: 0 when protection is in force (warnings allowed), 1 when it is not.");
  cmd->callback([no_check, doctor] {
    Doctor& d = *doctor;
    check_guarded(d);
    check_policy(d);
    check_mode(d);
    check_state_dir(d);
    check_webhooks(d, !*no_check);
    check_canary(d);
    check_supervisor(d);
    if (d.json) {
      nlohmann::json out = {{"protected", d.failures == 0}, {"failures", d.failures}, {"warnings", d.warnings},
                            {"checks", d.checks}};
      std::printf("%s\n", out.dump(2).c_str());
    } else if (d.failures == 0) {
      std::printf("%s%s\n", d.quiet ? "" : "\n", output::paint(1, "1;32", "protected: the guard is in force here").c_str());
    } else {
      std::printf("%s%s\n", d.quiet ? "" : "\n",
                  output::paint(1, "1;31", "NOT protected: " + std::to_string(d.failures) + " check(s) failed").c_str());
    }
    throw CLI::RuntimeError(d.failures == 0 ? 0 : 1);
  });
}

}  // namespace agentguard::cli
