#include "shell_command.hpp"

#include <errno.h>
#include <unistd.h>

#include "core/launch/guard_env.hpp"
#include "core/base/text.hpp"
#include "guard_state.hpp"

namespace agentguard::preload {

const char* guarded_shell_command(const char* command, ScratchMapping& scratch) {
  if (command == nullptr) return command;
  const int saved_errno = errno;
  const core::GuardEnv guard = current_guard();
  const char* const* env = environ;
  if (guard.library == nullptr || core::guard_env_intact(env, guard)) return command;
  const char* caller_preload = core::text::env_value(env, "LD_PRELOAD");
  const std::size_t size = core::build_guard_shell_command(command, guard, caller_preload, nullptr, 0);
  auto* out = static_cast<char*>(scratch.allocate(size));
  if (out == nullptr) {
    errno = saved_errno;
    return command;
  }
  core::build_guard_shell_command(command, guard, caller_preload, out, size);
  errno = saved_errno;
  return out;
}

}  // namespace agentguard::preload
