#include "core/http/api_decide.hpp"

#include <cstring>

#include "core/http/api_blob.hpp"

namespace agentguard::core::http {

const char* to_string(ApiAction action) {
  switch (action) {
    case ApiAction::none: return "none";
    case ApiAction::log: return "log";
    case ApiAction::ask: return "ask";
    case ApiAction::allow: return "allow";
    case ApiAction::deny: return "deny";
  }
  return "none";
}

namespace {

// The blob may sit at any alignment (a std::string, an mmap), so fields are copied out.
template <typename T>
T read_at(const unsigned char* base, std::size_t offset) {
  T value;
  std::memcpy(&value, base + offset, sizeof(T));
  return value;
}

struct View {
  const unsigned char* base = nullptr;
  std::size_t size = 0;
  blob::Header header{};
};

bool range_ok(std::size_t size, std::uint64_t offset, std::uint64_t count, std::uint64_t item) {
  return offset <= size && count * item <= size - offset;
}

bool string_ok(const View& v, blob::StringRef s) {
  std::uint64_t begin = v.header.strings_offset, end = begin + v.header.strings_size;
  return s.offset >= begin && std::uint64_t{s.offset} + s.length <= end;
}

Text text_of(const View& v, blob::StringRef s) {
  return Text(reinterpret_cast<const char*>(v.base) + s.offset, s.length);
}

blob::Rule rule_at(const View& v, std::size_t i) {
  return read_at<blob::Rule>(v.base, v.header.rules_offset + i * sizeof(blob::Rule));
}
blob::Pattern pattern_at(const View& v, std::size_t i) {
  return read_at<blob::Pattern>(v.base, v.header.patterns_offset + i * sizeof(blob::Pattern));
}
blob::Condition condition_at(const View& v, std::size_t i) {
  return read_at<blob::Condition>(v.base, v.header.conditions_offset + i * sizeof(blob::Condition));
}

void view_blob(const void* data, std::size_t size, View* v) {
  v->base = static_cast<const unsigned char*>(data);
  v->size = size;
  v->header = read_at<blob::Header>(v->base, 0);
}

bool open_blob(const void* data, std::size_t size, View* v) {
  if (!data || size < sizeof(blob::Header)) return false;
  view_blob(data, size, v);
  const blob::Header& h = v->header;
  if (std::memcmp(h.magic, blob::kMagic, sizeof h.magic) != 0 || h.version != blob::kVersion) return false;
  if (h.total_size != size) return false;
  if (!range_ok(size, h.rules_offset, h.rule_count, sizeof(blob::Rule))) return false;
  if (!range_ok(size, h.patterns_offset, h.pattern_count, sizeof(blob::Pattern))) return false;
  if (!range_ok(size, h.conditions_offset, h.condition_count, sizeof(blob::Condition))) return false;
  if (!range_ok(size, h.strings_offset, h.strings_size, 1)) return false;
  for (std::size_t i = 0; i < h.rule_count; ++i) {
    blob::Rule r = rule_at(*v, i);
    if (r.action < blob::kLog || r.action > blob::kDeny) return false;
    if (!string_ok(*v, r.id) || !string_ok(*v, r.message)) return false;
    if (std::uint64_t{r.pattern_first} + r.pattern_count > h.pattern_count) return false;
    if (std::uint64_t{r.condition_first} + r.condition_count > h.condition_count) return false;
  }
  for (std::size_t i = 0; i < h.pattern_count; ++i) {
    blob::Pattern p = pattern_at(*v, i);
    if (!string_ok(*v, p.service) || !string_ok(*v, p.operation) || p.kind > blob::kExcept) return false;
  }
  for (std::size_t i = 0; i < h.condition_count; ++i) {
    blob::Condition c = condition_at(*v, i);
    if (c.fact >= kFactCount || c.kind > blob::kUnless || !string_ok(*v, c.glob)) return false;
  }
  return true;
}

bool fails_closed(std::uint8_t action) { return action == blob::kDeny || action == blob::kAsk; }

// One group = all conditions of the rule with this fact and kind; any glob may match.
bool group_holds(const View& v, const blob::Rule& r, std::uint8_t fact, std::uint8_t kind,
                 const Classification& c) {
  const FactValue& value = c.facts[fact];
  bool lenient = fails_closed(r.action) && kind == blob::kWhen;
  if (value.ambiguous) return lenient;
  if (!value.present) return lenient && !c.facts_complete && fact_comes_from_body(static_cast<Fact>(fact));
  Text actual(value.value, length_of(value.value));
  for (std::size_t i = 0; i < r.condition_count; ++i) {
    blob::Condition cond = condition_at(v, r.condition_first + i);
    if (cond.fact == fact && cond.kind == kind && glob_match_icase(text_of(v, cond.glob), actual)) return true;
  }
  return false;
}

// All groups of `kind` hold. Groups are visited once each (first condition of each fact).
bool all_groups_hold(const View& v, const blob::Rule& r, std::uint8_t kind, const Classification& c, bool* any) {
  *any = false;
  for (std::size_t i = 0; i < r.condition_count; ++i) {
    blob::Condition cond = condition_at(v, r.condition_first + i);
    if (cond.kind != kind) continue;
    bool first_of_fact = true;
    for (std::size_t j = 0; j < i; ++j) {
      blob::Condition earlier = condition_at(v, r.condition_first + j);
      if (earlier.kind == kind && earlier.fact == cond.fact) first_of_fact = false;
    }
    if (!first_of_fact) continue;
    *any = true;
    if (!group_holds(v, r, cond.fact, kind, c)) return false;
  }
  return true;
}

bool rule_matches(const View& v, const blob::Rule& r, const Classification& c) {
  Text service(c.service, length_of(c.service));
  Text operation(c.operation, length_of(c.operation));
  bool hit = false;
  for (std::size_t i = 0; i < r.pattern_count && !hit; ++i) {
    blob::Pattern p = pattern_at(v, r.pattern_first + i);
    if (p.kind != blob::kMatch || !glob_match_icase(text_of(v, p.service), service)) continue;
    if (glob_match_icase(text_of(v, p.operation), operation)) hit = true;
    else if (c.uncertain && fails_closed(r.action)) hit = true;
  }
  if (!hit) return false;
  // An exception names an operation; an uncertain one is never taken to be it.
  for (std::size_t i = 0; i < r.pattern_count && !c.uncertain; ++i) {
    blob::Pattern p = pattern_at(v, r.pattern_first + i);
    if (p.kind == blob::kExcept && glob_match_icase(text_of(v, p.service), service) &&
        glob_match_icase(text_of(v, p.operation), operation))
      return false;
  }
  bool any = false;
  if (!all_groups_hold(v, r, blob::kWhen, c, &any)) return false;
  if (all_groups_hold(v, r, blob::kUnless, c, &any) && any) return false;  // the exception applies
  return true;
}

}  // namespace

bool api_rules_valid(const void* data, std::size_t size) {
  View v;
  return open_blob(data, size, &v);
}

std::size_t api_rule_count(const void* data, std::size_t size) {
  View v;
  return open_blob(data, size, &v) ? v.header.rule_count : 0;
}

bool api_rule_matches(const void* data, std::size_t size, std::size_t index, const Classification& request) {
  View v;
  if (!open_blob(data, size, &v) || index >= v.header.rule_count || !request.aws) return false;
  return rule_matches(v, rule_at(v, index), request);
}

namespace {

ApiDecision decide_in(const View& v, const Classification& request) {
  ApiDecision decision;
  for (std::size_t i = 0; i < v.header.rule_count; ++i) {
    blob::Rule r = rule_at(v, i);
    if (r.action <= static_cast<std::uint8_t>(decision.action)) continue;  // cannot beat what we have
    if (!rule_matches(v, r, request)) continue;
    decision.action = static_cast<ApiAction>(r.action);
    decision.rule_index = static_cast<std::int32_t>(i);
    decision.rule_id = text_of(v, r.id);
    decision.message = text_of(v, r.message);
    if (decision.action == ApiAction::deny) break;
  }
  return decision;
}

}  // namespace

ApiDecision decide_api(const void* data, std::size_t size, const Classification& request) {
  if (!request.aws) return ApiDecision();
  View v;
  if (!open_blob(data, size, &v)) {
    ApiDecision decision;
    decision.action = ApiAction::deny;
    decision.invalid_rules = true;
    decision.rule_id = Text("invalid-api-rules");
    decision.message = Text("The compiled API rules are damaged, so AWS calls are refused until they are rebuilt.");
    return decision;
  }
  return decide_in(v, request);
}

ApiDecision decide_api_validated(const void* data, std::size_t size, const Classification& request) {
  if (!request.aws) return ApiDecision();
  View v;
  view_blob(data, size, &v);
  return decide_in(v, request);
}

}  // namespace agentguard::core::http
