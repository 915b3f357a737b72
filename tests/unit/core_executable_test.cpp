// What a launched file is, read from the file: dynamic, static, script; and Go build info.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "core/launch/executable.hpp"
#include "core/launch/fingerprint.hpp"
#include "core/launch/identity.hpp"
#include "core_test_support.hpp"

namespace agentguard::core {
namespace {

using testing::ScratchDir;

std::string which(const char* name) {
  for (const char* dir : {"/usr/local/bin", "/usr/bin", "/bin"}) {
    const std::string p = std::string(dir) + "/" + name;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

// A blob as Go 1.18+ writes it: 32-byte header, varint-prefixed version and module info (with
// its 16-byte sentinels).
std::string blob(const std::string& version, const std::string& modinfo, unsigned char flags = 2) {
  std::string b = "\xff Go buildinf:";
  b += static_cast<char>(8);
  b += static_cast<char>(flags);
  b.resize(32, '\0');
  b += static_cast<char>(version.size());
  b += version;
  const std::string framed = std::string(16, 'S') + modinfo + std::string(16, 'E');
  b += static_cast<char>(0x80 | (framed.size() & 0x7f));
  b += static_cast<char>(framed.size() >> 7);
  b += framed;
  return b;
}

TEST(GoBuildInfo, ReadsTheMainPackagePath) {
  const std::string b = blob("go1.23.3", "path\tgithub.com/hashicorp/terraform\nmod\tgithub.com/hashicorp/terraform\t(devel)\t\n"
                                         "dep\tgithub.com/agext/levenshtein\tv1.2.3\th1:x=\n" + std::string(200, 'd'));
  char path[256];
  ASSERT_TRUE(go_main_package(reinterpret_cast<const unsigned char*>(b.data()), b.size(), path, sizeof path));
  EXPECT_STREQ(path, "github.com/hashicorp/terraform");
  EXPECT_STREQ(program_for_go_package(path), "terraform");
}

TEST(GoBuildInfo, RefusesWhatItCannotReadWithCertainty) {
  char path[256];
  const std::string old_format = blob("go1.17", "path\tgithub.com/hashicorp/terraform\n", 0);
  EXPECT_FALSE(go_main_package(reinterpret_cast<const unsigned char*>(old_format.data()), old_format.size(), path, sizeof path));
  const std::string b = blob("go1.23.3", "path\tgithub.com/hashicorp/terraform\nmod\tx\n");
  // Cut inside the path line: not matched rather than guessed.
  EXPECT_FALSE(go_main_package(reinterpret_cast<const unsigned char*>(b.data()), 32 + 10 + 2 + 16 + 12, path, sizeof path));
  EXPECT_FALSE(go_main_package(reinterpret_cast<const unsigned char*>("not a blob at all, not a blob at all"), 36, path, sizeof path));
  EXPECT_EQ(program_for_go_package("github.com/hashicorp/terraform-provider-aws"), nullptr);
  EXPECT_EQ(program_for_go_package("github.com/hashicorp/terraform/extra"), nullptr);
  EXPECT_STREQ(program_for_go_package("github.com/opentofu/opentofu/cmd/tofu"), "tofu");
  EXPECT_STREQ(program_for_go_package("github.com/gruntwork-io/terragrunt"), "terragrunt");
  EXPECT_STREQ(program_for_go_package("github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"), "pulumi");
}

TEST(ExecutableKind, DynamicStaticAndScripts) {
  ScratchDir dir;
  ExecutableFacts facts;
  ASSERT_TRUE(examine_executable("/bin/sh", facts));
  EXPECT_EQ(facts.kind, ExecutableKind::dynamic_elf);
  const std::string busybox = which("busybox");
  if (!busybox.empty()) {
    ASSERT_TRUE(examine_executable(busybox.c_str(), facts));
    EXPECT_EQ(facts.kind, ExecutableKind::static_elf);
    EXPECT_STREQ(facts.go_program, "");
  }
  const std::string script = dir.write("shim", "#!/usr/bin/env bash\nexec python3 \"$@\"\n");
  ASSERT_TRUE(examine_executable(script.c_str(), facts));
  EXPECT_EQ(facts.kind, ExecutableKind::script);
  std::uint64_t size = 0, hash = 0;
  EXPECT_FALSE(fingerprint_file(script.c_str(), size, hash)) << "a script has no content fingerprint";
  EXPECT_FALSE(examine_executable((dir / "missing").c_str(), facts));
  ASSERT_TRUE(examine_executable(dir.path().c_str(), facts));
  EXPECT_EQ(facts.kind, ExecutableKind::other);
}

class RealTerraform : public ::testing::Test {
 protected:
  void SetUp() override {
    terraform = which("terraform");
    if (terraform.empty()) GTEST_SKIP() << "terraform is not installed";
  }
  std::string terraform;
  ScratchDir dir;
};

TEST_F(RealTerraform, IsRecognisedByItsBuildInfo) {
  ExecutableFacts facts;
  ASSERT_TRUE(examine_executable(terraform.c_str(), facts));
  EXPECT_EQ(facts.kind, ExecutableKind::static_elf);
  EXPECT_STREQ(facts.go_program, "terraform");
}

TEST_F(RealTerraform, AModifiedCopyUnderAnotherNameIsTerraform) {
  const std::string copy = dir / "cleanup-tool";
  ASSERT_EQ(std::system(("cp '" + terraform + "' '" + copy + "' && printf x >> '" + copy + "'").c_str()), 0);
  const char* argv[] = {"cleanup-tool", "destroy", nullptr};
  Identity id;
  ASSERT_TRUE(identify(copy.c_str(), argv, nullptr, id));
  EXPECT_TRUE(id.watched);
  EXPECT_EQ(id.via, Via::build_info);
  EXPECT_STREQ(id.program, "terraform");
  // Not watched when the policy does not watch terraform at all.
  ASSERT_TRUE(identify(copy.c_str(), argv, "v1;p=aws", id));
  EXPECT_FALSE(id.watched);
  EXPECT_TRUE(id.needs_supervision) << "still a static executable";
}

TEST_F(RealTerraform, AVersionManagerSymlinkIsTerraform) {
  const std::string versions = dir.mkdir(".terraform.versions");
  ASSERT_EQ(std::system(("cp '" + terraform + "' '" + versions + "/terraform_1.6.0'").c_str()), 0);
  const std::string bin = dir.mkdir("bin");
  ASSERT_EQ(symlink((versions + "/terraform_1.6.0").c_str(), (bin + "/tf").c_str()), 0);
  const char* argv[] = {"tf", "destroy", nullptr};
  Identity id;
  ASSERT_TRUE(identify((bin + "/tf").c_str(), argv, nullptr, id));
  EXPECT_TRUE(id.watched);
  EXPECT_STREQ(id.program, "terraform");
  EXPECT_EQ(std::string(id.resolved_path), versions + "/terraform_1.6.0");
}

TEST_F(RealTerraform, TheCacheFollowsTheFile) {
  // Same path, new content (a new mtime and size): examined again, not answered from the cache.
  const std::string path = dir / "tool";
  ASSERT_EQ(std::system(("cp '" + terraform + "' '" + path + "'").c_str()), 0);
  ExecutableFacts facts;
  ASSERT_TRUE(examine_executable(path.c_str(), facts));
  EXPECT_STREQ(facts.go_program, "terraform");
  ASSERT_EQ(std::system(("cp /bin/sh '" + path + ".new' && mv '" + path + ".new' '" + path + "'").c_str()), 0);
  ASSERT_TRUE(examine_executable(path.c_str(), facts));
  EXPECT_EQ(facts.kind, ExecutableKind::dynamic_elf);
  EXPECT_STREQ(facts.go_program, "");
}

}  // namespace
}  // namespace agentguard::core
