#include "file_report.hpp"

#include <alloca.h>
#include <signal.h>
#include <errno.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/protocol.hpp"
#include "core/base/file_syscalls.hpp"
#include "core/launch/guard_env.hpp"
#include "core/base/physical_path.hpp"
#include "guard_state.hpp"
#include "scratch.hpp"

namespace agentguard::preload {
namespace {

// Room for the line: the path escaped (at most 4 bytes per byte) plus the fixed sentences.
constexpr std::size_t kLineCap = 4 * core::kPhysicalPathMax + 1024;
constexpr std::size_t kEnvStackLimit = 64 * 1024;

struct Line {
  char text[kLineCap];
  std::size_t size = 0;
  void put(const char* s) {
    for (; *s != '\0' && size + 1 < kLineCap; ++s) text[size++] = *s;
  }
  // The path is the agent's text: control bytes and backslashes become \xNN, so it cannot forge a
  // second line or a terminal escape. Bytes >= 0x80 (UTF-8) are kept.
  void put_escaped(const char* s, std::size_t n) {
    const char hex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < n && size + 5 < kLineCap; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c < 0x20 || c == 0x7f || c == '\\') {
        text[size++] = '\\';
        text[size++] = 'x';
        text[size++] = hex[c >> 4];
        text[size++] = hex[c & 15];
      } else {
        text[size++] = static_cast<char>(c);
      }
    }
  }
  const char* c_str() {
    text[size] = '\0';
    return text;
  }
};

void write_all(const char* p, std::size_t n) {
  while (n > 0) {
    const long w = core::sys::write(2, p, n);
    if (w == -EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

#ifdef AGENTGUARD_RAW_SYSCALLS
long wait_for(long pid, int* status, int options) {
  long r;
  do {
    r = core::sys::syscall4(SYS_wait4, pid, reinterpret_cast<long>(status), options, 0);
  } while (r == -EINTR);
  return r;
}

// Runs the gate and waits for it; true if it said the event is durable (status 0).
//
// The host must not notice: no SIGCHLD for its handler, nothing for its waitpid(-1) to steal. A
// child's exit signal is reset to SIGCHLD when it execs, so the gate cannot be our child. Instead a
// copy of us that never execs (exit signal 0: no signal, not reaped by anyone but us, __WALL) starts
// the gate, waits for it and exits with its status. Both are forks without glibc's bookkeeping (no
// atfork handlers, no locks) that make raw system calls only. The copy blocks every signal, so the
// host's handlers never run in it; the gate gets the host's mask back before execve.
bool run_gate(const char* gate, const char* const* argv, const char* const* envp) {
  const long copy = core::sys::syscall4(SYS_clone, 0, 0, 0, 0);
  if (copy < 0) return false;
  if (copy == 0) {
    unsigned long all = ~0UL;
    unsigned long host_mask = 0;
    core::sys::syscall4(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&all),
                        reinterpret_cast<long>(&host_mask), sizeof all);
    const long child = core::sys::syscall4(SYS_clone, SIGCHLD, 0, 0, 0);
    if (child == 0) {
      core::sys::syscall4(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&host_mask), 0, sizeof host_mask);
      core::sys::syscall4(SYS_execve, reinterpret_cast<long>(gate), reinterpret_cast<long>(argv),
                          reinterpret_cast<long>(envp), 0);
      core::sys::syscall4(SYS_exit_group, 127, 0, 0, 0);
      __builtin_unreachable();
    }
    int gate_status = 0;
    const bool ran = child > 0 && wait_for(child, &gate_status, 0) == child;
    core::sys::syscall4(SYS_exit_group, ran && WIFEXITED(gate_status) ? WEXITSTATUS(gate_status) : 125, 0, 0, 0);
    __builtin_unreachable();
  }
  int status = 0;
  return wait_for(copy, &status, __WALL) == copy && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
#else
bool run_gate(const char*, const char* const*, const char* const*) { return false; }
#endif

// The gate protocol's environment (guard forced, LD_PRELOAD removed) in `memory`, then the gate.
bool report_with_env(const char* gate, const char* const* argv, const core::GuardEnv& guard, void* memory,
                     std::size_t slots, std::size_t text_size) {
  const core::EnvpBuffers room{static_cast<const char**>(memory), slots,
                               reinterpret_cast<char*>(static_cast<const char**>(memory) + slots), text_size};
  const char* const* envp = nullptr;
  if (core::build_guarded_envp(environ, guard, core::EnvpMode::gate, room, &envp) == core::EnvpStatus::no_room)
    return false;
  return run_gate(gate, argv, envp);
}

// Our pid in decimal (raw getpid: in a vfork child it is the child's own, the refused process).
void format_pid(char (&out)[24]) {
  long pid = core::sys::syscall4(SYS_getpid, 0, 0, 0, 0);
  char digits[24];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + pid % 10);
    pid /= 10;
  } while (pid > 0 && n < sizeof digits);
  std::size_t k = 0;
  while (n > 0) out[k++] = digits[--n];
  out[k] = '\0';
}

}  // namespace

void refuse_file_call(FileOp op, core::Protection protection, const char* path, std::size_t path_length) {
  const int saved_errno = errno;
  Line line;
  line.put(protocol::kRefusalOpening);
  line.put(" ");
  line.put(file_op_verb(op));
  line.put(" ");
  line.put_escaped(path, path_length);
  line.put(": ");
  line.put(core::protection_reason(protection));
  line.put(" (rule ");
  line.put(core::protection_rule_id(protection));
  line.put("). ");
  line.put(core::protection_advice(protection));
  const std::size_t message_end = line.size;
  line.put("\n");
  write_all(line.text, line.size);

  const core::GuardEnv guard = current_guard();
  const char* gate = guard.value(core::kVarGate);
  if (gate == nullptr || gate[0] != '/') {
    errno = saved_errno;  // no session (LD_PRELOAD by hand): nothing to record into
    return;
  }
  line.size = message_end;
  const char* message = line.c_str() + 12;  // without "agentguard: "
  char raw_path[core::kPhysicalPathMax];
  std::size_t n = path_length < sizeof raw_path - 1 ? path_length : sizeof raw_path - 1;
  for (std::size_t i = 0; i < n; ++i) raw_path[i] = path[i];
  raw_path[n] = '\0';
  char pid_text[24];
  format_pid(pid_text);
  const char* argv[] = {gate,
                        protocol::kReportFile,
                        protocol::kFlagPid, pid_text,
                        protocol::kFlagOperation, file_op_name(op),
                        protocol::kFlagPath, raw_path,
                        protocol::kFlagRule, core::protection_rule_id(protection),
                        protocol::kFlagMessage, message,
                        nullptr};

  const std::size_t slots = core::envp_slots_needed(environ);
  const std::size_t text_size = core::envp_text_needed(environ, guard);
  const std::size_t bytes = slots * sizeof(const char*) + text_size;
  bool reported = false;
  if (bytes <= kEnvStackLimit) {
    reported = report_with_env(gate, argv, guard, alloca(bytes), slots, text_size);
  } else {
    ScratchMapping mapping;
    void* memory = mapping.allocate(bytes);
    if (memory != nullptr) reported = report_with_env(gate, argv, guard, memory, slots, text_size);
  }
  if (!reported) {
    const char note[] = "agentguard: the refusal above could not be recorded in the audit log (the gate failed)\n";
    write_all(note, sizeof note - 1);
  }
  errno = saved_errno;
}

}  // namespace agentguard::preload
