#pragma once
// Reading a local terraform.tfstate: which resources exist and their ids. The demo and the tests
// use it to show that the state survived, not just that a command failed.
#include <filesystem>
#include <map>
#include <string>

namespace agentguard::cli {

// address -> id, e.g. "terraform_data.database" -> "6b14...". Empty if there is no state.
std::map<std::string, std::string> read_state_ids(const std::filesystem::path& workspace);

}  // namespace agentguard::cli
