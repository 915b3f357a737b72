// [approval] in a policy layer:
//   hold = "defer"        # or "wait": block until the request expires (scripts, CI)
//   hold_seconds = 90     # defer: how long one launch blocks before "pending approval <id>"
//   open_seconds = 600    # how long a request can be answered
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "agentguard/policy_sections.hpp"
#include "core/protocol.hpp"
#include "gate/approval.hpp"

namespace agentguard::gate {

namespace {

std::string where(const std::string& file, const toml::value& v) {
  const auto loc = v.location();
  return file + ":" + std::to_string(loc.line()) + ":" + std::to_string(loc.column());
}

std::int64_t positive_seconds(const toml::value& table, const char* key, const std::string& file) {
  const toml::value& v = table.at(key);
  if (!v.is_integer() || v.as_integer() <= 0 || v.as_integer() > 86400)
    throw std::runtime_error(where(file, v) + ": [approval] " + key +
                             " must be a whole number of seconds between 1 and 86400");
  return v.as_integer();
}

// "wait" or a positive number of seconds; anything else is ignored with the default kept.
void apply_hold_variable(HoldSettings& s, const char* text) {
  if (!text || !*text) return;
  if (std::string(text) == "wait") {
    s.mode = "wait";
    return;
  }
  char* end = nullptr;
  const long long seconds = std::strtoll(text, &end, 10);
  if (end && *end == '\0' && seconds > 0 && seconds <= 86400) {
    s.mode = "defer";
    s.hold_seconds = seconds;
  }
}

}  // namespace

HoldSettings hold_settings(const policy::Policy* pol) {
  HoldSettings s;
  if (pol) {
    for (const auto& section : pol->sections("approval")) {
      const toml::value& t = section.value;
      if (!t.is_table()) throw std::runtime_error(section.file + ": [approval] must be a table");
      for (const auto& [key, value] : t.as_table()) {
        if (key == "hold") {
          if (!value.is_string() || (value.as_string().str != "defer" && value.as_string().str != "wait"))
            throw std::runtime_error(where(section.file, value) + ": [approval] hold must be \"defer\" or \"wait\"");
          s.mode = value.as_string().str;
        } else if (key == "hold_seconds") {
          s.hold_seconds = positive_seconds(t, "hold_seconds", section.file);
        } else if (key == "open_seconds") {
          s.open_seconds = positive_seconds(t, "open_seconds", section.file);
        } else {
          throw std::runtime_error(where(section.file, value) + ": unknown key `" + key + "` in [approval] (expected hold, hold_seconds, open_seconds)");
        }
      }
    }
  }
  apply_hold_variable(s, std::getenv(protocol::kEnvApprovalHold));
  if (const char* v = std::getenv(protocol::kEnvApprovalTimeout); v && *v) {
    const long long open = std::strtoll(v, nullptr, 10);
    if (open > 0 && open <= 86400) s.open_seconds = open;
  }
  if (s.mode == "defer" && s.hold_seconds > s.open_seconds) s.hold_seconds = s.open_seconds;
  return s;
}

}  // namespace agentguard::gate
