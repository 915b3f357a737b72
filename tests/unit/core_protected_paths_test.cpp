// The protected-paths table (core/files/protected_paths.hpp) and the physical resolution the preload
// feeds it (core/base/physical_path.hpp), against real directories, symlinks and file descriptors.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/base/physical_path.hpp"
#include "core/files/protected_paths.hpp"
#include "core_test_support.hpp"

namespace agentguard::core {
namespace {

using testing::ChangeDir;
using testing::ScratchDir;

Protection match(const ProtectedPaths& table, const std::string& path) {
  return table.match(path.c_str(), path.size());
}

Protection builtin(const std::string& path) {
  static const ProtectedPaths table;
  return match(table, path);
}

TEST(ProtectedPaths, TerraformStateFilesByName) {
  EXPECT_EQ(builtin("/w/terraform.tfstate"), Protection::terraform_state);
  EXPECT_EQ(builtin("/w/prod.tfstate"), Protection::terraform_state);
  EXPECT_EQ(builtin("/w/errored.tfstate"), Protection::terraform_state);
  EXPECT_EQ(builtin("/w/.tfstate"), Protection::terraform_state);
  EXPECT_EQ(builtin("/w/.terraform/terraform.tfstate"), Protection::terraform_state);  // the backend record
  EXPECT_EQ(builtin("/w/terraform.tfstate.backup"), Protection::terraform_backup);
  EXPECT_EQ(builtin("/w/prod.tfstate.backup"), Protection::terraform_backup);
  // What `terraform state rm/mv` writes before changing local state.
  EXPECT_EQ(builtin("/w/terraform.tfstate.1764720000.backup"), Protection::terraform_backup);
}

TEST(ProtectedPaths, OtherNamesAreNotProtected) {
  for (const char* path : {"/w/main.tf", "/w/s.json", "/w/terraform.tfstate.json", "/w/tfstate", "/w/x.tfstatex",
                           "/w/terraform.tfvars", "/w/.terraform.lock.hcl", "/w/.terraform.tfstate.lock.info",
                           "/w/notes.backup", "/w/terraform.tfstate.d.txt", "/w/terraform.tfstate.dd/x",
                           "/w/my-terraform.tfstate.d/x", "/", "/w/tfstate.backup"}) {
    EXPECT_EQ(builtin(path), Protection::none) << path;
  }
}

TEST(ProtectedPaths, WorkspaceDirectoryAndEverythingUnderIt) {
  EXPECT_EQ(builtin("/w/terraform.tfstate.d"), Protection::terraform_workspaces);
  EXPECT_EQ(builtin("/w/terraform.tfstate.d/other"), Protection::terraform_workspaces);
  EXPECT_EQ(builtin("/w/terraform.tfstate.d/other/notes.txt"), Protection::terraform_workspaces);
  EXPECT_EQ(builtin("/terraform.tfstate.d/a/b/c"), Protection::terraform_workspaces);
  // A state file in a workspace is protected by its name first.
  EXPECT_EQ(builtin("/w/terraform.tfstate.d/other/terraform.tfstate"), Protection::terraform_state);
}

TEST(ProtectedPaths, PrefixesAddedLater) {
  ProtectedPaths table;
  const std::string state = "/home/u/.local/state/agentguard";
  const std::string secret = "/etc/agentguard/webhook.secret";
  ASSERT_TRUE(table.add_prefix(state.c_str(), state.size()));
  ASSERT_TRUE(table.add_prefix(secret.c_str(), secret.size()));
  EXPECT_EQ(table.prefix_count(), 2U);
  EXPECT_EQ(match(table, state), Protection::guard_file);
  EXPECT_EQ(match(table, state + "/audit.jsonl"), Protection::guard_file);
  EXPECT_EQ(match(table, state + "/approvals/x.response.json"), Protection::guard_file);
  EXPECT_EQ(match(table, secret), Protection::guard_file);
  EXPECT_EQ(match(table, state + "-other/x"), Protection::none);  // a prefix is whole components
  EXPECT_EQ(match(table, "/home/u/.local/state"), Protection::none);
  EXPECT_EQ(match(table, secret + ".bak"), Protection::none);
  // Built-in patterns still come first.
  EXPECT_EQ(match(table, state + "/terraform.tfstate"), Protection::terraform_state);
}

TEST(ProtectedPaths, PrefixesMustBeAbsoluteAndNormalised) {
  ProtectedPaths table;
  for (const char* bad : {"relative/dir", "/", "/a//b", "/a/./b", "/a/../b", "/a/b/", "/a/.", "/a/.."}) {
    EXPECT_FALSE(table.add_prefix(bad, std::strlen(bad))) << bad;
  }
  EXPECT_FALSE(table.add_prefix(nullptr, 0));
  EXPECT_EQ(table.prefix_count(), 0U);
  const char* ok = "/srv/agentguard";
  for (std::size_t i = 0; i < ProtectedPaths::kMaxPrefixes; ++i) EXPECT_TRUE(table.add_prefix(ok, std::strlen(ok)));
  EXPECT_FALSE(table.add_prefix(ok, std::strlen(ok)));  // full: refused, not silently dropped
}

TEST(ProtectedPaths, NameQuickCheck) {
  EXPECT_EQ(protected_name("terraform.tfstate", 17), Protection::terraform_state);
  EXPECT_EQ(protected_name("terraform.tfstate.backup", 24), Protection::terraform_backup);
  EXPECT_EQ(protected_name("main.tf", 7), Protection::none);
  EXPECT_EQ(protected_name("terraform.tfstate.backupX", 24), Protection::terraform_backup);  // counted slice
  EXPECT_EQ(protected_name("", 0), Protection::none);
}

TEST(ProtectedPaths, GlobOnNames) {
  auto glob = [](const char* pattern, const char* name) { return glob_match_name(pattern, name, std::strlen(name)); };
  EXPECT_TRUE(glob("*.tfstate", "a.tfstate"));
  EXPECT_TRUE(glob("*.tfstate", ".tfstate"));
  EXPECT_FALSE(glob("*.tfstate", "a.tfstate.x"));
  EXPECT_TRUE(glob("*.tfstate.*.backup", "terraform.tfstate.17.backup"));
  EXPECT_TRUE(glob("*.tfstate.*.backup", "a.tfstate.tfstate..backup"));
  EXPECT_FALSE(glob("*.tfstate.*.backup", "terraform.tfstate.backup"));
  EXPECT_TRUE(glob("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(glob("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(glob("*", ""));
  EXPECT_FALSE(glob("x", ""));
}

TEST(ProtectedPaths, EveryProtectionHasARuleAndAReason) {
  for (Protection p : {Protection::terraform_state, Protection::terraform_backup, Protection::terraform_workspaces,
                       Protection::guard_file}) {
    EXPECT_NE(std::string(protection_rule_id(p)), "");
    EXPECT_NE(std::string(protection_reason(p)), "");
    EXPECT_NE(std::string(protection_advice(p)), "");
  }
  EXPECT_EQ(std::string(protection_rule_id(Protection::none)), "");
}

// --- physical resolution ---

std::string resolved(int dirfd, const char* path, FinalLink link, DirectoryPart part) {
  char out[kPhysicalPathMax];
  std::size_t len = 0;
  if (!resolve_physical(dirfd, path, link, part, out, sizeof out, &len)) return "<unresolved>";
  EXPECT_EQ(len, std::strlen(out));
  return std::string(out, len);
}

// Where the two modes agree (no symlinked directory in the path), both are checked.
std::string physical(int dirfd, const char* path, FinalLink link) {
  const std::string exact = resolved(dirfd, path, link, DirectoryPart::physical);
  EXPECT_EQ(resolved(dirfd, path, link, DirectoryPart::lexical), exact) << (path ? path : "(null)");
  return exact;
}

std::string real(const std::string& path) {
  char buf[4096];
  return realpath(path.c_str(), buf) != nullptr ? buf : path;
}

TEST(PhysicalPath, BareNameAgainstTheWorkingDirectory) {
  ScratchDir dir;
  const std::string root = real(dir.path());
  ChangeDir in(root);
  EXPECT_EQ(physical(AT_FDCWD, "terraform.tfstate", FinalLink::keep), root + "/terraform.tfstate");
  EXPECT_EQ(physical(AT_FDCWD, "new-file", FinalLink::follow), root + "/new-file");  // need not exist
  EXPECT_EQ(physical(AT_FDCWD, ".", FinalLink::keep), root);
  EXPECT_EQ(physical(AT_FDCWD, "..", FinalLink::keep), root.substr(0, root.rfind('/')));
}

TEST(PhysicalPath, DirectoryPartThroughSymlinksOnlyWhenPhysical) {
  ScratchDir dir;
  const std::string root = real(dir.path());
  dir.mkdir("terraform.tfstate.d");
  dir.mkdir("terraform.tfstate.d/other");
  dir.mkdir("elsewhere");
  dir.symlink(root + "/terraform.tfstate.d", "ws");
  const std::string through_link = root + "/ws/other/notes";
  const std::string back_and_through = root + "/elsewhere/../ws/other";
  EXPECT_EQ(resolved(AT_FDCWD, through_link.c_str(), FinalLink::keep, DirectoryPart::physical),
            root + "/terraform.tfstate.d/other/notes");
  EXPECT_EQ(resolved(AT_FDCWD, back_and_through.c_str(), FinalLink::keep, DirectoryPart::physical),
            root + "/terraform.tfstate.d/other");
  // Lexical: the text, with . and .. applied; the symlinked directory is not seen through.
  EXPECT_EQ(resolved(AT_FDCWD, through_link.c_str(), FinalLink::keep, DirectoryPart::lexical), through_link);
  EXPECT_EQ(resolved(AT_FDCWD, back_and_through.c_str(), FinalLink::keep, DirectoryPart::lexical),
            root + "/ws/other");
  EXPECT_EQ(resolved(AT_FDCWD, "no-such-dir/x", FinalLink::keep, DirectoryPart::lexical).substr(0, 1), "/");
  ChangeDir in(root + "/terraform.tfstate.d/other");
  EXPECT_EQ(physical(AT_FDCWD, "x", FinalLink::keep), root + "/terraform.tfstate.d/other/x");
  EXPECT_EQ(physical(AT_FDCWD, "../other/", FinalLink::keep), root + "/terraform.tfstate.d/other");
  EXPECT_EQ(physical(AT_FDCWD, "/", FinalLink::keep), "/");
}

TEST(PhysicalPath, DirectoryFileDescriptor) {
  ScratchDir dir;
  const std::string root = real(dir.path());
  dir.mkdir("terraform.tfstate.d");
  dir.mkdir("terraform.tfstate.d/other");
  const int fd = open((root + "/terraform.tfstate.d/other").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(physical(fd, "terraform.tfstate", FinalLink::keep), root + "/terraform.tfstate.d/other/terraform.tfstate");
  // sub does not exist: the call fails too, and only the physical mode notices.
  EXPECT_EQ(resolved(fd, "sub/file", FinalLink::keep, DirectoryPart::physical), "<unresolved>");
  EXPECT_EQ(resolved(fd, "sub/file", FinalLink::keep, DirectoryPart::lexical),
            root + "/terraform.tfstate.d/other/sub/file");
  EXPECT_EQ(resolved(fd, "/abs/olute", FinalLink::keep, DirectoryPart::physical), "<unresolved>");
  EXPECT_EQ(resolved(fd, "/abs/olute", FinalLink::keep, DirectoryPart::lexical), "/abs/olute");
  char out[kPhysicalPathMax];
  std::size_t len = 0;
  ASSERT_TRUE(resolve_fd(fd, out, sizeof out, &len));
  EXPECT_EQ(std::string(out, len), root + "/terraform.tfstate.d/other");
  close(fd);
  EXPECT_EQ(physical(fd, "x", FinalLink::keep), "<unresolved>");  // a closed fd: EBADF from the call itself
}

TEST(PhysicalPath, FinalSymlinkFollowedOnlyWhenTheCallFollows) {
  ScratchDir dir;
  const std::string root = real(dir.path());
  dir.write("terraform.tfstate", "{}");
  dir.mkdir("sub");
  dir.symlink("terraform.tfstate", "alias");          // relative target
  dir.symlink("../alias", "sub/chain");               // a chain, through ..
  dir.symlink(root + "/terraform.tfstate", "absolute");
  dir.symlink("missing-target.tfstate", "dangling");  // O_CREAT would create the target
  ChangeDir in(root);
  EXPECT_EQ(physical(AT_FDCWD, "alias", FinalLink::follow), root + "/terraform.tfstate");
  EXPECT_EQ(physical(AT_FDCWD, "alias", FinalLink::keep), root + "/alias");
  EXPECT_EQ(physical(AT_FDCWD, "sub/chain", FinalLink::follow), root + "/terraform.tfstate");
  EXPECT_EQ(physical(AT_FDCWD, "absolute", FinalLink::follow), root + "/terraform.tfstate");
  EXPECT_EQ(physical(AT_FDCWD, "dangling", FinalLink::follow), root + "/missing-target.tfstate");
}

TEST(PhysicalPath, ProcSelfFdIsFollowedToTheFile) {
  ScratchDir dir;
  const std::string root = real(dir.path());
  const std::string state = dir.write("terraform.tfstate", "{}", 0644);
  const int fd = open(state.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  EXPECT_EQ(physical(AT_FDCWD, link.c_str(), FinalLink::follow), root + "/terraform.tfstate");
  close(fd);
}

TEST(PhysicalPath, SymlinkLoopAndBadInput) {
  ScratchDir dir;
  dir.symlink("b", "a");
  dir.symlink("a", "b");
  ChangeDir in(dir.path());
  EXPECT_EQ(physical(AT_FDCWD, "a", FinalLink::follow), "<unresolved>");
  EXPECT_EQ(physical(AT_FDCWD, "", FinalLink::keep), "<unresolved>");
  EXPECT_EQ(physical(AT_FDCWD, nullptr, FinalLink::keep), "<unresolved>");
  EXPECT_EQ(resolved(AT_FDCWD, "no-such-dir/x", FinalLink::keep, DirectoryPart::physical), "<unresolved>");
  char small[8];
  std::size_t len = 0;
  EXPECT_FALSE(resolve_physical(AT_FDCWD, "a-long-name", FinalLink::keep, DirectoryPart::lexical, small, sizeof small,
                                &len));
}

TEST(PhysicalPath, LeavesErrnoAlone) {
  ScratchDir dir;
  ChangeDir in(dir.path());
  errno = 4242;
  for (DirectoryPart part : {DirectoryPart::lexical, DirectoryPart::physical}) {
    (void)resolved(AT_FDCWD, "no-such-dir/x", FinalLink::follow, part);
    (void)resolved(AT_FDCWD, "file", FinalLink::follow, part);
    (void)resolved(987, "file", FinalLink::keep, part);
  }
  EXPECT_EQ(errno, 4242);
}

}  // namespace
}  // namespace agentguard::core
