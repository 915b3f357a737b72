#include "session_drift.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/protocol.hpp"
#include "agentguard/api_rules.hpp"
#include "core/launch/identity.hpp"
#include "core/launch/watch_list.hpp"

namespace agentguard::cli {
namespace {

// The entries of a watch list that decide whether a launch reaches the gate: program names (p=)
// and interpreter modules (m=MODULE:NAME). Fingerprints (f=) depend on PATH and are left out.
std::vector<std::string> watched_entries(const std::string& watch_list) {
  std::vector<std::string> entries;
  std::stringstream fields(watch_list);
  for (std::string field; std::getline(fields, field, ';');) {
    if (field.rfind("p=", 0) != 0 && field.rfind("m=", 0) != 0) continue;
    std::stringstream items(field.substr(2));
    for (std::string item; std::getline(items, item, ',');)
      if (!item.empty()) entries.push_back(field.substr(0, 2) + item);
  }
  return entries;
}

// Whether the session's list covers an entry, asked the way the preload asks it.
bool session_covers(const char* session_list, const std::string& entry) {
  const std::string value = entry.substr(2);
  if (entry[0] == 'p') return core::watch_list_has_name(session_list, 'p', value.data(), value.size());
  char program[core::kMaxProgramName];
  return core::watch_list_module(session_list, value.substr(0, value.find(':')).c_str(), program, sizeof program);
}

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::vector<std::string> session_drift(const policy::Policy& on_disk) {
  std::vector<std::string> notes;
  const char* session = std::getenv(protocol::kEnvSession);
  const char* watch = std::getenv(protocol::kEnvWatch);
  if (session == nullptr || watch == nullptr) return notes;
  const char* path = std::getenv("PATH");

  // An invalid list makes the preload fall back to the built-in default, so compare with that.
  const char* session_list = core::watch_list_valid(watch) ? watch : core::default_watch_list();
  std::string missing;
  for (const auto& entry : watched_entries(on_disk.watch_list(path ? path : ""))) {
    if (session_covers(session_list, entry)) continue;
    const bool module = entry[0] == 'm';  // "m=MODULE:NAME"
    missing += std::string(missing.empty() ? "" : ", ") + (module ? "python -m " : "") +
               entry.substr(2, module ? entry.find(':') - 2 : std::string::npos);
  }
  if (!missing.empty())
    notes.push_back("this session (" + std::string(session) + ") does not watch " + missing +
                    ": rules for them take effect in a new `agentguard run`");

  if (const char* blob = std::getenv(protocol::kEnvApiRules); blob != nullptr && *blob != '\0') {
    if (read_file(blob) != policy::compile_api_rules(on_disk.api_rules()))
      notes.push_back("this session (" + std::string(session) + ") uses the [[api]] rules it started with: "
                      "the changed ones take effect in a new `agentguard run`");
  }
  return notes;
}

}  // namespace agentguard::cli
