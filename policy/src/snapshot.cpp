// Encoding the parsed policy layers as CBOR (nlohmann-json) and back. See snapshot.hpp.
#include "snapshot.hpp"

#include <tuple>
#include <type_traits>
#include <utility>

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

// A record's fields are listed once (kMatchFields, kRuleFields, kPlanRuleFields below); encode and
// decode both walk that list, so a new field is one line there. Each field type knows how many
// slots of the record it takes.
struct Codec {
  const std::string& layer_file;

  // Strings and lists of them (of pairs, of lists) are JSON as they are.
  template <typename T>
  void put(json& j, const T& v) const {
    j.push_back(v);
  }
  void put(json& j, const std::optional<std::string>& v) const { j.push_back(v ? json(*v) : json(nullptr)); }
  void put(json& j, Action v) const { j.push_back(to_string(v)); }
  // A location is three slots: line, column, and null when the file is the layer's own (always,
  // today) or the file name.
  void put(json& j, const Location& at) const {
    j.push_back(at.line);
    j.push_back(at.column);
    j.push_back(at.file == layer_file ? json(nullptr) : json(at.file));
  }
  void put(json& j, const Match& m) const { j.push_back(encode_record(m)); }
  void put(json& j, const std::vector<Match>& list) const {
    json out = json::array();
    for (const auto& m : list) out.push_back(encode_record(m));
    j.push_back(std::move(out));
  }

  template <typename T>
  void get(const json& j, std::size_t& at, T& v) const {
    j[at++].get_to(v);
  }
  void get(const json& j, std::size_t& at, std::optional<std::string>& v) const {
    const json& value = j[at++];
    v = value.is_null() ? std::nullopt : std::optional<std::string>(value.get<std::string>());
  }
  void get(const json& j, std::size_t& at, Action& v) const {
    const auto& name = j[at++].get_ref<const std::string&>();
    const auto action = action_from_string(name);
    if (!action) throw SnapshotError("unknown action \"" + name + "\"");
    v = *action;
  }
  void get(const json& j, std::size_t& at, Location& v) const {
    const json& file = j[at + 2];
    v = Location{file.is_null() ? layer_file : file.get<std::string>(), j[at].get<int>(), j[at + 1].get<int>()};
    at += 3;
  }
  void get(const json& j, std::size_t& at, Match& v) const { v = decode_record<Match>(j[at++]); }
  void get(const json& j, std::size_t& at, std::vector<Match>& v) const {
    const json& list = j[at++];
    if (!list.is_array()) throw SnapshotError("malformed list");
    v.reserve(list.size());
    for (const auto& m : list) v.push_back(decode_record<Match>(m));
  }

  template <typename T>
  static constexpr std::size_t slots() {
    return std::is_same_v<T, Location> ? 3 : 1;
  }

  template <typename Record>
  json encode_record(const Record& r) const;
  template <typename Record>
  Record decode_record(const json& j) const;
};

// The records. No examples: they are for `agentguard policy check`, which parses the TOML; a
// restored policy refuses check_examples().
constexpr auto kMatchFields = std::make_tuple(&Match::programs, &Match::commands, &Match::flags, &Match::env,
                                              &Match::cwd, &Match::plan, &Match::where);
constexpr auto kRuleFields = std::make_tuple(&Rule::id, &Rule::action, &Rule::message, &Rule::description, &Rule::where,
                                             &Rule::match, &Rule::unless);
constexpr auto kPlanRuleFields = std::make_tuple(&PlanRule::id, &PlanRule::action, &PlanRule::types,
                                                 &PlanRule::addresses, &PlanRule::changes, &PlanRule::message,
                                                 &PlanRule::where);

template <typename Record>
constexpr const auto& fields_of() {
  if constexpr (std::is_same_v<Record, Match>) return kMatchFields;
  else if constexpr (std::is_same_v<Record, Rule>) return kRuleFields;
  else return kPlanRuleFields;
}

template <typename Record, typename Member>
using member_type = std::remove_cvref_t<decltype(std::declval<Record&>().*std::declval<Member>())>;

template <typename Record>
json Codec::encode_record(const Record& r) const {
  json j = json::array();
  std::apply([&](auto... member) { (put(j, r.*member), ...); }, fields_of<Record>());
  return j;
}

template <typename Record>
Record Codec::decode_record(const json& j) const {
  constexpr std::size_t size = std::apply(
      [](auto... member) { return (slots<member_type<Record, decltype(member)>>() + ...); }, fields_of<Record>());
  if (!j.is_array() || j.size() != size) throw SnapshotError("malformed record");
  Record r;
  std::size_t at = 0;
  std::apply([&](auto... member) { (get(j, at, r.*member), ...); }, fields_of<Record>());
  return r;
}

// [id, where (3)]: a disable, or an API rule's id.
json encode_id(const std::string& id, const Location& where, const std::string& file) {
  json j = json::array({id});
  Codec{file}.put(j, where);
  return j;
}

std::pair<std::string, Location> decode_id(const json& j, const std::string& file) {
  if (!j.is_array() || j.size() != 4) throw SnapshotError("malformed record");
  std::pair<std::string, Location> out;
  std::size_t at = 0;
  Codec codec{file};
  codec.get(j, at, out.first);
  codec.get(j, at, out.second);
  return out;
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
    const Codec codec{file};
    for (const auto& rule : layer.rules) exec.push_back(codec.encode_record(rule));
    // Only ids and locations: the gate does not decide API calls.
    for (const auto& spec : layer.api_rules) api.push_back(encode_id(spec.id, spec.source, file));
    for (const auto& rule : layer.plan_rules) plan.push_back(codec.encode_record(rule));
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
      const Codec codec{layer.file};
      for (const auto& d : array_of(l[3])) layer.disables.push_back(decode_id(d, layer.file));
      layer.rules.reserve(array_of(l[4]).size());
      for (const auto& r : l[4]) layer.rules.push_back(codec.decode_record<Rule>(r));
      for (const auto& a : array_of(l[5])) {
        ApiRuleSpec spec;
        std::tie(spec.id, spec.source) = decode_id(a, layer.file);
        layer.api_rules.push_back(std::move(spec));
      }
      for (const auto& r : array_of(l[6])) layer.plan_rules.push_back(codec.decode_record<PlanRule>(r));
      out.push_back(std::move(layer));
    }
    return out;
  } catch (const json::exception& e) {
    throw SnapshotError(std::string("malformed snapshot: ") + e.what());
  }
}

}  // namespace agentguard::policy::detail
