#pragma once
// `agentguard ui`: the approval page (cmd_ui.cpp).
#include <CLI/CLI.hpp>

namespace agentguard::cli {
void add_ui_command(CLI::App& app);
}  // namespace agentguard::cli
