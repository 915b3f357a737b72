#include "guard_state.hpp"
#include "core/base/hot_path.hpp"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>

#include "files/file_guard.hpp"
#include "real_functions.hpp"
#include "net/socket_real.hpp"

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

// The compiler turns the core's copy and length loops into memcpy/strlen calls through our PLT.
// Calling them once here binds those slots in every process at load time (where the lookup
// pages are hot anyway), so a forked child that launches something binds nothing.
void prebind_hot_path_imports() {
  char source[2] = {'x', '\0'};
  char target[2];
  const char* volatile text = source;
  const std::size_t volatile length = 2;
  memcpy(target, text, length);
  (void)strlen(text);
}

// Runs once per process load; keep it cheap: one pass over environ and one dlsym call.
// It also touches errno, which binds our PLT slot for __errno_location here, once, instead of
// in every forked child that launches something (a lazy binding there costs page faults).
__attribute__((constructor)) void agentguard_initialize() {
  const int saved_errno = errno;
  const char* const* envp = environ;
  // Our own path (dladdr walks the loaded objects) only when AGENTGUARD_LIB does not name it.
  if (!g_cache.capture(envp, nullptr) && g_cache.env().library == nullptr) {
    g_cache.capture(envp, own_library_path());
  }
  load_guard_files(g_cache.env().value(core::kVarProtect), g_cache.env().value(core::kVarSealed));
  {
    const NextSymbols next;  // libc's own symbol table: ~45 lookups without ~45 dlsym calls
    resolve_real_functions(next);
    resolve_socket_functions(next);
  }
  prebind_hot_path_imports();
  g_ready.store(true, std::memory_order_release);
  errno = saved_errno;
}

}  // namespace

AGENTGUARD_HOT core::GuardEnv current_guard() {
  if (g_ready.load(std::memory_order_acquire)) return g_cache.env();
  return core::guard_env_view(environ);
}

}  // namespace agentguard::preload
