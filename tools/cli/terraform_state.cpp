#include "terraform_state.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

namespace agentguard::cli {

std::map<std::string, std::string> read_state_ids(const std::filesystem::path& workspace) {
  std::map<std::string, std::string> ids;
  std::ifstream in(workspace / "terraform.tfstate");
  if (!in) return ids;
  const auto state = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!state.is_object() || !state.contains("resources")) return ids;
  for (const auto& r : state["resources"]) {
    const std::string address = r.value("type", "") + "." + r.value("name", "");
    for (const auto& inst : r.value("instances", nlohmann::json::array()))
      ids[address] = inst["attributes"].value("id", "");
  }
  return ids;
}

}  // namespace agentguard::cli
