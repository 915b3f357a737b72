#include "events/event_json.hpp"

namespace agentguard::events {
using nlohmann::json;

json to_json(const Event& event) {
  json parents = json::array();
  for (const auto& parent : event.parents) parents.push_back({{"pid", parent.pid}, {"name", parent.name}});
  return json{
      {"id", event.id},
      {"time", event.time},
      {"host", event.host},
      {"user", event.user},
      {"cwd", event.cwd},
      {"pid", event.pid},
      {"parents", parents},
      {"session", event.session},
      {"kind", event.kind},
      {"argv", event.argv},
      {"program", event.program},
      {"resolved_path", event.resolved_path},
      {"service", event.service},
      {"operation", event.operation},
      {"endpoint", event.endpoint},
      {"resources", event.resources},
      {"decision", event.decision},
      {"rule_id", event.rule_id},
      {"policy_file", event.policy_file},
      {"message", event.message},
  };
}

namespace {
template <typename T>
void read_field(const json& object, const char* key, T& into) {
  if (auto it = object.find(key); it != object.end() && !it->is_null()) into = it->get<T>();
}
}  // namespace

Event event_from_json(const json& object) {
  Event event;
  read_field(object, "id", event.id);
  read_field(object, "time", event.time);
  read_field(object, "host", event.host);
  read_field(object, "user", event.user);
  read_field(object, "cwd", event.cwd);
  read_field(object, "pid", event.pid);
  if (auto it = object.find("parents"); it != object.end() && it->is_array()) {
    for (const auto& parent : *it) event.parents.push_back({parent.value("pid", 0), parent.value("name", "")});
  }
  read_field(object, "session", event.session);
  read_field(object, "kind", event.kind);
  read_field(object, "argv", event.argv);
  read_field(object, "program", event.program);
  read_field(object, "resolved_path", event.resolved_path);
  read_field(object, "service", event.service);
  read_field(object, "operation", event.operation);
  read_field(object, "endpoint", event.endpoint);
  read_field(object, "resources", event.resources);
  read_field(object, "decision", event.decision);
  read_field(object, "rule_id", event.rule_id);
  read_field(object, "policy_file", event.policy_file);
  read_field(object, "message", event.message);
  return event;
}

std::string canonical_json(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace agentguard::events
