#include <gtest/gtest.h>

#include <cstring>

#include "core/base/string_table.hpp"

namespace agentguard::core {
namespace {

constexpr const char* kRows[][3] = {{"lambda", "DELETE", nullptr}, {"", "GET", "x"}};
constexpr auto kTable = AGENTGUARD_STRING_TABLE(kRows);
constexpr const char* kList[] = {"a", nullptr, "bcd"};
constexpr auto kListTable = AGENTGUARD_STRING_TABLE(kList);

// Built at compile time...
static_assert(kTable.rows() == 2);
static_assert(sizeof kTable.pool == sizeof "lambda" + sizeof "DELETE" + sizeof "" + sizeof "GET" + sizeof "x");
static_assert(kTable.at(0, 2) == nullptr);
static_assert(kListTable.rows() == 3 && kListTable.at(1) == nullptr);

TEST(StringTable, KeepsEveryStringAndEveryNull) {
  EXPECT_STREQ(kTable.at(0, 0), "lambda");
  EXPECT_STREQ(kTable.at(0, 1), "DELETE");
  EXPECT_EQ(kTable.at(0, 2), nullptr);
  EXPECT_STREQ(kTable.at(1, 0), "");
  EXPECT_STREQ(kTable.at(1, 1), "GET");
  EXPECT_STREQ(kTable.at(1, 2), "x");
  EXPECT_STREQ(kListTable.at(0), "a");
  EXPECT_EQ(kListTable.at(1), nullptr);
  EXPECT_STREQ(kListTable.at(2), "bcd");
}

TEST(StringTable, HoldsNoPointers) {
  // ... and is plain data: a pool and offsets, which is what keeps it out of the relocations.
  EXPECT_LE(sizeof kTable, sizeof kTable.pool + sizeof kTable.offsets + 1);  // at most one byte of padding
  EXPECT_EQ(std::memcmp(kTable.pool, "lambda\0DELETE\0\0GET\0x", sizeof kTable.pool), 0);
}

}  // namespace
}  // namespace agentguard::core
