#include "core/http/text.hpp"

namespace agentguard::core::http {

bool equals(Text a, Text b) {
  if (a.size != b.size) return false;
  for (std::size_t i = 0; i < a.size; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

bool iequals(Text a, Text b) {
  if (a.size != b.size) return false;
  for (std::size_t i = 0; i < a.size; ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

bool starts_with(Text s, Text prefix) { return s.size >= prefix.size && equals(s.sub(0, prefix.size), prefix); }
bool istarts_with(Text s, Text prefix) { return s.size >= prefix.size && iequals(s.sub(0, prefix.size), prefix); }
bool ends_with(Text s, Text suffix) {
  return s.size >= suffix.size && equals(s.sub(s.size - suffix.size), suffix);
}

std::size_t find(Text s, Text needle, std::size_t from) {
  if (needle.size == 0) return from <= s.size ? from : s.size;
  if (s.size < needle.size) return s.size;
  for (std::size_t i = from; i + needle.size <= s.size; ++i) {
    if (s[i] != needle[0]) continue;
    if (equals(s.sub(i, needle.size), needle)) return i;
  }
  return s.size;
}

std::size_t find_char(Text s, char c, std::size_t from) {
  for (std::size_t i = from; i < s.size; ++i)
    if (s[i] == c) return i;
  return s.size;
}

Text trim(Text s) {
  std::size_t b = 0, e = s.size;
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.sub(b, e - b);
}

bool glob_match_icase(Text pattern, Text s) {
  std::size_t p = 0, i = 0;
  std::size_t star_p = ~std::size_t{0}, star_i = 0;
  while (i < s.size) {
    if (p < pattern.size && (pattern[p] == '?' || ascii_lower(pattern[p]) == ascii_lower(s[i]))) {
      ++p;
      ++i;
    } else if (p < pattern.size && pattern[p] == '*') {
      star_p = p++;
      star_i = i;
    } else if (star_p != ~std::size_t{0}) {
      p = star_p + 1;
      i = ++star_i;
    } else {
      return false;
    }
  }
  while (p < pattern.size && pattern[p] == '*') ++p;
  return p == pattern.size;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::size_t url_decode(Text in, bool plus_is_space, char* out, std::size_t cap, bool* truncated) {
  std::size_t n = 0;
  bool cut = false;
  for (std::size_t i = 0; i < in.size; ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size) {
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        c = static_cast<char>(hi * 16 + lo);
        i += 2;
      }
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (n < cap) {
      out[n++] = c;
    } else {
      cut = true;
      break;
    }
  }
  if (truncated) *truncated = cut;
  return n;
}

bool parse_decimal(Text s, std::uint64_t* value) {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < s.size; ++i) {
    if (!is_digit(s[i])) return false;
    std::uint64_t d = static_cast<std::uint64_t>(s[i] - '0');
    if (v > (~std::uint64_t{0} - d) / 10) return false;
    v = v * 10 + d;
  }
  *value = v;
  return true;
}

bool parse_hex(Text s, std::uint64_t* value) {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < s.size; ++i) {
    int d = hex_value(s[i]);
    if (d < 0) return false;
    if (v >> 60) return false;
    v = v * 16 + static_cast<std::uint64_t>(d);
  }
  *value = v;
  return true;
}

bool copy_to(char* out, std::size_t cap, Text s) {
  if (cap == 0) return false;
  std::size_t n = s.size < cap - 1 ? s.size : cap - 1;
  for (std::size_t i = 0; i < n; ++i) out[i] = s[i];
  out[n] = '\0';
  return n == s.size;
}

std::size_t length_of(const char* s) {
  std::size_t n = 0;
  while (s[n]) ++n;
  return n;
}

bool FormCursor::next(Text* key, Text* value) {
  while (!rest.empty()) {
    std::size_t amp = find_char(rest, '&');
    Text pair = rest.sub(0, amp);
    rest = rest.sub(amp < rest.size ? amp + 1 : rest.size);
    if (pair.empty()) continue;
    std::size_t eq = find_char(pair, '=');
    *key = pair.sub(0, eq);
    *value = eq < pair.size ? pair.sub(eq + 1) : Text();
    return true;
  }
  return false;
}

}  // namespace agentguard::core::http
