#include "support/decided_exec.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "core/base/syscalls.hpp"
#include "core/protocol.hpp"

namespace agentguard::support {

ExecToken exec_token_from_environment() {
  ExecToken out;
  out.present = core::parse_strict_token(std::getenv(protocol::kEnvStrict), out.token);
  return out;
}

void execve_decided(const ExecToken& token, const char* path, char* const* argv, char* const* envp) {
#ifdef AGENTGUARD_EXEC_TOKEN
  if (token.present) {
    const long rc = core::sys::execve_with_token(path, argv, envp, token.token.word[0], token.token.word[1]);
    errno = static_cast<int>(-rc);
    return;
  }
#else
  (void)token;
#endif
  execve(path, argv, envp);
}

}  // namespace agentguard::support
