#include "launch_plan.hpp"

#include <errno.h>
#include <unistd.h>

#include "core/guard_env.hpp"
#include "core/syscalls.hpp"
#include "core/text.hpp"
#include "guard_state.hpp"

namespace agentguard::preload {
namespace {

namespace text = core::text;

// Builds the envp in the stack buffers, or in an mmap when they are too small.
bool build_envp(char* const* envp, const core::GuardEnv& guard, core::EnvpMode mode,
                LaunchBuffers& buffers, char* const*& out) {
  const char* const* in = envp;
  const char* const* result = nullptr;
  core::EnvpBuffers stack{buffers.env_slots, LaunchBuffers::kSlots, buffers.env_text,
                          LaunchBuffers::kText};
  core::EnvpStatus status = core::build_guarded_envp(in, guard, mode, stack, &result);
  if (status == core::EnvpStatus::no_room && guard.library != nullptr) {
    const std::size_t slots = core::envp_slots_needed(in);
    const std::size_t text_size = core::envp_text_needed(in, guard);
    const std::size_t bytes = slots * sizeof(const char*) + text_size;
    void* memory = buffers.env_mapping.allocate(bytes);
    if (memory != nullptr) {
      auto** slot_memory = static_cast<const char**>(memory);
      core::EnvpBuffers mapped{slot_memory, slots, reinterpret_cast<char*>(slot_memory + slots), text_size};
      status = core::build_guarded_envp(in, guard, mode, mapped, &result);
    }
  }
  if (status == core::EnvpStatus::no_room) return false;
  out = const_cast<char* const*>(result);
  return true;
}

// [gate, resolved program, argv[0], argv[1], ...]
bool build_gate_argv(const char* gate, const char* resolved, char* const* argv, const char* examine_path,
                     LaunchBuffers& buffers, char* const*& out) {
  std::size_t argc = 0;
  while (argv != nullptr && argv[argc] != nullptr) ++argc;
  const std::size_t needed = argc + 3 + (argc == 0 ? 1 : 0);
  const char** slots = buffers.argv_slots;
  if (needed > LaunchBuffers::kSlots) {
    slots = static_cast<const char**>(buffers.argv_mapping.allocate(needed * sizeof(const char*)));
    if (slots == nullptr) return false;
  }
  std::size_t n = 0;
  slots[n++] = gate;
  slots[n++] = resolved;
  if (argc == 0) slots[n++] = examine_path;  // the gate protocol needs an argv[0]
  for (std::size_t i = 0; i < argc; ++i) slots[n++] = argv[i];
  slots[n] = nullptr;
  out = const_cast<char* const*>(slots);
  return true;
}

// ENOENT/ENOTDIR only: any other answer (EACCES on a directory, ...) counts as present, so
// doubt always ends at the gate.
bool file_is_missing(const char* path) {
  if (path == nullptr) return true;
  const long result = core::sys::access(path, F_OK);
  return result == -ENOENT || result == -ENOTDIR;
}

}  // namespace

bool launch_is_plain(const char* examine_path, char* const* argv, char* const* envp,
                     core::Identity& identity, core::GuardEnv& guard) {
  guard = current_guard();
  core::identify(examine_path, argv, guard.value(core::kVarWatch), identity);
  if (identity.watched && file_is_missing(examine_path)) {
    // The kernel will say ENOENT and run nothing. Callers that walk PATH themselves (CPython's
    // subprocess and os.execvpe try every entry) must see that miss and go on to the next
    // entry; handing the miss to the gate would end their search at a file that isn't there.
    identity.watched = false;
  }
  return !identity.watched && core::guard_env_intact(envp, guard);
}

void plan_launch(const core::Identity& identity, const core::GuardEnv& guard, const char* examine_path,
                 char* const* argv, char* const* envp, LaunchBuffers& buffers, LaunchPlan& plan) {
  plan.watched = identity.watched;
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
  put("agentguard: blocked ");
  put(identity.program);
  put(" (");
  put(identity.resolved_path);
  put("): it is a watched program and the agentguard gate is missing or not executable (AGENTGUARD_GATE=");
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
