// Facts (protection switches, S3 names) from form, JSON and XML bodies. Every parser here is a
// bounded single pass over a view; none allocates or recurses.
#include "core/http/aws_internal.hpp"

namespace agentguard::core::http::detail {

namespace {

// Key/Value lists (`Attributes.member.1.Key=deletion_protection.enabled` + `...Value=false`, or
// ec2 `Attribute=disableApiTermination` + `Value=false`) are paired by prefix after the pass,
// so their order in the body does not matter.
inline constexpr std::size_t kMaxPairs = 16;
struct PairHalf {
  char prefix[64];
  char text[kFactValueMax];
  bool is_key;
};

bool strip_suffix(Text s, Text suffix, Text* prefix) {
  if (!ends_with(s, suffix)) return false;
  *prefix = s.sub(0, s.size - suffix.size);
  return true;
}

void fact_by_name(Classification& out, Text name, Text value, bool ambiguous) {
  Fact fact;
  if (!fact_from_name(name, &fact)) return;
  if (ambiguous)
    mark_ambiguous(out, fact);
  else
    set_fact(out, fact, value);
}

}  // namespace

void facts_from_form(Text form, Classification& out) {
  PairHalf halves[kMaxPairs];
  std::size_t half_count = 0;
  FormCursor cursor{form};
  Text raw_key, raw_value;
  Decoded key, value;
  while (cursor.next(&raw_key, &raw_value)) {
    decode_into(key, raw_key, true);
    decode_into(value, raw_value, true);
    Text k = key.view(), v = value.view();
    Text prefix;
    bool half_key = false;
    bool is_half = false;
    if (strip_suffix(k, Text(".Key"), &prefix) || equals(k, Text("Attribute"))) {
      half_key = true;
      is_half = true;
      if (equals(k, Text("Attribute"))) prefix = Text();
    } else if (strip_suffix(k, Text(".Value"), &prefix) || equals(k, Text("Value"))) {
      is_half = true;
      if (equals(k, Text("Value"))) prefix = Text();
    }
    if (is_half) {
      // `DisableApiTermination.Value=false` names its fact in the prefix itself.
      Fact direct;
      if (!half_key && fact_from_name(prefix, &direct)) {
        fact_by_name(out, prefix, v, value.truncated);
        continue;
      }
      if (half_count == kMaxPairs) {
        out.facts_complete = false;  // more pairs than we track: treat missing facts as present
        continue;
      }
      PairHalf& h = halves[half_count++];
      h.is_key = half_key;
      if (!copy_to(h.prefix, sizeof h.prefix, prefix)) out.facts_complete = false;
      copy_to(h.text, sizeof h.text, v);
      continue;
    }
    fact_by_name(out, k, v, key.truncated || value.truncated);
  }
  for (std::size_t i = 0; i < half_count; ++i) {
    if (!halves[i].is_key) continue;
    Text prefix(halves[i].prefix, length_of(halves[i].prefix));
    for (std::size_t j = 0; j < half_count; ++j) {
      if (halves[j].is_key || !equals(prefix, Text(halves[j].prefix, length_of(halves[j].prefix)))) continue;
      fact_by_name(out, Text(halves[i].text, length_of(halves[i].text)),
                   Text(halves[j].text, length_of(halves[j].text)), false);
    }
  }
}

namespace {

int hex_nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads a JSON string starting after its opening quote; decodes escapes (\uXXXX to ASCII only;
// anything else sets *odd). Returns the index after the closing quote, or json.size.
std::size_t read_json_string(Text json, std::size_t i, Decoded& out, bool* odd) {
  out.size = 0;
  out.truncated = false;
  *odd = false;
  while (i < json.size) {
    char c = json[i++];
    if (c == '"') return i;
    if (c == '\\') {
      if (i >= json.size) break;
      char e = json[i++];
      switch (e) {
        case 'n': c = '\n'; break;
        case 't': c = '\t'; break;
        case 'r': c = '\r'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'u': {
          int v = 0;
          for (int k = 0; k < 4; ++k) {
            int d = i < json.size ? hex_nibble(json[i]) : -1;
            if (d < 0) { *odd = true; break; }
            v = v * 16 + d;
            ++i;
          }
          if (v > 0x7f) *odd = true;
          c = static_cast<char>(v & 0x7f);
          break;
        }
        default: c = e; break;  // \" \\ \/
      }
    }
    if (out.size < sizeof out.bytes)
      out.bytes[out.size++] = c;
    else
      out.truncated = true;
  }
  *odd = true;  // unterminated (a cut body)
  return json.size;
}

}  // namespace

void facts_from_json(Text json, Classification& out) {
  Decoded key, value;
  bool have_key = false;
  bool key_odd = false;
  std::size_t i = 0;
  while (i < json.size) {
    char c = json[i];
    if (c == '"') {
      bool odd = false;
      std::size_t next = read_json_string(json, i + 1, value, &odd);
      std::size_t j = next;
      while (j < json.size && (json[j] == ' ' || json[j] == '\t' || json[j] == '\n' || json[j] == '\r')) ++j;
      if (j < json.size && json[j] == ':') {
        key = value;
        key_odd = odd || value.truncated;
        have_key = true;
        i = j + 1;
        continue;
      }
      if (have_key) fact_by_name(out, key.view(), value.view(), key_odd || odd || value.truncated);
      have_key = false;
      i = next;
      continue;
    }
    if (c == 't' || c == 'f' || c == 'n' || c == '-' || is_digit(c)) {
      std::size_t j = i;
      while (j < json.size && json[j] != ',' && json[j] != '}' && json[j] != ']' && json[j] != ' ' &&
             json[j] != '\n' && json[j] != '\r' && json[j] != '\t')
        ++j;
      if (have_key) fact_by_name(out, key.view(), json.sub(i, j - i), key_odd);
      have_key = false;
      i = j;
      continue;
    }
    if (c == '{' || c == '[' || c == ',' || c == '}' || c == ']') have_key = false;
    ++i;
  }
}

namespace {

// Each `<Tag>text</Tag>` in order; `from` is advanced past the match.
bool next_element(Text xml, Text open, Text close, std::size_t* from, Text* text) {
  std::size_t a = find(xml, open, *from);
  if (a == xml.size) return false;
  std::size_t b = find(xml, close, a + open.size);
  *text = xml.sub(a + open.size, (b == xml.size ? xml.size : b) - a - open.size);
  *from = b == xml.size ? xml.size : b + close.size;
  return true;
}

}  // namespace

void facts_from_xml(Text xml, Classification& out) {
  std::size_t from = 0;
  Text text;
  // S3 PutBucketVersioning: <VersioningConfiguration><Status>Suspended</Status>
  if (find(xml, Text("VersioningConfiguration")) < xml.size) {
    while (next_element(xml, Text("<Status>"), Text("</Status>"), &from, &text)) {
      Text t = trim(text);
      if (equals(t, Text("Enabled")) || equals(t, Text("Suspended")))
        set_fact(out, Fact::VersioningStatus, t);
      else
        mark_ambiguous(out, Fact::VersioningStatus);  // entities, CDATA...: not what we expect
    }
  }
  // Route53 ChangeResourceRecordSets: any <Action>DELETE</Action> makes the batch a delete.
  from = 0;
  bool any = false, deletes = false, odd = false;
  while (next_element(xml, Text("<Action>"), Text("</Action>"), &from, &text)) {
    Text t = trim(text);
    any = true;
    if (equals(t, Text("DELETE")))
      deletes = true;
    else if (!equals(t, Text("CREATE")) && !equals(t, Text("UPSERT")))
      odd = true;
  }
  if (deletes) set_fact(out, Fact::ChangeAction, Text("DELETE"));
  else if (any && !odd) set_fact(out, Fact::ChangeAction, Text("UPSERT"));
  if (odd) mark_ambiguous(out, Fact::ChangeAction);
}

}  // namespace agentguard::core::http::detail
