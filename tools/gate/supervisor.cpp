#include "gate/supervisor.hpp"

#include "gate/proxy_env.hpp"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/protocol.hpp"
#include "core/launch/identity.hpp"
#include "core/launch/strict_token.hpp"
#include "gate/decision.hpp"
#include "gate/launch.hpp"
#include "gate/refusal.hpp"
#include "gate/target_memory.hpp"

extern char** environ;

namespace agentguard::gate {
namespace {

// The path a gate execs to ask whether a supervisor of ours is above it (already_supervised()).
constexpr char kOuterProbePath[] = "/nonexistent/agentguard-supervised-probe";

// Bounds on what one trapped exec may carry (the kernel's own limit is about 2 MiB of text).
constexpr std::size_t kMaxPathBytes = 4096;
constexpr std::size_t kMaxArgs = 1 << 17;
constexpr std::size_t kMaxArgBytes = 8 << 20;

int pidfd_open(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }
// A duplicate of the target's own open file (same offset, same flags), unlike opening /proc/PID/fd/N.
int pidfd_getfd(int pidfd, int fd) { return static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0)); }

std::string errno_text(int err) { return std::strerror(err); }

// ---- the child's side -------------------------------------------------------------------------

// libseccomp 2.5.4 reports the kernel's EBUSY (one listener per filter chain) as ECANCELED or
// EFAULT; ask the kernel directly, with a filter that allows everything (harmless if it loads: the
// caller then gives up anyway).
bool listener_already_in_chain() {
  sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  sock_fprog program{1, allow};
  const long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &program);
  if (fd >= 0) {
    close(static_cast<int>(fd));
    return false;
  }
  return errno == EBUSY;
}

// Installs the filter: execve and execveat become user notifications, everything else is allowed.
// Calls from another architecture (a 32-bit int 0x80 execve) kill the thread (libseccomp's default).
// With a strict-mode token, an execve whose fourth and fifth arguments carry it (the preload's
// already-decided execs) goes through without a notification (core/launch/strict_token.hpp).
// Returns the listener fd, or -errno.
int install_exec_filter(const core::StrictToken* token = nullptr) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) return -ENOMEM;
  int rc = 0;
  if (token == nullptr) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execve), 0);
  } else {
    // Rules with the same action are alternatives: either word differing is enough to ask.
    rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execve), 1, SCMP_A3_64(SCMP_CMP_NE, token->word[0]));
    if (rc == 0)
      rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execve), 1, SCMP_A4_64(SCMP_CMP_NE, token->word[1]));
  }
  if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execveat), 0);
  if (rc == 0) rc = seccomp_load(ctx);
  if (rc != 0) return listener_already_in_chain() ? -EBUSY : (rc < 0 ? rc : -EINVAL);
  const int fd = seccomp_notify_fd(ctx);  // ctx is never released: releasing it would close fd
  return fd >= 0 ? fd : -EOPNOTSUPP;
}

// One message on the socketpair: the listener as SCM_RIGHTS, or an errno with no fd.
void send_listener(int sock, int listener_or_error) {
  int payload = listener_or_error < 0 ? -listener_or_error : 0;
  iovec iov{&payload, sizeof payload};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (listener_or_error >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &listener_or_error, sizeof(int));
  }
  while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

// Returns the listener, or -errno the child reported (or -EPIPE if it said nothing).
int receive_listener(int sock) {
  int payload = 0;
  iovec iov{&payload, sizeof payload};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n != sizeof payload) return -EPIPE;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      return fd;
    }
  }
  return payload != 0 ? -payload : -EPIPE;
}

// ---- the supervisor's side --------------------------------------------------------------------

struct TrappedExec {
  std::string path;       // as the target passed it
  std::string examine;    // a path this process can open for the same file (/proc/PID/... for relative ones)
  std::string cwd;        // the target's working directory
  std::vector<std::string> argv, envp;
};

std::string read_link(const std::string& path) {
  std::vector<char> buffer(4096);
  const ssize_t n = readlink(path.c_str(), buffer.data(), buffer.size() - 1);
  if (n < 0) return {};
  return std::string(buffer.data(), static_cast<std::size_t>(n));
}

// Reads what the target passed to execve/execveat. Returns "" or why it could not.
std::string read_trapped_exec(const seccomp_notif& req, TrappedExec& out) {
  const TargetMemory memory(static_cast<pid_t>(req.pid));
  const bool at = req.data.nr == SCMP_SYS(execveat);
  const int dirfd = at ? static_cast<int>(req.data.args[0]) : AT_FDCWD;
  const std::uint64_t path_ptr = req.data.args[at ? 1 : 0];
  const std::uint64_t argv_ptr = req.data.args[at ? 2 : 1];
  const std::uint64_t envp_ptr = req.data.args[at ? 3 : 2];
  const int flags = at ? static_cast<int>(req.data.args[4]) : 0;
  auto path = memory.string_at(path_ptr, kMaxPathBytes);
  if (!path) return "its path could not be read";
  auto argv = memory.strings_at(argv_ptr, kMaxArgs, kMaxArgBytes);
  if (!argv) return "its arguments could not be read";
  auto envp = memory.strings_at(envp_ptr, kMaxArgs, kMaxArgBytes);
  if (!envp) return "its environment could not be read";
  const std::string proc = "/proc/" + std::to_string(req.pid);
  out.cwd = read_link(proc + "/cwd");
  if (out.cwd.empty()) return "its working directory could not be read";
  out.path = *path;
  if ((flags & AT_EMPTY_PATH) != 0 && path->empty()) {
    out.examine = proc + "/fd/" + std::to_string(dirfd);
  } else if (!path->empty() && (*path)[0] == '/') {
    out.examine = *path;
  } else {
    const std::string base = dirfd == AT_FDCWD ? proc + "/cwd" : proc + "/fd/" + std::to_string(dirfd);
    out.examine = base + "/" + *path;
  }
  out.argv = std::move(*argv);
  out.envp = std::move(*envp);
  return "";
}

bool has_loader_injection(const std::vector<std::string>& env) {
  for (const auto& e : env)
    if (e.starts_with("LD_PRELOAD=") || e.starts_with("LD_AUDIT=") || e.starts_with("LD_LIBRARY_PATH=")) return true;
  return false;
}

// The only loader variable is LD_PRELOAD, naming the session's library (AGENTGUARD_LIB) and nothing else.
bool only_guard_preload(const std::vector<std::string>& env) {
  const char* lib = getenv(protocol::kEnvLib);
  if (lib == nullptr || *lib == '\0') return false;
  bool preload_is_ours = false;
  for (const auto& e : env) {
    if (e.starts_with("LD_AUDIT=") || e.starts_with("LD_LIBRARY_PATH=")) return false;
    if (e.starts_with("LD_PRELOAD=")) {
      if (e.substr(11) != lib) return false;
      preload_is_ours = true;
    }
  }
  return preload_is_ours;
}

std::vector<std::string> read_environ_file(const std::string& path) {
  std::vector<std::string> out;
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return {"LD_PRELOAD=?"};  // unreadable: treated as injected
  std::string entry;
  for (int c; (c = std::fgetc(f)) != EOF;) {
    if (c == '\0') {
      out.push_back(std::move(entry));
      entry.clear();
    } else {
      entry += static_cast<char>(c);
    }
  }
  std::fclose(f);
  return out;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// The environment a decision runs with: the target's own (TF_CLI_ARGS, AWS_PROFILE, ...), but the
// guard's variables are ours (the session's), whatever the target kept or scrubbed.
std::vector<std::string> decision_environment(const std::vector<std::string>& target_env) {
  std::vector<std::string> out;
  for (const auto& e : target_env)
    if (!e.starts_with(protocol::kEnvPrefix) && !e.starts_with("LD_PRELOAD=")) out.push_back(e);
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    if (std::string_view(*e).starts_with(protocol::kEnvPrefix)) out.emplace_back(*e);
  return out;
}

// Writes to the target's stderr (its very open file) where possible, else to ours.
void tell_target(int pidfd, const std::string& text) {
  const int fd = pidfd >= 0 ? pidfd_getfd(pidfd, 2) : -1;
  const int out = fd >= 0 ? fd : 2;
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t w = write(out, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    p += w;
    left -= static_cast<std::size_t>(w);
  }
  if (fd >= 0) close(fd);
}

// The decision for a watched exec, taken by decide_and_launch in a forked child that launches
// nothing: exit status 0 is "allowed". Its stderr is the target's, so the refusal paragraph and
// the approval messages reach whoever reads the target's output.
bool decide_in_child(const TrappedExec& exec, const std::string& resolved, int pidfd) {
  const pid_t child = fork();
  if (child < 0) return false;
  if (child == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    const int err = pidfd >= 0 ? pidfd_getfd(pidfd, 2) : -1;
    if (err >= 0) {
      dup2(err, 2);
      close(err);
    }
    int status = kRefusedStatus;
    try {
      set_decision_only();
      if (chdir(exec.cwd.c_str()) != 0) throw std::runtime_error("cannot enter " + exec.cwd + ": " + errno_text(errno));
      policy::ExecRequest request;
      request.resolved_path = resolved;
      request.argv = exec.argv;
      if (request.argv.empty()) request.argv.push_back(exec.path);
      request.env = decision_environment(exec.envp);
      request.cwd = exec.cwd;
      static std::vector<char*> env_ptrs;  // the policy layers and state directory come from environ
      for (auto& e : request.env) env_ptrs.push_back(e.data());
      env_ptrs.push_back(nullptr);
      environ = env_ptrs.data();
      status = decide_and_launch(request);
    } catch (const std::exception& e) {
      std::fputs(undecidable_paragraph(e.what()).c_str(), stderr);
    }
    std::fflush(nullptr);
    _exit(status == 0 ? 0 : kRefusedStatus);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

class Supervisor {
 public:
  Supervisor(int listener, pid_t child) : listener_(listener), child_(child) {
    own_exe_ = "/proc/self/exe";
    const char* watch = getenv(protocol::kEnvWatch);
    if (watch != nullptr) watch_list_ = watch;
  }

  // Session mode (strict): the child runs the gate's own decision for the agent, so its first
  // exec is not taken as decided.
  void decide_first_exec_too() { first_exec_pending_ = false; }

  // Answers one notification.
  void handle(seccomp_notif& req, seccomp_notif_resp& resp) {
    resp.id = req.id;
    resp.val = 0;
    resp.error = 0;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    // The program's own first exec: the gate decided it before forking.
    if (first_exec_pending_ && static_cast<pid_t>(req.pid) == child_) {
      first_exec_pending_ = false;
      return;
    }
    const int pidfd = pidfd_open(static_cast<pid_t>(req.pid));
    const int refusal = decide(req, pidfd);
    if (pidfd >= 0) close(pidfd);
    if (refusal != 0) {
      resp.flags = 0;
      resp.error = -refusal;
    }
  }

 private:
  int refuse(int pidfd, const TrappedExec& exec, const std::string& why) {
    tell_target(pidfd, refusal_paragraph(exec.argv.empty() ? std::vector<std::string>{exec.path} : exec.argv,
                                         ": " + why + " Nothing was run."));
    return EACCES;
  }

  // 0: continue the exec; else the errno it fails with.
  int decide(const seccomp_notif& req, int pidfd) {
    TrappedExec exec;
    const std::string unread = read_trapped_exec(req, exec);
    // The pid may have died and been reused while we read: only act on a live notification.
    if (seccomp_notify_id_valid(listener_, req.id) != 0) return EACCES;
    if (!unread.empty()) return refuse(pidfd, exec, "agentguard supervises this process tree and " + unread + ", so it cannot decide this launch.");
    const std::string proc = "/proc/" + std::to_string(req.pid);
    // The gate's own execs (the program it just allowed, its helpers) were decided by that gate.
    // Trusted only from a gate started without loader injection: its code is then ours alone.
    if (same_file(proc + "/exe", own_exe_) && !has_loader_injection(read_environ_file(proc + "/environ"))) {
      // A gate below us asking whether it is supervised already (already_supervised()): it is.
      if (exec.path == kOuterProbePath) return EALREADY;
      return 0;
    }

    std::vector<const char*> argv;
    for (const auto& a : exec.argv) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    core::Identity id;
    if (!core::identify(exec.examine.c_str(), argv.data(), watch_list_.empty() ? nullptr : watch_list_.c_str(), id,
                        core::IdentifyMode::stop_if_missing))
      return refuse(pidfd, exec, "agentguard cannot examine `" + exec.path + "`, so it cannot decide this launch.");
    if (id.missing != 0) return 0;  // the kernel fails it with ENOENT/ENOTDIR: nothing runs
    // A gate with the session's own preload in it (`agentguard doctor` probing the supervisor from
    // a hooked process) is an ordinary hooked program: its execs are not trusted, only decided.
    if (same_file(exec.examine, own_exe_) && has_loader_injection(exec.envp) && !only_guard_preload(exec.envp))
      return refuse(pidfd, exec, "the agentguard gate may not be started with LD_PRELOAD, LD_AUDIT or LD_LIBRARY_PATH.");
    // Not watched: launched as the preload would launch it. A static one stays under this filter.
    if (!id.watched) return 0;
    struct stat st;
    const std::string resolved = stat(id.resolved_path, &st) == 0 ? std::string(id.resolved_path) : exec.examine;
    return decide_in_child(exec, resolved, pidfd) ? 0 : EACCES;
  }

  int listener_;
  pid_t child_;
  bool first_exec_pending_ = true;
  std::string own_exe_;
  std::string watch_list_;
};

pid_t g_supervised_child = 0;
void forward_signal(int sig) {
  if (g_supervised_child > 0) kill(g_supervised_child, sig);
}

int exit_status_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    // Die the same way, so the caller's shell reports it as it would have.
    const int sig = WTERMSIG(status);
    signal(sig, SIG_DFL);
    raise(sig);
    return 128 + sig;
  }
  return kRefusedStatus;
}

// Serves notifications until the direct child exits; returns its wait status.
int supervise(int listener, pid_t child, bool session) {
  Supervisor supervisor(listener, child);
  if (session) supervisor.decide_first_exec_too();
  const int pidfd = pidfd_open(child);
  seccomp_notif* req = nullptr;
  seccomp_notif_resp* resp = nullptr;
  if (seccomp_notify_alloc(&req, &resp) != 0) {
    kill(child, SIGKILL);
  }
  bool listening = req != nullptr;
  int status = 0;
  for (;;) {
    pollfd fds[2] = {{pidfd, POLLIN, 0}, {listening ? listener : -1, POLLIN, 0}};
    const int n = poll(fds, 2, pidfd >= 0 ? -1 : 100);
    if (n < 0 && errno != EINTR) break;
    const pid_t done = waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (n <= 0) continue;
    if ((fds[1].revents & POLLIN) != 0) {
      std::memset(req, 0, sizeof *req);
      if (seccomp_notify_receive(listener, req) != 0) {
        if (errno == EINTR || errno == ENOENT) continue;  // the target died before we read it
        // The kernel (or a container profile) refuses the notify ioctls: nothing can be decided,
        // so nothing in the subtree may go on unseen.
        std::fputs(refusal_paragraph({}, "the kernel refused to hand agentguard the launches of this process tree "
                                         "(seccomp notification: " + errno_text(errno) +
                                         "), so it was stopped. `agentguard doctor` explains the fix.")
                       .c_str(),
                   stderr);
        kill(child, SIGKILL);
        listening = false;
        continue;
      }
      std::memset(resp, 0, sizeof *resp);
      supervisor.handle(*req, *resp);
      if (seccomp_notify_respond(listener, resp) != 0 && errno != ENOENT) {
        // Could not answer: the target stays blocked until the listener closes (then ENOSYS).
      }
    } else if ((fds[1].revents & (POLLHUP | POLLERR)) != 0) {
      listening = false;  // nobody is left under the filter; wait for the child
    }
  }
  if (req != nullptr) seccomp_notify_free(req, resp);
  if (pidfd >= 0) close(pidfd);
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::string refusal_reason(int err) {
  return "This program runs only under agentguard's seccomp supervisor (it is statically linked, so no preload "
         "can see what it starts), and this kernel refused seccomp user notification (" + errno_text(err) +
         "). `agentguard doctor` explains the fix.";
}

}  // namespace

namespace {

// True when a supervisor of ours already watches this process. The kernel allows one listener
// per filter chain (a second fails with EBUSY), and none is needed: the filter above covers all
// this process starts. The supervisor answers this probe exec with EALREADY, and only for a gate
// (supervisor.cpp, Supervisor::decide); with no filter the kernel says ENOENT; a foreign listener
// would say something else, and then installing ours fails closed.
bool already_supervised() {
  char* const argv[] = {const_cast<char*>("agentguard-probe"), nullptr};
  const long rc = syscall(SYS_execve, kOuterProbePath, argv, argv + 1);
  return rc < 0 && errno == EALREADY;
}

// Forks a child that installs the filter, hands us the listener and then runs `body` (which
// execs or returns an exit status). Supervises it until it exits and returns its status as a
// shell would see it. `refused(err)` gives the status when the kernel refuses the filter.
template <typename Body, typename Refused>
int supervise_child(const core::StrictToken* token, bool session, Body body, Refused refused) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    std::fprintf(stderr, "agentguard: cannot start the supervisor: %s\n", errno_text(errno).c_str());
    return kRefusedStatus;
  }
  std::fflush(nullptr);
  const pid_t child = fork();
  if (child < 0) {
    std::fprintf(stderr, "agentguard: cannot start the supervisor: %s\n", errno_text(errno).c_str());
    return kRefusedStatus;
  }
  if (child == 0) {
    close(sv[0]);
    // The gate made itself non-dumpable (no peeking at it); this child inherited that, but it is
    // about to become the supervised program, whose first exec we must read (same user, no
    // CAP_SYS_PTRACE). It holds nothing secret yet, and the exec resets the flag anyway.
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    const int listener = install_exec_filter(token);
    send_listener(sv[1], listener);
    if (listener < 0) _exit(kRefusedStatus);
    close(listener);  // the program must never hold the listener: it could answer for itself
    close(sv[1]);
    const int status = body();
    std::fflush(nullptr);
    _exit(status);
  }
  close(sv[1]);
  const int listener = receive_listener(sv[0]);
  close(sv[0]);
  if (listener < 0) {
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    return refused(-listener);
  }
  // The terminal's SIGINT/SIGQUIT reach the program too (same process group); a SIGTERM or SIGHUP
  // sent to us (the pid the caller knows) is passed on.
  g_supervised_child = child;
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  struct sigaction forward{};
  forward.sa_handler = forward_signal;
  sigaction(SIGTERM, &forward, nullptr);
  sigaction(SIGHUP, &forward, nullptr);
  const int status = supervise(listener, child, session);
  close(listener);
  return exit_status_of(status);
}

// execve, and the status a shell gives when it fails (after saying why).
int exec_or_status(const std::string& path, std::vector<char*>& argv, std::vector<char*>& envp) {
  execve_decided(path.c_str(), argv.data(), envp.data());
  const int err = errno;
  std::fprintf(stderr, "agentguard: cannot run %s: %s\n", path.c_str(), std::strerror(err));
  std::fflush(stderr);
  return err == ENOENT ? 127 : 126;
}

}  // namespace

int run_supervised(const policy::ExecRequest& request) {
  std::vector<std::string> env = environment_for_program(request.env);
  steer_to_proxy(env);
  std::vector<char*> argv_ptrs, env_ptrs;
  for (const auto& a : request.argv) argv_ptrs.push_back(const_cast<char*>(a.c_str()));
  argv_ptrs.push_back(nullptr);
  for (const auto& e : env) env_ptrs.push_back(const_cast<char*>(e.c_str()));
  env_ptrs.push_back(nullptr);
  // Inside a supervised tree (a strict session, or below another static program) the filter
  // above already sees everything the program starts.
  if (already_supervised()) return exec_or_status(request.resolved_path, argv_ptrs, env_ptrs);
  return supervise_child(
      nullptr, false, [&] { return exec_or_status(request.resolved_path, argv_ptrs, env_ptrs); },
      [&](int err) {
        policy::Decision decision;
        decision.action = policy::Action::deny;
        decision.rule_id = "agentguard.supervisor-unavailable";
        decision.source.file = "agentguard";
        decision.message = refusal_reason(err);
        return refuse(request, decision);
      });
}

int run_strict_session(const policy::ExecRequest& request) {
  core::StrictToken token;
  const char* value = getenv(protocol::kEnvStrict);
  if (!core::parse_strict_token(value, token)) {
    std::fprintf(stderr, "%s: strict mode needs %s (32 hex digits, set by `agentguard run --strict`), so nothing "
                         "was started.\n", protocol::kRefusalOpening, protocol::kEnvStrict);
    return kRefusedStatus;
  }
  return supervise_child(
      &token, true, [&] { return decide_and_launch(request); },
      [&](int err) {
        std::fprintf(stderr, "%s: strict mode puts the whole session under agentguard's seccomp supervisor, and this "
                             "kernel refused seccomp user notification (%s), so nothing was started. `agentguard "
                             "doctor` explains the fix.\n", protocol::kRefusalOpening, errno_text(err).c_str());
        return kRefusedStatus;
      });
}

std::string probe_user_notification() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return errno_text(errno);
  const pid_t child = fork();
  if (child < 0) return errno_text(errno);
  if (child == 0) {
    close(sv[0]);
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);  // as in supervise_child: the probe's exec is read
    const int listener = install_exec_filter();
    send_listener(sv[1], listener);
    if (listener < 0) _exit(1);
    close(listener);
    // A trapped call that must come back: execve of a path that does not exist (ENOENT once continued).
    // The raw syscall: a preload in this process (doctor runs us inside a guarded tree) would
    // answer a missing path itself, without asking the kernel.
    char* const argv[] = {const_cast<char*>("agentguard-probe"), nullptr};
    const long rc = syscall(SYS_execve, "/nonexistent/agentguard-probe", argv, argv + 1);
    _exit(rc < 0 && errno == ENOENT ? 0 : 2);
  }
  close(sv[1]);
  const int listener = receive_listener(sv[0]);
  close(sv[0]);
  std::string why;
  if (listener == -EBUSY) {
    // This process is already under a filter with a listener (a strict session, or a supervised
    // static program's subtree): the kernel supports it, and the supervisor above covers us.
  } else if (listener < 0) {
    why = "installing the filter failed: " + errno_text(-listener);
  } else {
    seccomp_notif* req = nullptr;
    seccomp_notif_resp* resp = nullptr;
    if (seccomp_notify_alloc(&req, &resp) != 0) {
      why = "out of memory";
    } else {
      std::memset(req, 0, sizeof *req);
      if (seccomp_notify_receive(listener, req) != 0) {
        why = "receiving a notification failed: " + errno_text(errno);
      } else {
        std::memset(resp, 0, sizeof *resp);
        resp->id = req->id;
        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        if (seccomp_notify_respond(listener, resp) != 0) why = "answering a notification failed: " + errno_text(errno);
      }
      seccomp_notify_free(req, resp);
    }
    if (!why.empty()) kill(child, SIGKILL);
    close(listener);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (why.empty() && listener >= 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
    why = "a continued call did not come back";
  return why;
}

}  // namespace agentguard::gate
