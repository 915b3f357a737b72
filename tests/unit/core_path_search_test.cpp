#include <gtest/gtest.h>

#include <string>

#include "core/launch/path_search.hpp"
#include "core_test_support.hpp"

namespace agentguard::core {
namespace {

using testing::ChangeDir;
using testing::ScratchDir;

TEST(FindInPath, FirstExecutableRegularFileWins) {
  ScratchDir dir;
  dir.mkdir("a");
  dir.mkdir("b");
  dir.mkdir("c");
  dir.write("a/tool", "not executable", 0644);
  dir.mkdir("b/tool");  // a directory is skipped
  const std::string wanted = dir.write("c/tool", "x", 0755);
  dir.mkdir("d");
  dir.write("d/tool", "x", 0755);
  const std::string path = dir / "a" + ":" + dir / "b" + ":" + dir / "c" + ":" + dir / "d";
  char out[4096];
  ASSERT_TRUE(find_in_path("tool", path.c_str(), out, sizeof out));
  EXPECT_EQ(std::string(out), wanted);
}

TEST(FindInPath, NameWithSlashIsUsedAsIs) {
  char out[64];
  ASSERT_TRUE(find_in_path("./does/not/matter", "/bin", out, sizeof out));
  EXPECT_STREQ(out, "./does/not/matter");
}

TEST(FindInPath, EmptyEntryMeansTheCwd) {
  ScratchDir dir;
  dir.write("here-tool", "x", 0755);
  ChangeDir cd(dir.path());
  char out[4096];
  ASSERT_TRUE(find_in_path("here-tool", "/nonexistent::/also-not", out, sizeof out));
  EXPECT_STREQ(out, "here-tool");
  EXPECT_FALSE(find_in_path("here-tool", "/nonexistent:/also-not", out, sizeof out));
}

TEST(FindInPath, UnsetPathUsesTheDefault) {
  char out[4096];
  ASSERT_TRUE(find_in_path("sh", nullptr, out, sizeof out));
  EXPECT_TRUE(std::string(out) == "/bin/sh" || std::string(out) == "/usr/bin/sh") << out;
}

TEST(FindInPath, NotFoundAndTooSmall) {
  char out[4096];
  EXPECT_FALSE(find_in_path("agentguard-no-such-program", "/bin:/usr/bin", out, sizeof out));
  EXPECT_STREQ(out, "");
  char tiny[4];
  EXPECT_FALSE(find_in_path("sh", "/bin", tiny, sizeof tiny));
  EXPECT_FALSE(find_in_path("", "/bin", out, sizeof out));
}

}  // namespace
}  // namespace agentguard::core
