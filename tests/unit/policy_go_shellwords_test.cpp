// The TF_CLI_ARGS splitter against go-shellwords v1.0.12's own test table (shellwords_test.go:
// testcases, TestError, and the ParseBacktick=false and Position cases), plus what terraform's
// mergeEnvArgs relies on: CR as a separator, backslashes inside double quotes, where it stops.
#include <gtest/gtest.h>

#include "terraform/go_shellwords.hpp"

namespace agentguard::policy::detail {
namespace {

using V = std::vector<std::string>;

V words(std::string_view line) {
  auto r = go_shellwords_parse(line);
  EXPECT_EQ(r.error, "") << "for " << line;
  return r.words;
}
bool fails(std::string_view line) { return !go_shellwords_parse(line).error.empty(); }

TEST(GoShellwords, UpstreamTestcasesTable) {
  const std::pair<std::string_view, V> table[] = {
      {R"()", {}},
      {R"("")", {""}},
      {R"('')", {""}},
      {R"(var --bar=baz)", {"var", "--bar=baz"}},
      {R"(var --bar="baz")", {"var", "--bar=baz"}},
      {R"(var "--bar=baz")", {"var", "--bar=baz"}},
      {R"(var "--bar='baz'")", {"var", "--bar='baz'"}},
      {"var --bar=`baz`", {"var", "--bar=`baz`"}},
      {R"(var "--bar=\"baz'")", {"var", R"(--bar="baz')"}},
      {R"(var "--bar=\'baz\'")", {"var", "--bar='baz'"}},
      {R"(var --bar='\')", {"var", R"(--bar=\)"}},
      {R"(var "--bar baz")", {"var", "--bar baz"}},
      {R"(var --"bar baz")", {"var", "--bar baz"}},
      {R"(var  --"bar baz")", {"var", "--bar baz"}},
      {R"(a "b")", {"a", "b"}},
      {R"(a " b ")", {"a", " b "}},
      {R"(a "   ")", {"a", "   "}},
      {R"(a 'b')", {"a", "b"}},
      {R"(a ' b ')", {"a", " b "}},
      {R"(a '   ')", {"a", "   "}},
      {"foo bar\\  ", {"foo", "bar "}},
      {R"(foo "" bar '')", {"foo", "", "bar", ""}},
      {R"(foo \\)", {"foo", "\\"}},
      {R"(foo \& bar)", {"foo", "&", "bar"}},
  };
  for (const auto& [line, expected] : table) EXPECT_EQ(words(line), expected) << "for " << line;
}

TEST(GoShellwords, UpstreamErrors) {
  EXPECT_TRUE(fails("foo '"));
  EXPECT_TRUE(fails("foo \""));
  EXPECT_TRUE(fails("foo `"));
  // TestBacktickError's cases that fail without running anything.
  EXPECT_TRUE(fails("echo $(echo1"));
  EXPECT_TRUE(fails("echo $ (echo1"));
  EXPECT_TRUE(fails("echo (echo1"));
  EXPECT_TRUE(fails("echo )echo1"));
}

TEST(GoShellwords, UpstreamBacktickOff) {
  EXPECT_EQ(words(R"(echo $(echo "foo"))"), (V{"echo", R"($(echo "foo"))"}));
  EXPECT_EQ(words("echo $(`echo1)"), (V{"echo", "$(`echo1)"}));
  EXPECT_EQ(words("cmd -flag=`echo val1` -flag=val2"), (V{"cmd", "-flag=`echo val1`", "-flag=val2"}));
}

TEST(GoShellwords, UpstreamStopsAtOperators) {
  auto more = go_shellwords_parse("echo \xF0\x9F\x8D\xBA; seq 1 10");  // TestHaveMore
  EXPECT_EQ(more.words, (V{"echo", "\xF0\x9F\x8D\xBA"}));
  EXPECT_TRUE(more.stopped);
  auto redirect = go_shellwords_parse("ls -la 2>foo");  // TestHaveRedirect: "2" is dropped
  EXPECT_EQ(redirect.words, (V{"ls", "-la"}));
  EXPECT_TRUE(redirect.stopped);
  EXPECT_FALSE(go_shellwords_parse("seq 1 10").stopped);
}

TEST(GoShellwords, WhatTerraformUsersHit) {
  // The issue's cases.
  EXPECT_EQ(words("-var=n=0; -var=n=2"), (V{"-var=n=0"}));
  EXPECT_EQ(words("-destroy\r-auto-approve"), (V{"-destroy", "-auto-approve"}));
  EXPECT_EQ(words("\"-var=a=\\b\""), (V{"-var=a=b"}));          // \b inside "" is b, not \b
  EXPECT_EQ(words("-var=a=x\\\ny"), (V{"-var=a=x\ny"}));         // backslash-newline keeps the newline
  EXPECT_EQ(words("-var='a=$HOME'"), (V{"-var=a=$HOME"}));      // no expansion
  EXPECT_EQ(words("-var=a=1 | -destroy"), (V{"-var=a=1"}));
  EXPECT_EQ(words("-var=a=1&-destroy"), (V{"-var=a=1"}));
  EXPECT_EQ(words("-var=a=1>x -destroy"), (V{"-var=a=1"}));     // '-' is not a digit: kept
  EXPECT_EQ(words("-var=a=1 12x>y"), (V{"-var=a=1"}));          // a word starting with a digit: dropped
  EXPECT_EQ(words("-var=a=1 <x -destroy"), (V{"-var=a=1"}));
  EXPECT_EQ(words("\"a;b\" 'c|d'"), (V{"a;b", "c|d"}));
  EXPECT_EQ(words("a`b c`d e"), (V{"a`b c`d", "e"}));          // backquotes group, kept literally
  EXPECT_EQ(words("a$(b c)d e"), (V{"a$(b c)d", "e"}));
  EXPECT_EQ(words("a)b c) d"), (V{"a)b c)", "d"}));             // a bare ')' opens a group in v1.0.12
  EXPECT_EQ(words("# -destroy"), (V{"#", "-destroy"}));         // no comments
  EXPECT_EQ(words("\t a \n"), (V{"a"}));
  EXPECT_TRUE(fails("a\\"));                                     // a trailing backslash
  EXPECT_TRUE(fails("a $(b (c))"));                              // '(' inside $(...)
  // Invalid UTF-8 becomes U+FFFD, byte by byte, as Go's range loop decodes it.
  EXPECT_EQ(words("a\xff\xc3"), (V{"a\xEF\xBF\xBD\xEF\xBF\xBD"}));
  EXPECT_EQ(words("\xED\xA0\x80"), (V{"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}));  // a surrogate
  EXPECT_EQ(words("\xC3\xA9 x"), (V{"\xC3\xA9", "x"}));
}

}  // namespace
}  // namespace agentguard::policy::detail
