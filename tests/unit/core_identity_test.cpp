#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "core/launch/fingerprint.hpp"
#include "core/launch/identity.hpp"
#include "core_test_support.hpp"

namespace agentguard::core {
namespace {

using testing::ChangeDir;
using testing::ScratchDir;

struct Argv {
  explicit Argv(std::vector<std::string> args) : strings(std::move(args)) {
    for (auto& s : strings) pointers.push_back(s.c_str());
    pointers.push_back(nullptr);
  }
  const char* const* get() const { return pointers.data(); }
  std::vector<std::string> strings;
  std::vector<const char*> pointers;
};

Identity identify_ok(const std::string& path, const Argv& argv, const char* list = nullptr) {
  Identity out;
  EXPECT_TRUE(identify(path.c_str(), argv.get(), list, out)) << path;
  return out;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {};
  struct stat sb {};
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

class IdentityTest : public ::testing::Test {
 protected:
  ScratchDir dir;
  std::string terraform = dir.write("terraform", "#!/bin/sh\necho terraform\n");
};

TEST_F(IdentityTest, DefaultWatchListIsTheDocumentedOne) {
  EXPECT_STREQ(default_watch_list(), "v1;p=terraform,tofu,terragrunt,pulumi,cdk,aws;w=sudo,doas,su,pkexec;m=awscli:aws");
}

TEST_F(IdentityTest, WatchedByBasename) {
  const Identity id = identify_ok(terraform, Argv({"terraform", "destroy"}));
  EXPECT_TRUE(id.watched);
  EXPECT_EQ(id.via, Via::name);
  EXPECT_STREQ(id.program, "terraform");
  EXPECT_EQ(id.argv_index, 0);
  EXPECT_EQ(std::string(id.resolved_path), terraform);
}

TEST_F(IdentityTest, NotWatchedProgramIsLeftAlone) {
  const Identity id = identify_ok("/bin/ls", Argv({"ls", "-l"}));
  EXPECT_FALSE(id.watched);
  EXPECT_EQ(id.via, Via::none);
  EXPECT_STREQ(id.program, "");
}

TEST_F(IdentityTest, Argv0IsIgnoredBothWays) {
  // exec -a terraform /bin/true is not terraform ...
  EXPECT_FALSE(identify_ok("/bin/true", Argv({"terraform", "destroy"})).watched);
  // ... and exec -a ls terraform still is.
  EXPECT_TRUE(identify_ok(terraform, Argv({"ls", "destroy"})).watched);
}

TEST_F(IdentityTest, SymlinkChainWithRelativeAndAbsoluteLinks) {
  dir.mkdir("bin");
  dir.mkdir("links");
  dir.symlink("../terraform", "bin/tf-1.9");                   // relative to bin/, not the cwd
  dir.symlink(dir / "bin/tf-1.9", "links/tf");                 // absolute
  const std::string link = dir.symlink("../links/tf", "bin/x");  // relative again
  const Identity id = identify_ok(link, Argv({"x", "destroy"}));
  EXPECT_TRUE(id.watched);
  EXPECT_EQ(id.via, Via::name);
  EXPECT_STREQ(id.program, "terraform");
  EXPECT_TRUE(same_file(id.resolved_path, terraform)) << id.resolved_path;
  EXPECT_EQ(std::string(id.resolved_path).substr(std::string(id.resolved_path).size() - 10), "/terraform");
}

TEST_F(IdentityTest, RelativeLinkResolvesAgainstTheLinksDirectoryNotTheCwd) {
  dir.mkdir("d");
  dir.write("d/pulumi", "x");
  dir.symlink("pulumi", "d/p");
  dir.mkdir("elsewhere");
  dir.symlink("harmless", "elsewhere/pulumi");  // a decoy if the target were read relative to the cwd
  ChangeDir cd(dir.path());
  const Identity id = identify_ok("d/p", Argv({"p"}));
  EXPECT_TRUE(id.watched);
  EXPECT_STREQ(id.program, "pulumi");
  EXPECT_STREQ(id.resolved_path, "d/pulumi");
}

TEST_F(IdentityTest, ProcSelfFdResolvesToTheOpenFile) {
  const int fd = open(terraform.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  const Identity id = identify_ok(proc, Argv({"whatever"}));
  close(fd);
  EXPECT_TRUE(id.watched);
  EXPECT_STREQ(id.program, "terraform");
  EXPECT_EQ(std::string(id.resolved_path), terraform);
}

TEST_F(IdentityTest, SetuidWrappersAreWatchedAsWrappers) {
  const Identity id = identify_ok("/usr/bin/sudo", Argv({"sudo", "terraform", "destroy"}));
  EXPECT_TRUE(id.watched);
  EXPECT_EQ(id.via, Via::wrapper);
  EXPECT_STREQ(id.program, "sudo");
}

TEST_F(IdentityTest, LoaderRunDirectlyIsSeenThrough) {
  const Identity id = identify_ok("/lib64/ld-linux-x86-64.so.2",
                                  Argv({"/lib64/ld-linux-x86-64.so.2", "--library-path", "/opt/lib", "--preload",
                                        "/x.so", "--inhibit-cache", "--argv0", "tf", "--audit", "a.so",
                                        "--glibc-hwcaps-mask", "m", "--glibc-hwcaps-prepend", "p",
                                        "--inhibit-rpath", "r", "--verify", "--list", terraform, "destroy"}));
  EXPECT_TRUE(id.watched);
  EXPECT_EQ(id.via, Via::loader);
  EXPECT_STREQ(id.program, "terraform");
  EXPECT_EQ(id.argv_index, 18);
}

TEST_F(IdentityTest, LoaderRunningAnUnwatchedProgramIsNotWatched) {
  EXPECT_FALSE(identify_ok("/lib64/ld-linux-x86-64.so.2",
                           Argv({"ld.so", "--library-path", terraform, "/bin/true"}))
                   .watched);  // the option value is not the program
  EXPECT_FALSE(identify_ok("/lib64/ld-linux-x86-64.so.2", Argv({"ld.so", "--list"})).watched);
}

TEST_F(IdentityTest, PythonScriptIsIdentifiedByTheScript) {
  const std::string aws = dir.write("aws", "#!/usr/bin/python3\n");
  const Identity id = identify_ok("/usr/bin/python3", Argv({"python3", "-W", "ignore", "-X", "dev", "-u", "-I", aws,
                                                            "s3", "rb", "s3://b"}));
  EXPECT_TRUE(id.watched);
  EXPECT_EQ(id.via, Via::interpreter);
  EXPECT_STREQ(id.program, "aws");
  EXPECT_EQ(id.argv_index, 7);
}

TEST_F(IdentityTest, PythonInlineCodeAndOptionValuesAreNotScripts) {
  const std::string aws = dir.write("aws", "x");
  EXPECT_FALSE(identify_ok("/usr/bin/python3", Argv({"python3", "-c", aws})).watched);
  EXPECT_FALSE(identify_ok("/usr/bin/python3", Argv({"python3", "-Ic", "import os", aws})).watched);
  EXPECT_FALSE(identify_ok("/usr/bin/python3", Argv({"python3", "-W", aws, "/bin/true"})).watched);
  EXPECT_FALSE(identify_ok("/usr/bin/python3", Argv({"python3", "-", aws})).watched);
  EXPECT_TRUE(identify_ok("/usr/bin/python3", Argv({"python3", "--", aws})).watched);
}

TEST_F(IdentityTest, PythonDashMMapsThroughTheModuleMap) {
  Identity id = identify_ok("/usr/bin/python3", Argv({"python3", "-m", "awscli", "s3", "rb"}));
  EXPECT_TRUE(id.watched);
  EXPECT_EQ(id.via, Via::interpreter);
  EXPECT_STREQ(id.program, "aws");
  EXPECT_EQ(id.argv_index, 2);
  id = identify_ok("/usr/bin/python3", Argv({"python3", "-Bmawscli.__main__", "ec2"}));
  EXPECT_TRUE(id.watched);
  EXPECT_STREQ(id.program, "aws");
  EXPECT_EQ(id.argv_index, 1);
  EXPECT_FALSE(identify_ok("/usr/bin/python3", Argv({"python3", "-m", "awscliv2"})).watched);
  EXPECT_FALSE(identify_ok("/usr/bin/python3", Argv({"python3", "-m", "http.server"})).watched);
}

TEST_F(IdentityTest, NodePerlRubyScripts) {
  const std::string cdk = dir.write("cdk", "x");
  Identity id = identify_ok("/usr/bin/node", Argv({"node", "--require", "ts-node/register", "--max-old-space-size=100",
                                                   cdk, "destroy"}));
  EXPECT_TRUE(id.watched);
  EXPECT_STREQ(id.program, "cdk");
  EXPECT_EQ(id.argv_index, 4);
  EXPECT_FALSE(identify_ok("/usr/bin/node", Argv({"node", "-e", "require('child_process')", cdk})).watched);
  EXPECT_FALSE(identify_ok("/usr/bin/node", Argv({"node", "-pe", "1", cdk})).watched);
  EXPECT_TRUE(identify_ok("/usr/bin/perl", Argv({"perl", "-I", "/lib", "-w", "-Mstrict", terraform})).watched);
  EXPECT_FALSE(identify_ok("/usr/bin/perl", Argv({"perl", "-we", "exec q(x)", terraform})).watched);
  EXPECT_TRUE(identify_ok(dir.write("ruby3.1", "x"), Argv({"ruby", "-r", "json", terraform})).watched);
}

TEST_F(IdentityTest, LoaderRunningAnInterpreterRunningAScript) {
  const std::string aws = dir.write("aws", "x");
  const Identity id = identify_ok("/lib64/ld-linux-x86-64.so.2",
                                  Argv({"ld.so", "/usr/bin/python3", "-u", aws, "s3", "ls"}));
  EXPECT_TRUE(id.watched);
  EXPECT_STREQ(id.program, "aws");
  EXPECT_EQ(id.argv_index, 3);
}

TEST_F(IdentityTest, RenamedCopyIsRecognisedByContent) {
  std::string body(20000, 'x');
  body[0] = 'T';
  body[19999] = 'F';
  const std::string original = dir.write("terraform-real", body);
  const std::string copy = dir.write("innocent", body);
  std::uint64_t size = 0;
  std::uint64_t hash = 0;
  ASSERT_TRUE(fingerprint_file(original.c_str(), size, hash));
  char hex[17];
  snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  const std::string list = "v1;p=tofu;f=other:1:0,terraform:" + std::to_string(size) + ":" + hex;
  const Identity id = identify_ok(copy, Argv({"innocent", "destroy"}), list.c_str());
  EXPECT_TRUE(id.watched);
  EXPECT_EQ(id.via, Via::content);
  EXPECT_STREQ(id.program, "terraform");

  std::string changed = body;
  changed[100] = 'y';  // same size, different first 4 KiB
  const std::string impostor = dir.write("impostor", changed);
  EXPECT_FALSE(identify_ok(impostor, Argv({"impostor"}), list.c_str()).watched);
  EXPECT_FALSE(identify_ok(dir.write("short", "abc"), Argv({"short"}), list.c_str()).watched);
}

TEST_F(IdentityTest, CustomAndBrokenWatchLists) {
  // A valid list replaces the default ...
  EXPECT_FALSE(identify_ok(terraform, Argv({"terraform"}), "v1;p=tofu").watched);
  EXPECT_TRUE(identify_ok(dir.write("mytool", "x"), Argv({"mytool"}), "v1;p=tofu,mytool").watched);
  // ... a broken one never means "watch nothing": the default applies.
  EXPECT_TRUE(identify_ok(terraform, Argv({"terraform"}), "garbage").watched);
  EXPECT_TRUE(identify_ok(terraform, Argv({"terraform"}), "v2;p=x").watched);
  EXPECT_TRUE(identify_ok(terraform, Argv({"terraform"}), "").watched);
}

TEST_F(IdentityTest, MissingFileIsStillJudgedByName) {
  const Identity id = identify_ok(dir / "nope/terraform", Argv({"terraform"}));
  EXPECT_TRUE(id.watched);
  Identity none;
  EXPECT_FALSE(identify("", Argv({"x"}).get(), nullptr, none));
  EXPECT_FALSE(identify(nullptr, Argv({"x"}).get(), nullptr, none));
}

TEST_F(IdentityTest, MissingRecordsTheErrnoOfTheFirstReadlinkOnly) {
  // Nothing at the path: the errno execve would give, judged by name in full mode...
  Identity id = identify_ok(dir / "nope/terraform", Argv({"terraform"}));
  EXPECT_EQ(id.missing, ENOENT);
  EXPECT_TRUE(id.watched);
  id = identify_ok(terraform + "/x", Argv({"x"}));
  EXPECT_EQ(id.missing, ENOTDIR);
  // ... and not watched, without looking at the name, in the preload's mode.
  Identity stop;
  EXPECT_TRUE(identify((dir / "terraform-gone/terraform").c_str(), Argv({"terraform"}).get(), nullptr, stop,
                       IdentifyMode::stop_if_missing));
  EXPECT_EQ(stop.missing, ENOENT);
  EXPECT_FALSE(stop.watched);
  // Something is there: a file, a dangling symlink (readlink succeeds; the kernel decides), a loop.
  EXPECT_EQ(identify_ok(terraform, Argv({"terraform"})).missing, 0);
  ASSERT_EQ(symlink((dir / "gone/terraform").c_str(), (dir / "dangling").c_str()), 0);
  id = identify_ok(dir / "dangling", Argv({"dangling"}));
  EXPECT_EQ(id.missing, 0);
  EXPECT_TRUE(id.watched);  // by the link's target name; the preload then checks the file is there
  ASSERT_EQ(symlink("loop", (dir / "loop").c_str()), 0);
  EXPECT_EQ(identify_ok(dir / "loop", Argv({"loop"})).missing, 0);
  Identity empty;
  EXPECT_FALSE(identify("", Argv({"x"}).get(), nullptr, empty));
  EXPECT_EQ(empty.missing, 0);
}

TEST_F(IdentityTest, NullArgvIsSafe) {
  Identity id;
  EXPECT_TRUE(identify("/usr/bin/python3", nullptr, nullptr, id));
  EXPECT_FALSE(id.watched);
}

TEST(ViaNames, AreStable) {
  EXPECT_STREQ(to_string(Via::name), "name");
  EXPECT_STREQ(to_string(Via::content), "content");
  EXPECT_STREQ(to_string(Via::loader), "loader");
  EXPECT_STREQ(to_string(Via::interpreter), "interpreter");
  EXPECT_STREQ(to_string(Via::wrapper), "wrapper");
  EXPECT_STREQ(to_string(Via::none), "none");
}

}  // namespace
}  // namespace agentguard::core
