// Encoding the parsed policy layers as CBOR (nlohmann-json) and back. See snapshot.hpp.
#include "snapshot.hpp"

#include <nlohmann/json.hpp>

namespace agentguard::policy::detail {

namespace {

using nlohmann::json;

// Records are positional arrays, not objects: the gate decodes the snapshot on every launch, and
// arrays cost a fraction of objects' map nodes. `field` checks the shape, so a malformed snapshot
// is an error, never a default.
const json& field(const json& record, std::size_t i, std::size_t size) {
  if (!record.is_array() || record.size() != size) throw SnapshotError("malformed record");
  return record[i];
}

// A location is three fields of the record it belongs to: line, column, and null when the file is
// the layer's own (always, today) or the file name.
void encode(json& record, const Location& at, const std::string& layer_file) {
  record.push_back(at.line);
  record.push_back(at.column);
  record.push_back(at.file == layer_file ? json(nullptr) : json(at.file));
}

Location decode_location(const json& record, std::size_t at, const std::string& layer_file) {
  const json& file = record[at + 2];
  return Location{file.is_null() ? layer_file : file.get<std::string>(), record[at].get<int>(), record[at + 1].get<int>()};
}

Action decode_action(const json& j) {
  const auto& name = j.get_ref<const std::string&>();
  for (Action a : {Action::allow, Action::deny, Action::ask, Action::log})
    if (to_string(a) == name) return a;
  throw SnapshotError("unknown action \"" + name + "\"");
}

json optional(const std::optional<std::string>& value) { return value ? json(*value) : json(nullptr); }

std::optional<std::string> decode_optional(const json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<std::string>();
}

// [programs, commands, flags, env, cwd|null, plan|null, where (3)]
json encode(const Match& m, const std::string& file) {
  json j = json::array({m.programs, m.commands, m.flags, m.env, optional(m.cwd), optional(m.plan)});
  encode(j, m.where, file);
  return j;
}

Match decode_match(const json& j, const std::string& file) {
  Match m;
  field(j, 0, 9).get_to(m.programs);
  j[1].get_to(m.commands);
  j[2].get_to(m.flags);
  j[3].get_to(m.env);
  m.cwd = decode_optional(j[4]);
  m.plan = decode_optional(j[5]);
  m.where = decode_location(j, 6, file);
  return m;
}

// [id, action, message, description, where (3), match, [unless...]]. No examples: they are for
// `agentguard policy check`, which parses the TOML; a restored policy refuses check_examples().
json encode(const Rule& r, const std::string& file) {
  json j = json::array({r.id, to_string(r.action), r.message, r.description});
  encode(j, r.where, file);
  j.push_back(encode(r.match, file));
  json unless = json::array();
  for (const auto& m : r.unless) unless.push_back(encode(m, file));
  j.push_back(std::move(unless));
  return j;
}

Rule decode_rule(const json& j, const std::string& file) {
  Rule r;
  field(j, 0, 9).get_to(r.id);
  r.action = decode_action(j[1]);
  j[2].get_to(r.message);
  j[3].get_to(r.description);
  r.where = decode_location(j, 4, file);
  r.match = decode_match(j[7], file);
  if (!j[8].is_array()) throw SnapshotError("malformed unless");
  r.unless.reserve(j[8].size());
  for (const auto& m : j[8]) r.unless.push_back(decode_match(m, file));
  return r;
}

// [id, action, types, addresses, changes, message, where (3)] (no examples either)
json encode(const PlanRule& r, const std::string& file) {
  json j = json::array({r.id, to_string(r.action), r.types, r.addresses, r.changes, r.message});
  encode(j, r.where, file);
  return j;
}

PlanRule decode_plan_rule(const json& j, const std::string& file) {
  PlanRule r;
  field(j, 0, 9).get_to(r.id);
  r.action = decode_action(j[1]);
  j[2].get_to(r.types);
  j[3].get_to(r.addresses);
  j[4].get_to(r.changes);
  j[5].get_to(r.message);
  r.where = decode_location(j, 6, file);
  return r;
}

// [id, where (3)]: a disable, or an API rule's id.
json encode_id(const std::string& id, const Location& where, const std::string& file) {
  json j = json::array({id});
  encode(j, where, file);
  return j;
}

const json& array_of(const json& j) {
  if (!j.is_array()) throw SnapshotError("malformed list");
  return j;
}

}  // namespace

// [format, [layer...]]; a layer is [file, project, sections, [[id, where]...] disables, [exec...],
// [[id, where]...] API rule ids, [plan...]].
std::string encode_snapshot(const std::vector<Layer>& layers) {
  json all = json::array();
  for (const auto& layer : layers) {
    const std::string& file = layer.file;
    json disables = json::array(), exec = json::array(), api = json::array(), plan = json::array();
    for (const auto& [id, where] : layer.disables) disables.push_back(encode_id(id, where, file));
    for (const auto& rule : layer.rules) exec.push_back(encode(rule, file));
    // Only ids and locations: the gate does not decide API calls.
    for (const auto& spec : layer.api_rules) api.push_back(encode_id(spec.id, spec.source, file));
    for (const auto& rule : layer.plan_rules) plan.push_back(encode(rule, file));
    all.push_back(json::array({file, layer.project, layer.section_keys, disables, exec, api, plan}));
  }
  const std::vector<std::uint8_t> bytes = json::to_cbor(json::array({kSnapshotFormat, all}));
  return std::string(bytes.begin(), bytes.end());
}

std::vector<Layer> decode_snapshot(std::string_view bytes, const std::vector<LayerText>& texts) {
  try {
    const json in = json::from_cbor(bytes.begin(), bytes.end());
    if (field(in, 0, 2).get<int>() != kSnapshotFormat) throw SnapshotError("another snapshot format");
    const json& layers = array_of(in[1]);
    // The built-in default, if it is there, is the first layer and is not among `texts`.
    const bool builtin = !layers.empty() && field(layers[0], 0, 7).get<std::string>() == kBuiltinFileName;
    if (layers.size() != texts.size() + (builtin ? 1 : 0)) throw SnapshotError("the snapshot has other layers");
    std::vector<Layer> out;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const json& l = layers[i];
      Layer layer;
      field(l, 0, 7).get_to(layer.file);
      l[1].get_to(layer.project);
      if (i > 0 || !builtin) {
        const LayerText& text = texts[i - (builtin ? 1 : 0)];
        if (text.file != layer.file || text.project != layer.project) throw SnapshotError("the snapshot has other layers");
        layer.text = text.text;
      } else if (layer.project) {
        throw SnapshotError("malformed built-in layer");
      }
      layer.root_pending = true;
      l[2].get_to(layer.section_keys);
      for (const auto& d : array_of(l[3]))
        layer.disables.emplace_back(field(d, 0, 4).get<std::string>(), decode_location(d, 1, layer.file));
      layer.rules.reserve(array_of(l[4]).size());
      for (const auto& r : l[4]) layer.rules.push_back(decode_rule(r, layer.file));
      for (const auto& a : array_of(l[5])) {
        ApiRuleSpec spec;
        field(a, 0, 4).get_to(spec.id);
        spec.source = decode_location(a, 1, layer.file);
        layer.api_rules.push_back(std::move(spec));
      }
      for (const auto& r : array_of(l[6])) layer.plan_rules.push_back(decode_plan_rule(r, layer.file));
      out.push_back(std::move(layer));
    }
    return out;
  } catch (const json::exception& e) {
    throw SnapshotError(std::string("malformed snapshot: ") + e.what());
  }
}

}  // namespace agentguard::policy::detail
