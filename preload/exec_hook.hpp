#pragma once
// The shared template of every hook (Bear/gentoo-sandbox style): each hook file only says how
// to find the file its function runs and how to make the original call; the decision, the envp
// re-injection and the hand-off to the gate live here, once.
//
// Rules every path obeys: async-signal-safe (these run in vfork children), errno preserved,
// nothing global written, the real function's result returned unchanged.
#include <errno.h>

#include "launch_plan.hpp"
#include "core/base/hot_path.hpp"

namespace agentguard::preload {

// execve through libc, or the raw syscall if libc's is missing.
int call_real_execve(const char* path, char* const* argv, char* const* envp);

// The file a PATH-searching call (execvp, execlp, posix_spawnp) will run, found with the PATH of
// `environ` as glibc does. If nothing is found, the bare name: a watched name is still caught.
const char* search_path(const char* file, char* out);

// The slow paths, out of line and out of the hot text: rewriting the envp, or the gate.
// The plan's buffers live in with_launch_plan's frame (alloca), so what uses the plan runs inside
// it, as a continuation, and never after it has returned.
template <typename WithPlan>
int with_launch_plan(const core::Identity& identity, const core::GuardEnv& guard, const char* examine_path,
                     char* const* argv, char* const* envp, WithPlan with_plan) {
  LaunchBuffers buffers;
  const std::size_t bytes = LaunchBuffers::bytes_needed(argv, envp, guard);
  void* memory = bytes <= LaunchBuffers::kStackLimit ? __builtin_alloca(bytes) : buffers.mapping.allocate(bytes);
  if (memory != nullptr) buffers.assign(memory, argv, envp, guard);
  LaunchPlan plan;
  plan_launch(identity, guard, examine_path, argv, envp, buffers, plan);
  return with_plan(plan);
}

template <typename RunOriginal>
__attribute__((noinline, cold)) int exec_slow_path(const core::Identity& identity, const core::GuardEnv& guard,
                                                    const char* examine_path, char* const* argv, char* const* envp,
                                                    RunOriginal run_original) {
  const int saved_errno = errno;
  return with_launch_plan(identity, guard, examine_path, argv, envp, [&](const LaunchPlan& plan) {
    if (plan.watched) {
      if (!plan.refused) {
        errno = saved_errno;
        call_real_execve(plan.gate, plan.argv, plan.envp);  // returns only if the gate cannot run
      }
      report_gate_unusable(identity, plan);
      errno = EACCES;
      return -1;
    }
    errno = saved_errno;
    return run_original(plan.envp);
  });
}

// Where the path an exec hook examines comes from, which decides whether a missing file may be
// answered without calling the original function.
enum class ExaminedPath : unsigned char {
  // The caller's own path, which the kernel resolves exactly as readlink did (execve, execv,
  // execl, execle): nothing there means execve fails with that same ENOENT/ENOTDIR, so the
  // hook returns it at once, without checking the envp or calling libc.
  callers,
  // A path we derived (a PATH search result, /proc/self/fd/N for fexecve and execveat): the
  // original call may fail differently (EACCES from another PATH entry, EBADF for a bad fd),
  // so it is always made.
  derived,
};

// Exec family: returns only on failure, with errno set, like the function it replaces.
// run_original(envp) makes the caller's own call with the given envp.
template <ExaminedPath kExamined = ExaminedPath::derived, typename RunOriginal>
AGENTGUARD_HOT int guarded_exec(const char* examine_path, char* const* argv, char* const* envp, RunOriginal run_original) {
  IdentitySlot slot;
  core::GuardEnv guard;
  switch (classify_launch(examine_path, kExamined == ExaminedPath::callers, argv, envp, slot.get(), guard)) {
    case LaunchKind::plain:
      return run_original(envp);
    case LaunchKind::missing:
      errno = slot.get().missing;
      return -1;
    case LaunchKind::rewrite:
      break;
  }
  return exec_slow_path(slot.get(), guard, examine_path, argv, envp, run_original);
}

template <typename RunOriginal, typename RunGate>
__attribute__((noinline, cold)) int spawn_slow_path(const core::Identity& identity, const core::GuardEnv& guard,
                                                     const char* examine_path, char* const* argv, char* const* envp,
                                                     RunOriginal run_original, RunGate run_gate) {
  const int saved_errno = errno;
  const int result = with_launch_plan(identity, guard, examine_path, argv, envp, [&](const LaunchPlan& plan) {
    if (!plan.watched) {
      errno = saved_errno;
      return run_original(plan.envp);
    }
    if (!plan.refused && run_gate(plan.gate, plan.argv, plan.envp) == 0) return 0;
    report_gate_unusable(identity, plan);
    return EACCES;
  });
  errno = saved_errno;
  return result;
}

// posix_spawn family: returns 0 or an error number. run_gate(gate, argv, envp) spawns the gate
// with the caller's file actions and attributes.
template <typename RunOriginal, typename RunGate>
int guarded_spawn(const char* examine_path, char* const* argv, char* const* envp,
                  RunOriginal run_original, RunGate run_gate) {
  IdentitySlot slot;
  core::GuardEnv guard;
  // posix_spawn's file actions (addchdir_np, addopen, ...) run before its exec, so a missing
  // path is still the original function's to report.
  if (classify_launch(examine_path, false, argv, envp, slot.get(), guard) == LaunchKind::plain) {
    return run_original(envp);
  }
  return spawn_slow_path(slot.get(), guard, examine_path, argv, envp, run_original, run_gate);
}

}  // namespace agentguard::preload

// Hooks are the only exported symbols (the version script is made from hooks.def).
#define AGENTGUARD_HOOK extern "C" __attribute__((visibility("default"))) AGENTGUARD_HOT
