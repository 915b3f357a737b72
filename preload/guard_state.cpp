#include "guard_state.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <atomic>

#include "real_functions.hpp"

namespace agentguard::preload {
namespace {

// Constant-initialized (zero) static storage: no constructor runs for it, no heap.
core::GuardEnvCache g_cache;
std::atomic<bool> g_ready{false};

// Our own file, for LD_PRELOAD when AGENTGUARD_LIB is unset (LD_PRELOAD=... used by hand).
const char* own_library_path() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&own_library_path), &info) == 0) return nullptr;
  return info.dli_fname;
}

// Runs once per process load; keep it cheap: one pass over environ and a few dlsym calls.
__attribute__((constructor)) void agentguard_initialize() {
  const char* const* envp = environ;
  const core::GuardEnv view = core::guard_env_view(envp);
  g_cache.capture(envp, view.library != nullptr ? nullptr : own_library_path());
  resolve_real_functions();
  g_ready.store(true, std::memory_order_release);
}

}  // namespace

core::GuardEnv current_guard() {
  if (g_ready.load(std::memory_order_acquire)) return g_cache.env();
  return core::guard_env_view(environ);
}

}  // namespace agentguard::preload
