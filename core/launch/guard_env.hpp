#pragma once
// Keeping the guard in every child's environment. The preload caches the guard's variables
// once, at load time (GuardEnvCache::capture); on every launch it rebuilds the envp handed to
// the kernel so the child carries exactly those values, whatever the caller did to its
// environment (env -i, env -u LD_PRELOAD, subprocess.run(env={...}), an exported override).
//
// Rules (docs/architecture.md, "The guard's environment" and "The gate protocol"):
// - LD_PRELOAD must contain the library; if it does not, the library is put first and the
//   caller's other preloads are kept after it.
// - the variables of protocol::kForcedVarNames are forced to their load-time values.
//   One that was unset at load time is removed, so a child cannot be handed a gate or watch
//   list the session never had.
// - Gate mode: LD_PRELOAD is removed and its (re-injected) value is passed as
//   AGENTGUARD_CALLER_LD_PRELOAD instead.
// Allocation-free and async-signal-safe: every output goes to caller-provided buffers.
#include <cstddef>
#include <cstdint>

#include "core/protocol.hpp"

namespace agentguard::core {

// The variable names and their order are the cross-process contract (core/protocol.hpp).
using protocol::kForcedVarCount;
using protocol::kForcedVarNames;
using protocol::kVarApiRules;
using protocol::kVarGate;
using protocol::kVarLib;
using protocol::kVarStrict;
using protocol::kVarProtect;
using protocol::kVarSealed;
using protocol::kVarWatch;
using protocol::kVarProxy;
inline constexpr const char (&kCallerPreloadVar)[sizeof protocol::kEnvCallerPreload] = protocol::kEnvCallerPreload;

// The guard's identity as seen at load time. Pointers into storage that outlives every launch.
struct GuardEnv {
  const char* library = nullptr;                     // absolute path that LD_PRELOAD must contain
  const char* forced[kForcedVarCount] = {};          // "NAME=value", nullptr if unset at load time
  // strlen(forced[k]) when known (GuardEnvCache); 0: unknown (guard_env_view), compare bytewise.
  std::size_t forced_length[kForcedVarCount] = {};
  // The value part of forced[index], or nullptr.
  const char* value(std::size_t index) const;
};

// Storage for the cached strings, meant to be a static object (no heap, no constructor). A
// small inline buffer holds the usual values; a larger set (a long f= watch list) goes to an
// anonymous mmap made once at capture time. The inline buffer is small on purpose: the
// preload's whole writable segment then fits in the page it already maps, which saves an
// extra mapping in every process.
class GuardEnvCache {
 public:
  // Copies the guard's variables out of envp. `self_path` is the library's own file (from
  // dladdr), used when AGENTGUARD_LIB is unset. Returns false if something could not be kept
  // (the watch list then falls back to the built-in default, which is never "watch nothing").
  bool capture(const char* const* envp, const char* self_path);
  const GuardEnv& env() const { return env_; }

  static constexpr std::size_t kInlineStorage = 1536;

 private:
  const char* store(const char* text, std::size_t len);
  GuardEnv env_{};
  char* storage_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t used_ = 0;
  char inline_storage_[kInlineStorage] = {};
};

// A GuardEnv that points straight into envp (no copy). Used for launches that happen before the
// preload's constructor has cached anything (another library's constructor calling exec).
GuardEnv guard_env_view(const char* const* envp);

// True if envp already carries the guard exactly (the fast path: nothing to copy).
bool guard_env_intact(const char* const* envp, const GuardEnv& guard);

// Does a LD_PRELOAD value (':' or ' ' separated) list `library`?
bool preload_list_contains(const char* value, const char* library);

enum class EnvpMode : std::uint8_t {
  child,  // the launched program keeps the guard
  gate,   // the gate runs unhooked: LD_PRELOAD moves to AGENTGUARD_CALLER_LD_PRELOAD
};

enum class EnvpStatus : std::uint8_t {
  unchanged,  // envp already right (child mode only); result is envp itself
  rewritten,  // result points at buffers.slots
  no_room,    // the buffers are too small; result is untouched
};

struct EnvpBuffers {
  const char** slots = nullptr;  // the new envp array
  std::size_t slot_count = 0;
  char* text = nullptr;  // for the one string built here (LD_PRELOAD / CALLER_LD_PRELOAD)
  std::size_t text_size = 0;
};

// Sizes that always suffice for build_guarded_envp.
std::size_t envp_slots_needed(const char* const* envp);
std::size_t envp_text_needed(const char* const* envp, const GuardEnv& guard);

EnvpStatus build_guarded_envp(const char* const* envp, const GuardEnv& guard, EnvpMode mode,
                              const EnvpBuffers& buffers, const char* const** result);

// system()/popen() when the caller's environ lacks the guard: a command for the outer /bin/sh
// that restores the guard and re-runs the original command in a hooked shell:
//   unset UNSET_VARS; LD_PRELOAD='...' AGENTGUARD_X='...' exec /bin/sh -c '<command>'
// Single quotes inside values are written as '\''. `environ_ld_preload` is the caller's
// current LD_PRELOAD value (nullptr if unset). Returns the bytes needed including the NUL;
// writes only if that fits in `cap`.
std::size_t build_guard_shell_command(const char* command, const GuardEnv& guard,
                                      const char* environ_ld_preload, char* out, std::size_t cap);

}  // namespace agentguard::core
