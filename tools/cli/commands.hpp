#pragma once
// Each command group lives in its own cmd_*.cpp and registers itself on the app here.
#include <CLI/CLI.hpp>

namespace agentguard::cli {
void add_run_command(CLI::App& app);      // cmd_run.cpp
void add_demo_command(CLI::App& app);     // cmd_demo.cpp
void add_policy_commands(CLI::App& app);  // cmd_policy.cpp
void add_explain_command(CLI::App& policy);  // cmd_explain.cpp: policy explain
void add_audit_commands(CLI::App& app);   // cmd_audit.cpp: audit verify, log
void add_notify_commands(CLI::App& app);  // cmd_notify.cpp: notify test/flush
void add_approval_commands(CLI::App& app);  // cmd_approve.cpp: approve, deny, approvals
void add_env_commands(CLI::App& app);       // cmd_env.cpp: env, shell
void add_doctor_command(CLI::App& app);     // cmd_doctor.cpp
void add_completions_command(CLI::App& app);  // cmd_completions.cpp
void add_setup_command(CLI::App& app);      // cmd_setup.cpp: setup claude-code|codex|aider
}  // namespace agentguard::cli
