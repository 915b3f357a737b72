#include "glob.hpp"

namespace agentguard::policy::detail {
namespace {

// Length of the class starting at pattern[i] == '[' (through the closing ']'), or 0 if unclosed.
std::size_t class_length(std::string_view pattern, std::size_t i) {
  std::size_t j = i + 1;
  if (j < pattern.size() && (pattern[j] == '!' || pattern[j] == '^')) ++j;
  if (j < pattern.size() && pattern[j] == ']') ++j;  // a leading ']' is a member
  while (j < pattern.size() && pattern[j] != ']') {
    if (pattern[j] == '\\') ++j;
    ++j;
  }
  return j < pattern.size() ? j - i + 1 : 0;
}

bool class_matches(std::string_view cls, char c) {
  // cls is the text between '[' and ']'
  std::size_t i = 0;
  bool negate = false;
  if (i < cls.size() && (cls[i] == '!' || cls[i] == '^')) {
    negate = true;
    ++i;
  }
  bool found = false;
  bool first = true;
  while (i < cls.size()) {
    char lo = cls[i];
    if (lo == '\\' && i + 1 < cls.size()) lo = cls[++i];
    else if (lo == ']' && !first) break;
    first = false;
    char hi = lo;
    if (i + 2 < cls.size() && cls[i + 1] == '-') {
      hi = cls[i + 2];
      if (hi == '\\' && i + 3 < cls.size()) {
        hi = cls[i + 3];
        ++i;
      }
      i += 2;
    }
    if (lo <= c && c <= hi) found = true;
    ++i;
  }
  return found != negate;
}

}  // namespace

std::optional<std::string> glob_error(std::string_view pattern) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (i + 1 == pattern.size()) return "trailing '\\' escapes nothing";
      ++i;
    } else if (pattern[i] == '[') {
      std::size_t len = class_length(pattern, i);
      if (len == 0) return "unclosed '[' at offset " + std::to_string(i);
      if (len == 2 || (len == 3 && (pattern[i + 1] == '!' || pattern[i + 1] == '^'))) return "empty character class";
      i += len - 1;
    } else if (pattern[i] == ']') {
      return "']' without '[' at offset " + std::to_string(i);
    }
  }
  return std::nullopt;
}

bool glob_is_literal(std::string_view pattern) {
  return pattern.find_first_of("*?[\\") == std::string_view::npos;
}

bool glob_match(std::string_view p, std::string_view t) {
  // Iterative matcher with single-star backtracking (linear for practical patterns).
  std::size_t pi = 0, ti = 0, star_p = std::string_view::npos, star_t = 0;
  while (ti < t.size()) {
    if (pi < p.size()) {
      char pc = p[pi];
      if (pc == '*') {
        while (pi + 1 < p.size() && p[pi + 1] == '*') ++pi;
        if (pi + 1 == p.size()) return true;  // a trailing star matches whatever is left
        star_p = pi++;
        star_t = ti;
        continue;
      }
      if (pc == '?') {
        ++pi;
        ++ti;
        continue;
      }
      if (pc == '[') {
        std::size_t len = class_length(p, pi);
        if (len != 0 && class_matches(p.substr(pi + 1, len - 2), t[ti])) {
          pi += len;
          ++ti;
          continue;
        }
      } else {
        if (pc == '\\' && pi + 1 < p.size()) pc = p[pi + 1];
        if (pc == t[ti]) {
          pi += (p[pi] == '\\') ? 2 : 1;
          ++ti;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p + 1;
    ti = ++star_t;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

}  // namespace agentguard::policy::detail
