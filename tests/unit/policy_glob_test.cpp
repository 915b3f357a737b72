// The policy's glob matcher agrees with POSIX fnmatch(3) on every valid pattern.
#include <fnmatch.h>
#include <gtest/gtest.h>

#include <random>

#include "glob.hpp"

namespace agentguard::policy::detail {
namespace {

TEST(PolicyGlob, KnownCases) {
  EXPECT_TRUE(glob_match("delete-*", "delete-db-instance"));
  EXPECT_FALSE(glob_match("delete-*", "describe-db-instances"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("/srv/*/prod", "/srv/a/b/prod"));  // '*' crosses '/'
  EXPECT_TRUE(glob_match("[Ff]alse", "False"));
  EXPECT_TRUE(glob_match("[!a]x", "bx"));
  EXPECT_FALSE(glob_match("[!a]x", "ax"));
  EXPECT_TRUE(glob_match("a\\*", "a*"));
  EXPECT_FALSE(glob_match("a\\*", "ab"));
  EXPECT_TRUE(glob_match("[]]", "]"));
  // A trailing star (or run of stars) matches the rest at once.
  EXPECT_TRUE(glob_match("terra*", "terraform"));
  EXPECT_TRUE(glob_match("terra**", "terra"));
  EXPECT_FALSE(glob_match("terra*", "terr"));
  EXPECT_TRUE(glob_match("*a*", "banana"));
  EXPECT_TRUE(glob_match("a\\\\*", "a\\b"));  // an escaped backslash, then a trailing star
  EXPECT_FALSE(glob_match("a\\\\*", "ab"));
  EXPECT_TRUE(glob_is_literal("destroy"));
  EXPECT_FALSE(glob_is_literal("delete-*"));
  EXPECT_EQ(glob_error("a[b"), "unclosed '[' at offset 1");
  EXPECT_EQ(glob_error("a\\"), "trailing '\\' escapes nothing");
  EXPECT_EQ(glob_error("[!]"), "unclosed '[' at offset 0");
  EXPECT_FALSE(glob_error("[a-c]*?"));
}

TEST(PolicyGlob, AgreesWithFnmatch) {
  std::mt19937 rng(12345);
  const std::string pattern_chars = "ab-*?[]!\\";
  const std::string text_chars = "ab-]![*";
  int compared = 0;
  for (int i = 0; i < 200000 && compared < 20000; ++i) {
    std::string pattern, text;
    for (int n = std::uniform_int_distribution<int>(0, 7)(rng); n > 0; --n) pattern += pattern_chars[rng() % pattern_chars.size()];
    if (glob_error(pattern)) continue;
    for (int n = std::uniform_int_distribution<int>(0, 6)(rng); n > 0; --n) text += text_chars[rng() % text_chars.size()];
    ++compared;
    bool expected = fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
    ASSERT_EQ(glob_match(pattern, text), expected) << "pattern '" << pattern << "' text '" << text << "'";
  }
  EXPECT_GE(compared, 5000);
}

}  // namespace
}  // namespace agentguard::policy::detail
