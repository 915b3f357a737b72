#pragma once
// Byte-string helpers for the HTTP/AWS core. Freestanding: no heap, no exceptions, no libstdc++
// (the code runs inside every guarded process's SSL_write path). A Text is a view into bytes the
// caller owns: the reassembly buffer, the policy blob or a string literal.
#include <cstddef>
#include <cstdint>

namespace agentguard::core::http {

struct Text {
  const char* data = nullptr;
  std::size_t size = 0;

  constexpr Text() = default;
  constexpr Text(const char* d, std::size_t n) : data(d), size(n) {}
  template <std::size_t N>
  constexpr Text(const char (&literal)[N]) : data(literal), size(N - 1) {}  // NOLINT: implicit on purpose

  constexpr bool empty() const { return size == 0; }
  constexpr char operator[](std::size_t i) const { return data[i]; }
  constexpr Text sub(std::size_t from, std::size_t count = ~std::size_t{0}) const {
    if (from > size) from = size;
    std::size_t rest = size - from;
    return Text(data + from, count < rest ? count : rest);
  }
};

constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
constexpr bool is_space(char c) { return c == ' ' || c == '\t'; }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool equals(Text a, Text b);
bool iequals(Text a, Text b);
bool starts_with(Text s, Text prefix);
bool istarts_with(Text s, Text prefix);
bool ends_with(Text s, Text suffix);
// Index of the first occurrence of `needle` at or after `from`, or s.size when absent.
std::size_t find(Text s, Text needle, std::size_t from = 0);
std::size_t find_char(Text s, char c, std::size_t from = 0);
Text trim(Text s);

// Glob with `*` (any run, also empty) and `?` (one byte), ASCII case-insensitive, as IAM matches
// action names. Iterative with one backtrack point, so linear-ish and never recursive.
bool glob_match_icase(Text pattern, Text s);

// Percent-decoding of a URL component into `out` (at most `cap` bytes); `plus_is_space` for
// form bodies. Returns the decoded length; sets *truncated when the output did not fit. A
// malformed escape is kept literally (it cannot hide a name: `%4` is not a letter).
std::size_t url_decode(Text in, bool plus_is_space, char* out, std::size_t cap, bool* truncated);

// Parses a non-negative decimal number; false on anything else or on overflow.
bool parse_decimal(Text s, std::uint64_t* value);
// Parses hex digits (chunk sizes); false on overflow or no digits.
bool parse_hex(Text s, std::uint64_t* value);

// Copy `s` into a fixed char array, NUL-terminated; returns false if it was cut.
bool copy_to(char* out, std::size_t cap, Text s);
std::size_t length_of(const char* nul_terminated);

// Iterates `a=b&c=d` pairs (query strings and form bodies). Raw (still encoded) views.
struct FormCursor {
  Text rest;
  bool next(Text* key, Text* value);
};

}  // namespace agentguard::core::http
