#include "launch_plan.hpp"
#include "core/base/hot_path.hpp"

#include <errno.h>
#include <unistd.h>

#include "core/protocol.hpp"
#include "core/launch/guard_env.hpp"
#include "core/launch/project_scan.hpp"
#include "core/base/syscalls.hpp"
#include "core/base/text.hpp"
#include "guard_state.hpp"

namespace agentguard::preload {
namespace {

namespace text = core::text;

// Builds the envp in the slow path's buffers.
bool build_envp(char* const* envp, const core::GuardEnv& guard, core::EnvpMode mode,
                LaunchBuffers& buffers, char* const*& out) {
  const char* const* result = nullptr;
  const core::EnvpBuffers room{buffers.env_slots, buffers.env_slot_count, buffers.env_text,
                               buffers.env_text_size};
  if (core::build_guarded_envp(envp, guard, mode, room, &result) == core::EnvpStatus::no_room) return false;
  out = const_cast<char* const*>(result);
  return true;
}

std::size_t count(char* const* list) {
  std::size_t n = 0;
  while (list != nullptr && list[n] != nullptr) ++n;
  return n;
}

// The gate's argv (core/protocol.hpp): [gate, resolved program, argv[0], argv[1], ...]
bool build_gate_argv(const char* gate, const char* resolved, char* const* argv, const char* examine_path,
                     LaunchBuffers& buffers, char* const*& out) {
  const std::size_t argc = count(argv);
  if (argc + protocol::kGateArgExtraSlots > buffers.argv_slot_count) return false;
  const char** slots = buffers.argv_slots;
  std::size_t n = 0;
  slots[n++] = gate;
  slots[protocol::kGateArgResolved] = resolved;
  n = protocol::kGateArgProgramArgv;
  if (argc == 0) slots[n++] = examine_path;  // the gate protocol needs an argv[0]
  for (std::size_t i = 0; i < argc; ++i) slots[n++] = argv[i];
  slots[n] = nullptr;
  out = const_cast<char* const*>(slots);
  return true;
}

// ENOENT/ENOTDIR only (access follows the symlinks, so a dangling one is missing): any other
// answer (EACCES on a directory, ...) counts as present, so doubt always ends at the gate.
bool file_is_missing(const char* path) {
  if (path == nullptr) return true;
  const long result = core::sys::access(path, F_OK);
  return result == -ENOENT || result == -ENOTDIR;
}

}  // namespace

std::size_t LaunchBuffers::bytes_needed(char* const* argv, char* const* envp, const core::GuardEnv& guard) {
  const std::size_t env_slots = core::envp_slots_needed(envp);
  const std::size_t argv_slots = count(argv) + protocol::kGateArgExtraSlots;
  const std::size_t text = core::envp_text_needed(envp, guard);
  return (env_slots + argv_slots) * sizeof(const char*) + text;
}

void LaunchBuffers::assign(void* memory, char* const* argv, char* const* envp, const core::GuardEnv& guard) {
  env_slot_count = core::envp_slots_needed(envp);
  argv_slot_count = count(argv) + protocol::kGateArgExtraSlots;
  env_text_size = core::envp_text_needed(envp, guard);
  env_slots = static_cast<const char**>(memory);
  argv_slots = env_slots + env_slot_count;
  env_text = reinterpret_cast<char*>(argv_slots + argv_slot_count);
}

AGENTGUARD_HOT LaunchKind classify_launch(const char* examine_path, bool report_missing, char* const* argv, char* const* envp,
                           core::Identity& identity, core::GuardEnv& guard) {
  guard = current_guard();
  core::identify(examine_path, argv, guard.value(core::kVarWatch), identity, core::IdentifyMode::stop_if_missing);
  // Nothing at the path (not even a dangling symlink): execve fails with this errno and runs
  // nothing, whatever the envp. Failed PATH probes (CPython's subprocess and os.execvpe call
  // execv/execve on every PATH entry) then cost one readlink, as the kernel's lookup would.
  if (identity.missing != 0 && report_missing) return LaunchKind::missing;
  // A static executable: nothing of ours runs inside it, so the gate runs it under its supervisor.
  // (Also a setuid, setgid or file-capability program: the gate applies [launch] unknown_setuid.)
  if (identity.needs_supervision) return LaunchKind::rewrite;
  if (identity.watched && file_is_missing(examine_path)) {
    // A dangling symlink to a watched name: the kernel will say ENOENT and run nothing. Callers
    // that walk PATH themselves must see that miss and go on to the next entry; handing the miss
    // to the gate would end their search at a file that isn't there.
    identity.watched = false;
  }
  if (!identity.watched && identity.missing == 0 &&
      core::scan_project_policy(guard.value(core::kVarWatch)) == core::ProjectScan::unknown) {
    // A project policy the session's watch list does not cover (the agent cd'ed into another
    // project, or the file was edited): its rules may name this program, so the gate, which reads
    // that file, decides. Sessions that cover the project pay only the scan (docs/policy.md).
    identity.watched = true;
  }
  return !identity.watched && core::guard_env_intact(envp, guard) ? LaunchKind::plain : LaunchKind::rewrite;
}

void plan_launch(const core::Identity& identity, const core::GuardEnv& guard, const char* examine_path,
                 char* const* argv, char* const* envp, LaunchBuffers& buffers, LaunchPlan& plan) {
  plan.watched = identity.watched || identity.needs_supervision;
  if (!plan.watched) {
    plan.argv = argv;
    if (!build_envp(envp, guard, core::EnvpMode::child, buffers, plan.envp)) plan.envp = envp;
    return;
  }
  plan.gate = guard.value(core::kVarGate);
  if (plan.gate == nullptr || plan.gate[0] == '\0' ||
      !build_gate_argv(plan.gate, identity.resolved_path, argv, examine_path, buffers, plan.argv) ||
      !build_envp(envp, guard, core::EnvpMode::gate, buffers, plan.envp)) {
    plan.refused = true;
  }
}

void report_gate_unusable(const core::Identity& identity, const LaunchPlan& plan) {
  const int saved = errno;
  char line[core::kMaxPath + 512];
  std::size_t n = 0;
  auto put = [&](const char* s) {
    for (; s != nullptr && *s != '\0' && n + 2 < sizeof line; ++s) line[n++] = *s;
  };
  put(protocol::kRefusalOpening);
  put(" ");
  put(identity.program[0] != '\0' ? identity.program : "a static executable");
  put(" (");
  put(identity.resolved_path);
  put("): it is a watched program, needs the guard's supervisor or is setuid, and the agentguard gate is missing or not executable (");
  put(protocol::kEnvGate);
  put("=");
  put(plan.gate != nullptr && plan.gate[0] != '\0' ? plan.gate : "<unset>");
  put("), so it was refused. Ask a human to repair the agentguard installation.\n");
  const char* p = line;
  while (n > 0) {
    const ssize_t w = write(2, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  errno = saved;
}

}  // namespace agentguard::preload
