// Facts (protection switches, S3 names) from form, JSON and XML bodies. Every parser here is a
// bounded single pass over a view; none allocates or recurses.
#include "core/http/aws_internal.hpp"

namespace agentguard::core::http::detail {

namespace {

// Key/Value lists (`Attributes.member.1.Key=deletion_protection.enabled` + `...Value=false`, or
// ec2 `Attribute=disableApiTermination` + `Value=false`) are paired by prefix in a second pass,
// so their order in the body does not matter. Only keys that name a fact are remembered.
inline constexpr std::size_t kMaxPairs = 16;
struct NamedKey {
  char prefix[64];
  Fact fact;
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

enum class Half { none, key, value };

// Classifies a decoded form key as one half of a Key/Value pair and returns its prefix.
Half half_of(Text key, Text* prefix) {
  if (equals(key, Text("Attribute"))) {
    *prefix = Text();
    return Half::key;
  }
  if (equals(key, Text("Value"))) {
    *prefix = Text();
    return Half::value;
  }
  if (strip_suffix(key, Text(".Key"), prefix)) return Half::key;
  if (strip_suffix(key, Text(".Value"), prefix)) return Half::value;
  return Half::none;
}

}  // namespace

void facts_from_form(Text form, Classification& out) {
  NamedKey keys[kMaxPairs];
  std::size_t key_count = 0;
  Text raw_key, raw_value;
  Decoded key, value;
  FormCursor cursor{form};
  while (cursor.next(&raw_key, &raw_value)) {
    decode_into(key, raw_key, true);
    decode_into(value, raw_value, true);
    Text prefix;
    Fact fact;
    switch (half_of(key.view(), &prefix)) {
      case Half::key:
        if (!fact_from_name(value.view(), &fact)) break;  // an attribute we have no rule about
        if (key_count == kMaxPairs || !copy_to(keys[key_count].prefix, sizeof keys[key_count].prefix, prefix)) {
          out.facts_complete = false;  // more fact-naming keys than we track: fail closed
          break;
        }
        keys[key_count++].fact = fact;
        break;
      case Half::value:
        // `DisableApiTermination.Value=false` names its fact in the prefix itself.
        if (fact_from_name(prefix, &fact)) fact_by_name(out, prefix, value.view(), value.truncated);
        break;
      case Half::none:
        fact_by_name(out, key.view(), value.view(), key.truncated || value.truncated);
        break;
    }
  }
  if (key_count == 0) return;
  cursor = FormCursor{form};
  while (cursor.next(&raw_key, &raw_value)) {
    decode_into(key, raw_key, true);
    Text prefix;
    if (half_of(key.view(), &prefix) != Half::value) continue;
    for (std::size_t i = 0; i < key_count; ++i) {
      if (!equals(prefix, Text(keys[i].prefix, length_of(keys[i].prefix)))) continue;
      decode_into(value, raw_value, true);
      if (value.truncated)
        mark_ambiguous(out, keys[i].fact);
      else
        set_fact(out, keys[i].fact, value.view());
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

// PartiQL (DynamoDB ExecuteStatement, BatchExecuteStatement, ExecuteTransaction): the verb of
// each `Statement`. One DELETE makes the request a delete; a statement whose first word cannot be
// read (escapes, a cut body) makes the fact ambiguous, so deny rules on it hold.
void note_statement(Classification& out, Text statement, bool odd) {
  FactValue& slot = out.facts[static_cast<std::size_t>(Fact::StatementVerb)];
  std::size_t i = 0;
  while (true) {
    while (i < statement.size && (is_space(statement[i]) || statement[i] == '\n' || statement[i] == '\r' || statement[i] == '('))
      ++i;
    if (i + 1 < statement.size && statement[i] == '-' && statement[i + 1] == '-') {  // line comment
      while (i < statement.size && statement[i] != '\n') ++i;
      continue;
    }
    if (i + 1 < statement.size && statement[i] == '/' && statement[i + 1] == '*') {  // block comment
      std::size_t end = find(statement, Text("*/"), i + 2);
      i = end < statement.size ? end + 2 : statement.size;
      continue;
    }
    break;
  }
  std::size_t j = i;
  while (j < statement.size && ((statement[j] >= 'a' && statement[j] <= 'z') || (statement[j] >= 'A' && statement[j] <= 'Z'))) ++j;
  Text verb = statement.sub(i, j - i);
  if (odd || verb.empty()) {
    mark_ambiguous(out, Fact::StatementVerb);
    return;
  }
  if (iequals(verb, Text("DELETE"))) {
    slot.present = true;
    copy_to(slot.value, sizeof slot.value, Text("DELETE"));
  } else if (!slot.present) {
    set_fact(out, Fact::StatementVerb, verb);
  }
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
      if (have_key && iequals(key.view(), Text("Statement")))
        note_statement(out, value.view(), key_odd || odd || value.truncated);
      else if (have_key)
        fact_by_name(out, key.view(), value.view(), key_odd || odd || value.truncated);
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
    if ((c == '{' || c == '[') && have_key) {
      // An object-valued key: DynamoDB's `DeleteRequest` (BatchWriteItem) and `Delete`
      // (TransactWriteItems) say an item is deleted.
      Fact fact;
      if (fact_from_name(key.view(), &fact) && fact == Fact::DeleteRequest) set_fact(out, Fact::DeleteRequest, Text("true"));
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
