#include "session_drift.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "agentguard/api_rules.hpp"

namespace agentguard::cli {
namespace {

// The program names (p=) and interpreter modules (m=) of a watch list: what decides whether a launch
// reaches the gate. Fingerprints (f=) depend on PATH and are left out.
std::set<std::string> watched_names(const std::string& watch_list) {
  std::set<std::string> names;
  std::stringstream fields(watch_list);
  for (std::string field; std::getline(fields, field, ';');) {
    if (field.rfind("p=", 0) != 0 && field.rfind("m=", 0) != 0) continue;
    std::stringstream items(field.substr(2));
    for (std::string item; std::getline(items, item, ',');)
      if (!item.empty()) names.insert(field.substr(0, 2) + item);
  }
  return names;
}

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::vector<std::string> session_drift(const policy::Policy& on_disk) {
  std::vector<std::string> notes;
  const char* session = std::getenv("AGENTGUARD_SESSION");
  const char* watch = std::getenv("AGENTGUARD_WATCH");
  if (session == nullptr || watch == nullptr) return notes;
  const char* path = std::getenv("PATH");

  const auto in_session = watched_names(watch);
  std::string missing;
  for (const auto& name : watched_names(on_disk.watch_list(path ? path : ""))) {
    if (in_session.count(name)) continue;
    const bool module = name[0] == 'm';  // "m=MODULE:NAME"
    missing += std::string(missing.empty() ? "" : ", ") + (module ? "python -m " : "") +
               name.substr(2, module ? name.find(':') - 2 : std::string::npos);
  }
  if (!missing.empty())
    notes.push_back("this session (" + std::string(session) + ") does not watch " + missing +
                    ": rules for them take effect in a new `agentguard run`");

  if (const char* blob = std::getenv("AGENTGUARD_API_RULES"); blob != nullptr && *blob != '\0') {
    if (read_file(blob) != policy::compile_api_rules(on_disk.api_rules()))
      notes.push_back("this session (" + std::string(session) + ") uses the [[api]] rules it started with: "
                      "the changed ones take effect in a new `agentguard run`");
  }
  return notes;
}

}  // namespace agentguard::cli
