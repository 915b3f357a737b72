#include "paths.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <system_error>

#include "core/protocol.hpp"

extern char** environ;

namespace agentguard::paths {
namespace fs = std::filesystem;

namespace {
std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}
}  // namespace

fs::path self_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot locate the running program (/proc/self/exe): " + ec.message());
  return exe.parent_path();
}

fs::path prefix() {
  fs::path dir = self_dir();
  // The gate lives in <prefix>/lib/agentguard, the CLI in <prefix>/bin.
  if (dir.filename() == "agentguard" && dir.parent_path().filename() == "lib") return dir.parent_path().parent_path();
  return dir.parent_path();
}

fs::path preload_library() { return prefix() / "lib/agentguard/libagentguard.so"; }
fs::path gate_program() { return prefix() / "lib/agentguard/agentguard-gate"; }
fs::path proxy_program() { return prefix() / "lib/agentguard/agentguard-proxy"; }
fs::path ui_program() { return prefix() / "lib/agentguard/agentguard-ui"; }
fs::path cli_program() { return prefix() / "bin/agentguard"; }
fs::path default_policy_file() { return prefix() / "share/agentguard/default-policy.toml"; }
fs::path canary_program() { return prefix() / "lib/agentguard/agentguard-canary"; }

std::string home_dir() {
  std::string home = env_or_empty("HOME");
  if (!home.empty()) return home;
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return "/";
}

fs::path state_dir() {
  if (auto v = env_or_empty(protocol::kEnvStateDir); !v.empty()) return v;
  if (auto v = env_or_empty("XDG_STATE_HOME"); !v.empty()) return fs::path(v) / "agentguard";
  return fs::path(home_dir()) / ".local/state/agentguard";
}

namespace {
bool g_shared_state_dir = false;
}  // namespace

void share_state_dir() { g_shared_state_dir = true; }

fs::path ensure_state_dir() {
  fs::path dir = state_dir();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create the state directory " + dir.string() + ": " + ec.message() +
                                   " (set AGENTGUARD_STATE_DIR to a writable directory)");
  ::chmod(dir.c_str(), g_shared_state_dir ? 0755 : 0700);
  return dir;
}

std::vector<fs::path> system_policy_files() {
  if (auto v = env_or_empty(protocol::kEnvSystemPolicy); !v.empty()) return {v};
  std::vector<fs::path> files{"/etc/agentguard/policy.toml"};
  std::error_code ec;
  const fs::path own = prefix() / "etc/agentguard/policy.toml";
  // The /usr prefix keeps its system file in /etc (the .deb's conffile): no second copy to read.
  if (fs::weakly_canonical(prefix(), ec) != "/usr" && own.lexically_normal() != files.front()) files.push_back(own);
  return files;
}

fs::path user_policy_file() {
  if (auto v = env_or_empty("XDG_CONFIG_HOME"); !v.empty()) return fs::path(v) / "agentguard/policy.toml";
  return fs::path(home_dir()) / ".config/agentguard/policy.toml";
}

std::vector<std::string> environment_for_helper() {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry)
    if (protocol::assigns(*entry, protocol::kEnvStateDir) == 0) env.emplace_back(*entry);
  env.push_back(std::string(protocol::kEnvStateDir) + "=" + std::filesystem::absolute(state_dir()).string());
  return env;
}

}  // namespace agentguard::paths
