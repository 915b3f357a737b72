#pragma once
// Constant tables of strings without pointers in them.
//
// A table of `const char*` in a shared library is one dynamic relocation per pointer: ld.so
// patches each of them in every process that maps the library, and the page they are on becomes
// a private copy. The preload is mapped into every process of the agent's tree, so its tables
// (the HTTP classifier's routes, the interpreters' options, ...) are built here at compile time
// as one char pool plus 16-bit offsets instead: plain read-only data, no relocation, no write.
//
//   constexpr const char* kRows[][2] = {{"a", "b"}, {"c", nullptr}};  // compile time only
//   constexpr auto kTable = AGENTGUARD_STRING_TABLE(kRows);
//   kTable.at(1, 0)  // "c";  kTable.at(1, 1) == nullptr;  kTable.rows() == 2
//
// The source array must only ever be used in constant expressions (then it is never emitted).
#include <cstddef>
#include <cstdint>

namespace agentguard::core {

template <std::size_t Rows, std::size_t Cols, std::size_t PoolSize>
struct StringTable {
  static constexpr std::uint16_t kNull = 0xFFFF;
  static_assert(PoolSize < kNull, "string pool too large for 16-bit offsets");

  char pool[PoolSize];
  std::uint16_t offsets[Rows][Cols];

  static constexpr std::size_t rows() { return Rows; }
  constexpr const char* at(std::size_t row, std::size_t col = 0) const {
    return offsets[row][col] == kNull ? nullptr : pool + offsets[row][col];
  }
};

namespace string_table_detail {

template <std::size_t Rows, std::size_t Cols>
constexpr std::size_t pool_size(const char* const (&rows)[Rows][Cols]) {
  std::size_t n = 0;
  for (std::size_t r = 0; r < Rows; ++r) {
    for (std::size_t c = 0; c < Cols; ++c) {
      if (rows[r][c] == nullptr) continue;
      for (const char* s = rows[r][c]; *s != '\0'; ++s) ++n;
      ++n;
    }
  }
  return n == 0 ? 1 : n;
}

template <std::size_t Rows>
constexpr std::size_t pool_size(const char* const (&list)[Rows]) {
  std::size_t n = 0;
  for (std::size_t r = 0; r < Rows; ++r) {
    if (list[r] == nullptr) continue;
    for (const char* s = list[r]; *s != '\0'; ++s) ++n;
    ++n;
  }
  return n == 0 ? 1 : n;
}

template <std::size_t PoolSize, std::size_t Rows, std::size_t Cols>
constexpr StringTable<Rows, Cols, PoolSize> make(const char* const (&rows)[Rows][Cols]) {
  StringTable<Rows, Cols, PoolSize> table{};
  std::size_t n = 0;
  for (std::size_t r = 0; r < Rows; ++r) {
    for (std::size_t c = 0; c < Cols; ++c) {
      const char* s = rows[r][c];
      if (s == nullptr) {
        table.offsets[r][c] = table.kNull;
        continue;
      }
      table.offsets[r][c] = static_cast<std::uint16_t>(n);
      for (; *s != '\0'; ++s) table.pool[n++] = *s;
      table.pool[n++] = '\0';
    }
  }
  return table;
}

// A one-column table from a plain list.
template <std::size_t PoolSize, std::size_t Rows>
constexpr StringTable<Rows, 1, PoolSize> make(const char* const (&list)[Rows]) {
  StringTable<Rows, 1, PoolSize> table{};
  std::size_t n = 0;
  for (std::size_t r = 0; r < Rows; ++r) {
    const char* s = list[r];
    if (s == nullptr) {
      table.offsets[r][0] = table.kNull;
      continue;
    }
    table.offsets[r][0] = static_cast<std::uint16_t>(n);
    for (; *s != '\0'; ++s) table.pool[n++] = *s;
    table.pool[n++] = '\0';
  }
  return table;
}

}  // namespace string_table_detail

#define AGENTGUARD_STRING_TABLE(source)                                                        \
  ::agentguard::core::string_table_detail::make<::agentguard::core::string_table_detail::pool_size( \
      source)>(source)

}  // namespace agentguard::core
