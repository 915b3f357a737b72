#include <gtest/gtest.h>

#include <cstring>

#include "core/launch/interpreter_args.hpp"
#include "core/launch/watch_list.hpp"

namespace agentguard::core {
namespace {

constexpr const char* kList = "v1;p=terraform,tofu;w=sudo;m=awscli:aws,samcli:sam;f=terraform:90579096:0123456789ABCDEF";

bool has(char key, const char* name) { return watch_list_has_name(kList, key, name, std::strlen(name)); }

TEST(WatchList, Version) {
  EXPECT_TRUE(watch_list_valid("v1"));
  EXPECT_TRUE(watch_list_valid(kList));
  EXPECT_FALSE(watch_list_valid("v10;p=x"));
  EXPECT_FALSE(watch_list_valid("p=terraform"));
  EXPECT_FALSE(watch_list_valid(nullptr));
}

TEST(WatchList, NamesAreWholeItemsOfTheRightField) {
  EXPECT_TRUE(has('p', "terraform"));
  EXPECT_TRUE(has('p', "tofu"));
  EXPECT_FALSE(has('p', "terra"));       // no prefixes
  EXPECT_FALSE(has('p', "terraform2"));  // no extensions
  EXPECT_FALSE(has('p', "sudo"));        // other field
  EXPECT_TRUE(has('w', "sudo"));
  EXPECT_FALSE(has('p', ""));
  // The name may be a counted slice of a longer string.
  EXPECT_TRUE(watch_list_has_name(kList, 'p', "tofu (deleted)", 4));
}

TEST(WatchList, Modules) {
  char name[64];
  ASSERT_TRUE(watch_list_module(kList, "samcli", name, sizeof name));
  EXPECT_STREQ(name, "sam");
  ASSERT_TRUE(watch_list_module(kList, "awscli.clidriver", name, sizeof name));
  EXPECT_STREQ(name, "aws");
  EXPECT_FALSE(watch_list_module(kList, "awsclix", name, sizeof name));
  EXPECT_FALSE(watch_list_module(kList, "aws", name, sizeof name));
}

TEST(WatchList, ContentEntries) {
  char name[64];
  EXPECT_TRUE(watch_list_has_size(kList, 90579096));
  EXPECT_FALSE(watch_list_has_size(kList, 90579095));
  ASSERT_TRUE(watch_list_content(kList, 90579096, 0x0123456789abcdefULL, name, sizeof name));
  EXPECT_STREQ(name, "terraform");
  EXPECT_FALSE(watch_list_content(kList, 90579096, 0x0123456789abcdeeULL, name, sizeof name));
  // Malformed entries never match.
  EXPECT_FALSE(watch_list_has_size("v1;f=x:12:zz", 12));
  EXPECT_FALSE(watch_list_has_size("v1;f=:12:00", 12));
  EXPECT_FALSE(watch_list_has_size("v1;f=x:1a:00", 1));
}

TEST(InterpreterArgs, Kinds) {
  EXPECT_EQ(interpreter_kind("ld-linux-x86-64.so.2"), InterpreterKind::loader);
  EXPECT_EQ(interpreter_kind("ld-linux-aarch64.so.1"), InterpreterKind::loader);
  EXPECT_EQ(interpreter_kind("ld-musl-x86_64.so.1"), InterpreterKind::loader);
  EXPECT_EQ(interpreter_kind("ld-helper"), InterpreterKind::none);
  EXPECT_EQ(interpreter_kind("python3.11"), InterpreterKind::python);
  EXPECT_EQ(interpreter_kind("nodejs"), InterpreterKind::node);
  EXPECT_EQ(interpreter_kind("perl5.36.0"), InterpreterKind::perl);
  EXPECT_EQ(interpreter_kind("ruby3.1"), InterpreterKind::ruby);
  EXPECT_EQ(interpreter_kind("bash"), InterpreterKind::none);
}

TEST(InterpreterArgs, LoaderOptionsWithoutAProgram) {
  const char* only_options[] = {"ld.so", "--preload", "x.so", nullptr};
  EXPECT_EQ(loader_program_index(only_options, 0), -1);
  const char* dangling[] = {"ld.so", "--library-path", nullptr};
  EXPECT_EQ(loader_program_index(dangling, 0), -1);
  const char* unknown[] = {"ld.so", "--unknown-option", "prog", nullptr};
  EXPECT_EQ(loader_program_index(unknown, 0), 1);  // rtld treats it as the program name
}

TEST(InterpreterArgs, PythonModuleForms) {
  const char* separate[] = {"python3", "-u", "-m", "awscli", "s3", nullptr};
  InterpreterTarget t = interpreter_target(InterpreterKind::python, separate, 0);
  EXPECT_EQ(t.index, 3);
  ASSERT_NE(t.module, nullptr);
  EXPECT_STREQ(t.module, "awscli");
  const char* check_option[] = {"python3", "--check-hash-based-pycs", "always", "script.py", nullptr};
  t = interpreter_target(InterpreterKind::python, check_option, 0);
  EXPECT_EQ(t.index, 3);
  EXPECT_EQ(t.module, nullptr);
}

}  // namespace
}  // namespace agentguard::core
