#include "loader.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <sstream>

#include "glob.hpp"
#include "toml_read.hpp"

namespace agentguard::policy::detail {
namespace {

const char* type_name(const toml::value& v) {
  switch (v.type()) {
    case toml::value_t::boolean: return "a boolean";
    case toml::value_t::integer: return "an integer";
    case toml::value_t::floating: return "a float";
    case toml::value_t::string: return "a string";
    case toml::value_t::array: return "an array";
    case toml::value_t::table: return "a table";
    case toml::value_t::empty: return "empty";
    default: return "a date/time";
  }
}

[[noreturn]] void fail(const toml::value& at, const std::string& what) { throw PolicyError(location_of(at), what); }

// toml11 keeps locations on values only; the key is found on the value's line, left of the value.
Location key_location(const toml::value& value, const std::string& key) {
  Location where = location_of(value);
  const auto loc = value.location();
  const std::string& line = loc.line_str();
  std::size_t limit = loc.column() > 0 ? loc.column() - 1 : line.size();
  std::size_t pos = line.rfind(key, limit);
  if (pos != std::string::npos && value.type() != toml::value_t::table) where.column = static_cast<int>(pos + 1);
  return where;
}

// Keys of a table. (Not sorted by position: toml11 computes a value's line by counting from the top
// of the file, which made sorting the most expensive part of loading; the gate loads on every launch.)
std::vector<std::pair<std::string, const toml::value*>> ordered(const toml::value& table) {
  std::vector<std::pair<std::string, const toml::value*>> out;
  for (const auto& [key, value] : table.as_table()) out.emplace_back(key, &value);
  return out;
}

std::string as_string(const toml::value& v, const std::string& key) {
  if (!v.is_string()) fail(v, "`" + key + "` must be a string, not " + type_name(v));
  return v.as_string().str;
}

// A string or an array of strings.
std::vector<std::pair<std::string, const toml::value*>> as_string_list(const toml::value& v, const std::string& key) {
  std::vector<std::pair<std::string, const toml::value*>> out;
  if (v.is_string()) {
    out.emplace_back(v.as_string().str, &v);
    return out;
  }
  if (!v.is_array()) fail(v, "`" + key + "` must be a string or an array of strings, not " + type_name(v));
  for (const auto& item : v.as_array()) {
    if (!item.is_string()) fail(item, "`" + key + "` entries must be strings, not " + type_name(item));
    out.emplace_back(item.as_string().str, &item);
  }
  if (out.empty()) fail(v, "`" + key + "` must not be empty");
  return out;
}

void check_glob(const toml::value& at, const std::string& key, const std::string& pattern) {
  if (pattern.empty()) fail(at, "`" + key + "`: empty pattern");
  if (auto error = glob_error(pattern)) fail(at, "`" + key + "`: bad pattern \"" + pattern + "\": " + *error);
}

bool is_match_key(const std::string& key) {
  return key == "program" || key == "command" || key == "flags" || key == "env" || key == "cwd" || key == "plan";
}

// Reads one match key into m.
void read_match_key(Match& m, const std::string& key, const toml::value& v) {
  if (key == "program") {
    for (auto& [name, at] : as_string_list(v, key)) {
      check_glob(*at, key, name);
      m.programs.push_back(name);
    }
  } else if (key == "command") {
    for (auto& [text, at] : as_string_list(v, key)) {
      std::vector<std::string> words;
      std::istringstream in(text);
      for (std::string word; in >> word;) {
        check_glob(*at, key, word);
        words.push_back(word);
      }
      if (words.empty()) fail(*at, "`command`: empty command");
      m.commands.push_back(words);
    }
  } else if (key == "flags") {
    for (auto& [text, at] : as_string_list(v, key)) {
      if (!text.empty() && text[0] == '-') fail(*at, "`flags`: write flag names without dashes (\"" + text + "\")");
      auto eq = text.find('=');
      check_glob(*at, key, text.substr(0, eq));
      if (eq != std::string::npos) check_glob(*at, key, text.substr(eq + 1));
      m.flags.push_back(text);
    }
  } else if (key == "env") {
    if (!v.is_table()) fail(v, std::string("`env` must be a table of NAME = \"glob\", not ") + type_name(v));
    for (auto& [name, value] : ordered(v)) {
      std::string glob = as_string(*value, "env." + name);
      if (glob.empty()) glob = "";  // an empty pattern: set to the empty string
      else check_glob(*value, "env." + name, glob);
      m.env.emplace_back(name, glob);
    }
    if (m.env.empty()) fail(v, "`env` must not be empty");
  } else if (key == "cwd") {
    std::string glob = as_string(v, key);
    check_glob(v, key, glob);
    m.cwd = glob;
  } else if (key == "plan") {
    std::string condition = as_string(v, key);
    if (condition != "deletes" && condition != "destroys")
      fail(v, "`plan` must be \"deletes\" (the saved plan deletes or forgets resources) or \"destroys\" (it only "
              "deletes: a destroy plan)");
    m.plan = condition;
  }
}

Match read_unless(const toml::value& v) {
  if (!v.is_table()) fail(v, "`unless` entries must be tables, not " + std::string(type_name(v)));
  Match m;
  m.where = location_of(v);
  for (auto& [key, value] : ordered(v)) {
    if (!is_match_key(key))
      throw PolicyError(key_location(*value, key),
                        "unknown key `" + key + "` in `unless` (expected program, command, flags, env, cwd, plan)");
    read_match_key(m, key, *value);
  }
  if (v.as_table().empty()) fail(v, "`unless` needs at least one condition");
  return m;
}

std::vector<Example> read_examples(const toml::value& v, const std::string& key) {
  std::vector<Example> out;
  for (auto& [line, at] : as_string_list(v, "examples." + key))
    out.push_back({line, [where = location_of(*at)] { return where; }});
  return out;
}

Rule read_rule(const toml::value& v) {
  if (!v.is_table()) fail(v, "`exec` must be an array of tables ([[exec]]), found " + std::string(type_name(v)));
  Rule rule;
  rule.where = location_of(v);
  rule.match.where = rule.where;
  bool has_action = false;
  bool has_condition = false;
  for (auto& [key, value] : ordered(v)) {
    if (key == "id") {
      rule.id = as_string(*value, key);
      if (rule.id.empty() || rule.id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
                                 std::string::npos)
        fail(*value, "`id` must be a non-empty word of letters, digits, '-', '_' or '.'");
    } else if (key == "action") {
      rule.action = action_at(*value, "");
      has_action = true;
    } else if (key == "message") {
      rule.message = as_string(*value, key);
    } else if (key == "description") {
      rule.description = as_string(*value, key);
    } else if (is_match_key(key)) {
      read_match_key(rule.match, key, *value);
      has_condition = true;
    } else if (key == "unless") {
      if (value->is_array()) {
        for (const auto& item : value->as_array()) rule.unless.push_back(read_unless(item));
      } else {
        rule.unless.push_back(read_unless(*value));
      }
    } else if (key == "examples") {
      if (!value->is_table()) fail(*value, "`examples` must be a table with `match` and `no_match`");
      for (auto& [ekey, evalue] : ordered(*value)) {
        if (ekey == "match") rule.must_match = read_examples(*evalue, ekey);
        else if (ekey == "no_match") rule.must_not_match = read_examples(*evalue, ekey);
        else throw PolicyError(key_location(*evalue, ekey), "unknown key `" + ekey + "` in `examples` (expected match, no_match)");
      }
    } else {
      throw PolicyError(key_location(*value, key),
                        "unknown key `" + key +
                            "` in [[exec]] (expected id, action, message, description, program, command, flags, env, "
                            "cwd, plan, unless, examples)");
    }
  }
  if (rule.id.empty()) throw PolicyError(rule.where, "[[exec]] rule without `id`");
  if (!has_action) throw PolicyError(rule.where, "rule " + rule.id + ": missing `action` (deny, allow, ask or log)");
  if (!has_condition)
    throw PolicyError(rule.where, "rule " + rule.id + ": needs at least one match key (program, command, flags, env, cwd, plan)");
  return rule;
}

}  // namespace

namespace {

// Line starts of one parsed file, so a value's line is a binary search on its byte offset.
// (toml11's `value.location()` counts the newlines from the top of the file on every call, which
// made locations quadratic in the file size.) One file is parsed at a time, so the table of the
// last source seen is kept; the shared pointer keeps that source alive, so its address cannot be
// reused by another file while it is cached.
struct LineTable {
  std::shared_ptr<const std::vector<char>> source;
  std::vector<std::size_t> starts;  // byte offset of the first character of each line

  void index(const std::shared_ptr<const std::vector<char>>& of) {
    source = of;
    starts.assign(1, 0);
    const std::vector<char>& text = *of;
    for (std::size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') starts.push_back(i + 1);
  }
};

}  // namespace

Location location_of(const toml::value& value) {
  const auto* region = dynamic_cast<const toml::detail::region*>(toml::detail::get_region(value));
  if (!region || !region->source()) {
    // A value that was not read from a file (or a toml11 we do not know): its own answer.
    const auto loc = value.location();
    return Location{loc.file_name(), static_cast<int>(loc.line()), static_cast<int>(loc.column())};
  }
  thread_local LineTable table;
  if (table.source != region->source()) table.index(region->source());
  const auto offset = static_cast<std::size_t>(region->first() - region->begin());
  const auto next_line = std::upper_bound(table.starts.begin(), table.starts.end(), offset);
  const auto line = static_cast<std::size_t>(next_line - table.starts.begin());  // 1-based
  return Location{region->name(), static_cast<int>(line), static_cast<int>(offset - table.starts[line - 1] + 1)};
}

namespace {

// [notify] (docs/notifications.md): fold_window_seconds, and webhooks = [{ url, format, name,
// secret_env, secret_file }]. Every key and format is checked, so `fromat = "slack"` or
// `format = "teams"` is an error at its file:line:col instead of a webhook that silently posts JSON.
void check_notify(const toml::value& notify, const std::string& key) {
  if (!notify.is_table()) fail(notify, "`notify` must be a table ([notify]), not " + std::string(type_name(notify)));
  for (const auto& [name, value] : ordered(notify)) {
    if (name == "fold_window_seconds") {
      if (!value->is_integer() || value->as_integer() < 0)
        fail(*value, "`fold_window_seconds` must be a whole number of seconds (0 or more)");
    } else if (name == "webhooks") {
      if (!value->is_array()) fail(*value, "`webhooks` must be an array of tables, not " + std::string(type_name(*value)));
      for (const auto& hook : value->as_array()) {
        if (!hook.is_table()) fail(hook, "each webhook must be a table { url = \"...\" }, not " + std::string(type_name(hook)));
        bool has_url = false;
        for (const auto& [field, v] : ordered(hook)) {
          if (field != "url" && field != "format" && field != "name" && field != "secret_env" && field != "secret_file")
            throw PolicyError(key_location(*v, field), "unknown key `" + field +
                                                           "` in a webhook (expected url, format, name, secret_env, secret_file)");
          if (!v->is_string()) fail(*v, "`" + field + "` must be a string, not " + std::string(type_name(*v)));
          const std::string text = v->as_string().str;
          if (field == "url") {
            has_url = true;
            if (text.rfind("https://", 0) != 0 && text.rfind("http://", 0) != 0)
              fail(*v, "a webhook `url` must start with https:// (or http:// for a local test receiver)");
          }
          if (field == "format" && text != "json" && text != "slack" && text != "discord")
            fail(*v, "unknown webhook format \"" + text + "\" (expected json, slack or discord; "
                     "leave it out to choose by the URL)");
        }
        if (!has_url) fail(hook, "a webhook needs a `url`");
      }
    } else {
      throw PolicyError(key_location(*value, name),
                        "unknown key `" + name + "` in [" + key + "] (expected webhooks, fold_window_seconds)");
    }
  }
}

}  // namespace

Layer parse_layer(std::string_view text, const std::string& file_name) {
  Layer layer;
  layer.file = file_name;
  try {
    std::istringstream in{std::string(text)};
    layer.root = toml::parse(in, file_name);
  } catch (const toml::syntax_error& e) {
    const auto loc = e.location();
    std::string what = e.what();
    // toml11's message is a multi-line picture; its first line says what is wrong.
    what = what.substr(0, what.find('\n'));
    if (what.rfind("[error] ", 0) == 0) what.erase(0, 8);
    throw PolicyError(Location{file_name, static_cast<int>(loc.line()), static_cast<int>(loc.column())},
                      "TOML syntax error: " + what);
  } catch (const toml::exception& e) {
    const auto loc = e.location();
    std::string what = e.what();
    throw PolicyError(Location{file_name, static_cast<int>(loc.line()), static_cast<int>(loc.column())},
                      what.substr(0, what.find('\n')));
  }

  bool has_schema = false;
  std::set<std::string> ids;
  for (auto& [key, value] : ordered(layer.root)) {
    if (key == "schema") {
      if (!value->is_integer()) fail(*value, "`schema` must be an integer, not " + std::string(type_name(*value)));
      if (value->as_integer() != 1)
        fail(*value, "unsupported policy schema " + std::to_string(value->as_integer()) + " (this agentguard reads schema 1)");
      has_schema = true;
    } else if (key == "disable") {
      if (!value->is_array()) fail(*value, "`disable` must be an array of rule ids, not " + std::string(type_name(*value)));
      for (const auto& item : value->as_array()) {
        if (!item.is_string()) fail(item, "`disable` entries must be rule ids (strings), not " + std::string(type_name(item)));
        layer.disables.emplace_back(item.as_string().str, location_of(item));
      }
    } else if (key == "exec") {
      if (!value->is_array()) fail(*value, "`exec` must be an array of tables ([[exec]]), not " + std::string(type_name(*value)));
      for (const auto& item : value->as_array()) {
        Rule rule = read_rule(item);
        if (!ids.insert(rule.id).second) throw PolicyError(rule.where, "duplicate rule id \"" + rule.id + "\"");
        layer.rules.push_back(std::move(rule));
      }
    } else if (key == "notify") {
      // Read by the notifier from sections(); validated here so a typo is an error, not silence.
      check_notify(*value, key);
      layer.section_keys.push_back(key);
    } else if (key == "api" || key == "plan" || key == "approval") {
      // Read by the notifier, the HTTP guard and the plan review from sections(); kept raw here.
      layer.section_keys.push_back(key);
    } else {
      throw PolicyError(key_location(*value, key),
                        "unknown top-level key `" + key + "` (expected schema, disable, exec, plan, api, notify, approval)");
    }
  }
  if (!has_schema) throw PolicyError(Location{file_name, 1, 1}, "missing `schema = 1` at the top of the policy");
  return layer;
}

void parse_rule_sections(Layer& layer, bool api_rules) {
  if (!layer.root.is_table()) return;
  const auto& table = layer.root.as_table();
  if (auto it = table.find("api"); it != table.end())
    layer.api_rules = api_rules ? parse_api_rules(it->second, layer.file) : parse_api_rule_ids(it->second, layer.file);
  if (auto it = table.find("plan"); it != table.end()) layer.plan_rules = parse_plan_rules(it->second, layer.file);
}

}  // namespace agentguard::policy::detail
