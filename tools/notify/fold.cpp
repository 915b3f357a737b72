#include "notify/fold.hpp"

#include <time.h>

#include <cstdio>
#include <map>

#include "events/event_json.hpp"

namespace agentguard::notify {
using nlohmann::json;

std::string fold_key(const json& event) {
  json key = {{"rule_id", event.value("rule_id", std::string())},
              {"argv", event.value("argv", json::array())},
              {"decision", event.value("decision", std::string())},
              {"service", event.value("service", std::string())},
              {"operation", event.value("operation", std::string())},
              {"endpoint", event.value("endpoint", std::string())}};
  return events::canonical_json(key);
}

int64_t parse_event_time_ms(const std::string& time) {
  int year, month, day, hour, minute, second, millis = 0;
  char zone = 0;
  int parsed = std::sscanf(time.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &year, &month, &day, &hour, &minute, &second,
                           &millis, &zone);
  if (parsed < 6) return -1;
  tm utc{};
  utc.tm_year = year - 1900;
  utc.tm_mon = month - 1;
  utc.tm_mday = day;
  utc.tm_hour = hour;
  utc.tm_min = minute;
  utc.tm_sec = second;
  return static_cast<int64_t>(::timegm(&utc)) * 1000 + (parsed >= 7 ? millis : 0);
}

std::vector<std::vector<size_t>> fold_events(const std::vector<json>& events, int window_seconds) {
  std::vector<std::vector<size_t>> groups;
  struct Open {
    size_t group;
    int64_t first_ms;
  };
  std::map<std::string, Open> open;  // the current burst of each key
  const int64_t window_ms = static_cast<int64_t>(window_seconds) * 1000;
  for (size_t i = 0; i < events.size(); ++i) {
    std::string key = fold_key(events[i]);
    int64_t when = parse_event_time_ms(events[i].value("time", std::string()));
    auto it = open.find(key);
    bool joins = window_seconds > 0 && it != open.end() && when >= 0 && it->second.first_ms >= 0 &&
                 when - it->second.first_ms <= window_ms;
    if (joins) {
      groups[it->second.group].push_back(i);
    } else {
      groups.push_back({i});
      open[key] = Open{groups.size() - 1, when};
    }
  }
  return groups;
}

}  // namespace agentguard::notify
