// Runs `terraform show -json PLAN` with posix_spawn and a deadline, and reads what the plan does.
#include "agentguard/terraform_plan_inspector.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace agentguard::policy {
namespace {

constexpr std::size_t kMaxOutput = 512u << 20;  // a plan's JSON can be large, but not unbounded

std::string full_path(const std::string& cwd, const std::string& file) {
  if (!file.empty() && file[0] == '/') return file;
  return (cwd.empty() ? "." : cwd) + "/" + file;
}

// The environment for `show`: the launch's own (TF_DATA_DIR, TF_WORKSPACE... matter), without the
// preload (no recursion into the gate) and without TF_CLI_ARGS*, which would change what `show` does.
std::vector<std::string> show_environment(const std::vector<std::string>& env) {
  std::vector<std::string> out;
  for (const auto& entry : env) {
    if (entry.rfind("LD_PRELOAD=", 0) == 0 || entry.rfind("TF_CLI_ARGS", 0) == 0) continue;
    out.push_back(entry);
  }
  return out;
}

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() {
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  ~Pipe() {
    for (int fd : fds)
      if (fd >= 0) close(fd);
  }
  void close_end(int i) {
    if (fds[i] >= 0) close(fds[i]);
    fds[i] = -1;
  }
};

}  // namespace

TerraformPlanInspector::TerraformPlanInspector(std::chrono::milliseconds timeout) : timeout_(timeout) {}

std::optional<PlanSummary> TerraformPlanInspector::inspect(const std::string& program_path, const std::string& plan_file,
                                                           const ExecRequest& request) const {
  struct stat st {};
  if (stat(full_path(request.cwd, plan_file).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;

  Pipe out, err;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fds[1], 2);
  if (!request.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, request.cwd.c_str());

  std::vector<std::string> args = {program_path, "show", "-json", "-no-color", plan_file};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = show_environment(request.env);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  // Its own process group, so a timeout also ends the provider plugins it started.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, program_path.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("cannot run " + program_path + ": " + std::strerror(rc));
  out.close_end(1);
  err.close_end(1);

  std::string stdout_text, stderr_text;
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  bool timed_out = false, too_big = false;
  while (out.fds[0] >= 0 || err.fds[0] >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[2] = {{out.fds[0], POLLIN, 0}, {err.fds[0], POLLIN, 0}};
    int n = poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[65536];
      ssize_t got = read(fds[i].fd, buffer, sizeof buffer);
      if (got <= 0) {
        (i == 0 ? out : err).close_end(0);
        continue;
      }
      std::string& sink = i == 0 ? stdout_text : stderr_text;
      if (i == 1 && sink.size() > 65536) continue;  // enough of an error message
      sink.append(buffer, static_cast<std::size_t>(got));
      if (stdout_text.size() > kMaxOutput) too_big = true;
    }
    if (too_big) break;
  }
  if (timed_out || too_big) kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out)
    throw std::runtime_error(program_path + " show -json did not finish within " + std::to_string(timeout_.count()) + " ms");
  if (too_big) throw std::runtime_error(program_path + " show -json printed more than 512 MiB");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    // terraform frames its errors with box-drawing lines; keep the words, on one line.
    std::string reason;
    for (char c : stderr_text.substr(0, 600)) reason += (c == '\n') ? ' ' : c;
    throw std::runtime_error(program_path + " show -json failed (status " +
                             std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ")" +
                             (reason.empty() ? "" : ": " + reason));
  }
  return parse_show_json(stdout_text);
}

PlanSummary TerraformPlanInspector::parse_show_json(std::string_view json) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw std::runtime_error("terraform show -json printed no JSON object");
  PlanSummary summary;
  auto changes = doc.find("resource_changes");
  if (changes == doc.end() || changes->is_null()) return summary;
  if (!changes->is_array()) throw std::runtime_error("resource_changes is not an array");
  for (const auto& item : *changes) {
    ResourceChange change;
    change.address = item.value("address", "");
    change.type = item.value("type", "");
    auto c = item.find("change");
    if (c == item.end() || !c->is_object()) throw std::runtime_error("resource change without `change`: " + change.address);
    auto actions = c->find("actions");
    if (actions == c->end() || !actions->is_array())
      throw std::runtime_error("resource change without `change.actions`: " + change.address);
    for (const auto& action : *actions) {
      if (!action.is_string()) throw std::runtime_error("non-string action in " + change.address);
      change.actions.push_back(action.get<std::string>());
    }
    if (auto reason = item.find("action_reason"); reason != item.end() && reason->is_string())
      change.reason = reason->get<std::string>();
    summary.changes.push_back(std::move(change));
  }
  return summary;
}

}  // namespace agentguard::policy
