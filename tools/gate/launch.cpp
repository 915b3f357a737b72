#include "launch.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include "core/base/syscalls.hpp"
#include "core/launch/strict_token.hpp"
#include "core/protocol.hpp"
#include "core/launch/executable.hpp"
#include "gate/supervisor.hpp"
#include "support/decided_exec.hpp"

namespace agentguard::gate {

namespace {
constexpr std::string_view kPreload = "LD_PRELOAD=";

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool g_decision_only = false;

// No preload will run inside it: its own launches are only seen if we supervise it.
bool needs_supervision(const std::string& path) {
  core::ExecutableFacts facts;
  if (!core::examine_executable(path.c_str(), facts)) return false;  // missing: execve reports it
  return facts.kind == core::ExecutableKind::static_elf || facts.kind == core::ExecutableKind::unreadable;
}
}  // namespace

void set_decision_only() { g_decision_only = true; }
bool decision_only() { return g_decision_only; }

policy::ExecRequest request_from_protocol(int argc, char** argv, char** envp) {
  if (argc <= static_cast<int>(protocol::kGateArgProgramArgv) || argv[protocol::kGateArgResolved][0] == '\0')
    throw std::invalid_argument(
        "agentguard-gate is started by the guard, not by hand: expected `agentguard-gate /resolved/path argv0 [args...]`");
  policy::ExecRequest request;
  request.resolved_path = argv[protocol::kGateArgResolved];
  for (int i = protocol::kGateArgProgramArgv; i < argc; ++i) request.argv.emplace_back(argv[i]);
  for (char** e = envp; e && *e; ++e) request.env.emplace_back(*e);
  std::vector<char> cwd(4096);
  while (!getcwd(cwd.data(), cwd.size())) {
    if (errno != ERANGE) throw std::runtime_error(std::string("cannot read the working directory: ") + std::strerror(errno));
    cwd.resize(cwd.size() * 2);
  }
  request.cwd = cwd.data();
  // The preload passes the path as the caller gave it (`./tool` stays relative): we run in the
  // caller's working directory, so anchoring it here names the same file.
  if (request.resolved_path[0] != '/') request.resolved_path = request.cwd + "/" + request.resolved_path;
  return request;
}

std::vector<std::string> environment_for_program(const std::vector<std::string>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  std::string preload;
  for (const std::string& entry : env) {
    if (const std::size_t prefix = protocol::assigns(entry, protocol::kEnvCallerPreload)) {
      preload = entry.substr(prefix);
    } else if (!starts_with(entry, kPreload)) {
      out.push_back(entry);
    }
  }
  if (!preload.empty()) out.push_back(std::string(kPreload) + preload);
  return out;
}

void execve_decided(const char* path, char* const* argv, char* const* envp) {
  // In a strict session this launch is decided here: it passes the session's filter with the token
  // (support/decided_exec.hpp).
  support::execve_decided(support::exec_token_from_environment(), path, argv, envp);
}

int exec_program(const policy::ExecRequest& request) {
  if (g_decision_only) return 0;
  if (needs_supervision(request.resolved_path)) return run_supervised(request);
  std::vector<std::string> env = environment_for_program(request.env);
  std::vector<char*> argv_ptrs;
  for (const std::string& a : request.argv) argv_ptrs.push_back(const_cast<char*>(a.c_str()));
  argv_ptrs.push_back(nullptr);
  std::vector<char*> env_ptrs;
  for (const std::string& e : env) env_ptrs.push_back(const_cast<char*>(e.c_str()));
  env_ptrs.push_back(nullptr);

  execve_decided(request.resolved_path.c_str(), argv_ptrs.data(), env_ptrs.data());
  const int err = errno;
  std::fprintf(stderr, "agentguard: cannot run %s: %s\n", request.resolved_path.c_str(), std::strerror(err));
  return err == ENOENT ? 127 : 126;
}

}  // namespace agentguard::gate
