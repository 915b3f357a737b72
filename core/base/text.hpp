#pragma once
// Tiny string helpers for the freestanding core. They exist because the core may not use
// std::string or anything that allocates, and must stay async-signal-safe.
#include <cstddef>

namespace agentguard::core::text {

inline std::size_t length(const char* s) {
  std::size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

inline bool equal(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

// a[0..a_len) equals the NUL-terminated b.
inline bool equal_n(const char* a, std::size_t a_len, const char* b) {
  for (std::size_t i = 0; i < a_len; ++i) {
    if (b[i] == '\0' || b[i] != a[i]) return false;
  }
  return b[a_len] == '\0';
}

inline bool starts_with(const char* s, const char* prefix) {
  while (*prefix != '\0') {
    if (*s != *prefix) return false;
    ++s;
    ++prefix;
  }
  return true;
}

// The part after the last '/'.
inline const char* basename(const char* path) {
  const char* base = path;
  for (const char* p = path; *p != '\0'; ++p) {
    if (*p == '/') base = p + 1;
  }
  return base;
}

// Copies src into dst (capacity cap, always NUL-terminated). Returns false if it was cut.
inline bool copy(char* dst, std::size_t cap, const char* src) {
  if (cap == 0) return false;
  std::size_t i = 0;
  for (; src[i] != '\0'; ++i) {
    if (i + 1 >= cap) {
      dst[i] = '\0';
      return false;
    }
    dst[i] = src[i];
  }
  dst[i] = '\0';
  return true;
}

// Same for a counted source.
inline bool copy_n(char* dst, std::size_t cap, const char* src, std::size_t n) {
  if (n + 1 > cap) {
    if (cap > 0) dst[0] = '\0';
    return false;
  }
  for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
  dst[n] = '\0';
  return true;
}

// The value of NAME in an envp array ("NAME=value"), first occurrence like getenv; nullptr if absent.
inline const char* env_value(const char* const* envp, const char* name) {
  if (envp == nullptr) return nullptr;
  for (; *envp != nullptr; ++envp) {
    const char* e = *envp;
    const char* n = name;
    while (*n != '\0' && *e == *n) {
      ++e;
      ++n;
    }
    if (*n == '\0' && *e == '=') return e + 1;
  }
  return nullptr;
}

}  // namespace agentguard::core::text
