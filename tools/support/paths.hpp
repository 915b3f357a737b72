#pragma once
// Where agentguard's own files are: the programs find each other relative to themselves,
// so the build tree and any install prefix behave the same.
#include <filesystem>
#include <string>
#include <vector>

namespace agentguard::paths {

// Directory holding the running executable (via /proc/self/exe).
std::filesystem::path self_dir();

// <prefix>: the directory above bin/ (for the CLI) or above lib/agentguard/ (for the gate).
std::filesystem::path prefix();

std::filesystem::path preload_library();   // <prefix>/lib/agentguard/libagentguard.so
std::filesystem::path proxy_program();     // <prefix>/lib/agentguard/agentguard-proxy
std::filesystem::path ui_program();        // <prefix>/lib/agentguard/agentguard-ui (the approval page)
std::filesystem::path gate_program();      // <prefix>/lib/agentguard/agentguard-gate
std::filesystem::path cli_program();       // <prefix>/bin/agentguard
std::filesystem::path default_policy_file(); // <prefix>/share/agentguard/default-policy.toml
std::filesystem::path canary_program();      // <prefix>/lib/agentguard/agentguard-canary

// $AGENTGUARD_STATE_DIR, else $XDG_STATE_HOME/agentguard, else ~/.local/state/agentguard.
std::filesystem::path state_dir();
// Creates the state directory (mode 0700) if needed; throws std::runtime_error with the reason.
std::filesystem::path ensure_state_dir();
// For agentguard-service: its state directory stays 0755 (every user reads the audit log and the
// policies it vouches for; what is private there has a 0700 directory of its own), where
// ensure_state_dir() would make it 0700 for everyone else.
void share_state_dir();
// This process's environment with AGENTGUARD_STATE_DIR set to the state directory as an absolute
// path: for a helper started from "/" (support/detached_spawn.hpp). Throws like state_dir().
std::vector<std::string> environment_for_helper();

// The system layers, lowest first: /etc/agentguard/policy.toml, then <prefix>/etc/agentguard/policy.toml
// when agentguard is installed elsewhere than /usr (`cmake --install --prefix ~/.local` puts the
// system file there). AGENTGUARD_SYSTEM_POLICY replaces both (tests).
std::vector<std::filesystem::path> system_policy_files();
std::filesystem::path user_policy_file();   // $XDG_CONFIG_HOME/agentguard/policy.toml or ~/.config/agentguard/policy.toml

std::string home_dir();

}  // namespace agentguard::paths
