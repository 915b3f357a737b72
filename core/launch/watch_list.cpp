#include "core/launch/watch_list.hpp"
#include "core/base/hot_path.hpp"

#include "core/base/text.hpp"

namespace agentguard::core {
namespace {

// One `key=...` field of the list: [begin, end).
struct Field {
  const char* begin = nullptr;
  const char* end = nullptr;
};

// Calls visit(field) for each field whose key is `key`; stops early when visit returns true.
template <typename Visit>
bool for_each_field(const char* list, char key, Visit visit) {
  const char* p = list;
  while (*p != '\0') {
    const char* start = p;
    while (*p != '\0' && *p != ';') ++p;
    if (p - start >= 2 && start[0] == key && start[1] == '=') {
      if (visit(Field{start + 2, p})) return true;
    }
    if (*p == ';') ++p;
  }
  return false;
}

// Calls visit(item_begin, item_end) for each comma-separated item of a field.
template <typename Visit>
bool for_each_item(Field field, Visit visit) {
  const char* p = field.begin;
  while (p < field.end) {
    const char* start = p;
    while (p < field.end && *p != ',') ++p;
    if (p > start && visit(start, p)) return true;
    ++p;
  }
  return false;
}

bool same(const char* a, const char* a_end, const char* b, std::size_t b_len) {
  if (static_cast<std::size_t>(a_end - a) != b_len) return false;
  for (std::size_t i = 0; i < b_len; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

bool parse_decimal(const char* p, const char* end, std::uint64_t& out) {
  if (p == end) return false;
  std::uint64_t v = 0;
  for (; p < end; ++p) {
    if (*p < '0' || *p > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(*p - '0');
  }
  out = v;
  return true;
}

bool parse_hex(const char* p, const char* end, std::uint64_t& out) {
  if (p == end || end - p > 16) return false;
  std::uint64_t v = 0;
  for (; p < end; ++p) {
    std::uint64_t digit = 0;
    if (*p >= '0' && *p <= '9') {
      digit = static_cast<std::uint64_t>(*p - '0');
    } else if (*p >= 'a' && *p <= 'f') {
      digit = static_cast<std::uint64_t>(*p - 'a' + 10);
    } else if (*p >= 'A' && *p <= 'F') {
      digit = static_cast<std::uint64_t>(*p - 'A' + 10);
    } else {
      return false;
    }
    v = (v << 4) | digit;
  }
  out = v;
  return true;
}

// Splits an f= item NAME:SIZE:HASH.
struct ContentEntry {
  const char* name = nullptr;
  const char* name_end = nullptr;
  std::uint64_t size = 0;
  std::uint64_t hash = 0;
};

AGENTGUARD_HOT bool parse_content(const char* b, const char* e, ContentEntry& out) {
  const char* c1 = b;
  while (c1 < e && *c1 != ':') ++c1;
  if (c1 == e || c1 == b) return false;
  const char* c2 = c1 + 1;
  while (c2 < e && *c2 != ':') ++c2;
  if (c2 == e) return false;
  out.name = b;
  out.name_end = c1;
  return parse_decimal(c1 + 1, c2, out.size) && parse_hex(c2 + 1, e, out.hash);
}

}  // namespace

AGENTGUARD_HOT bool watch_list_valid(const char* list) {
  return list != nullptr && list[0] == 'v' && list[1] == '1' && (list[2] == '\0' || list[2] == ';');
}

AGENTGUARD_HOT bool watch_list_has_name(const char* list, char key, const char* name, std::size_t len) {
  if (len == 0) return false;
  return for_each_field(list, key, [&](Field f) {
    return for_each_item(f, [&](const char* b, const char* e) { return same(b, e, name, len); });
  });
}

bool watch_list_module(const char* list, const char* module, char* name_out, std::size_t cap) {
  const std::size_t module_len = text::length(module);
  return for_each_field(list, 'm', [&](Field f) {
    return for_each_item(f, [&](const char* b, const char* e) {
      const char* colon = b;
      while (colon < e && *colon != ':') ++colon;
      if (colon == e || colon == b || colon + 1 == e) return false;
      const std::size_t key_len = static_cast<std::size_t>(colon - b);
      // MODULE itself, or MODULE.sub (python -m awscli.__main__ runs the same program).
      const bool matches = module_len >= key_len && same(b, colon, module, key_len) &&
                           (module_len == key_len || module[key_len] == '.');
      if (!matches) return false;
      text::copy_n(name_out, cap, colon + 1, static_cast<std::size_t>(e - colon - 1));
      return true;
    });
  });
}

AGENTGUARD_HOT bool watch_list_has_size(const char* list, std::uint64_t size) {
  return for_each_field(list, 'f', [&](Field f) {
    return for_each_item(f, [&](const char* b, const char* e) {
      ContentEntry entry;
      return parse_content(b, e, entry) && entry.size == size;
    });
  });
}

bool watch_list_content(const char* list, std::uint64_t size, std::uint64_t hash, char* name_out,
                        std::size_t cap) {
  return for_each_field(list, 'f', [&](Field f) {
    return for_each_item(f, [&](const char* b, const char* e) {
      ContentEntry entry;
      if (!parse_content(b, e, entry) || entry.size != size || entry.hash != hash) return false;
      text::copy_n(name_out, cap, entry.name, static_cast<std::size_t>(entry.name_end - entry.name));
      return true;
    });
  });
}

}  // namespace agentguard::core
