#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "core/launch/fingerprint.hpp"
#include "core_test_support.hpp"

namespace agentguard::core {
namespace {

using testing::ScratchDir;

// An independent FNV-1a over the documented byte sequence: first 4 KiB, then last 4 KiB.
std::uint64_t expected_hash(const std::string& body) {
  const std::size_t window = body.size() < 4096 ? body.size() : 4096;
  const std::string bytes = body.substr(0, window) + body.substr(body.size() - window);
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

TEST(Fingerprint, SmallFileHashesEverythingTwice) {
  ScratchDir dir;
  const std::string body = "hello, terraform";
  const std::string path = dir.write("small", body);
  std::uint64_t size = 0;
  std::uint64_t hash = 0;
  ASSERT_TRUE(fingerprint_file(path.c_str(), size, hash));
  EXPECT_EQ(size, body.size());
  EXPECT_EQ(hash, expected_hash(body));
}

TEST(Fingerprint, LargeFileUsesOnlyHeadAndTail) {
  ScratchDir dir;
  std::string body(100000, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 31 % 251);
  const std::string path = dir.write("big", body);
  std::uint64_t size = 0;
  std::uint64_t hash = 0;
  ASSERT_TRUE(fingerprint_file(path.c_str(), size, hash));
  EXPECT_EQ(size, 100000U);
  EXPECT_EQ(hash, expected_hash(body));

  std::string middle_changed = body;
  middle_changed[50000] ^= 1;
  std::uint64_t hash_middle = 0;
  ASSERT_TRUE(fingerprint_file(dir.write("mid", middle_changed).c_str(), size, hash_middle));
  EXPECT_EQ(hash_middle, hash);  // by design: only the edges count

  std::string tail_changed = body;
  tail_changed[99999] ^= 1;
  std::uint64_t hash_tail = 0;
  ASSERT_TRUE(fingerprint_file(dir.write("tail", tail_changed).c_str(), size, hash_tail));
  EXPECT_NE(hash_tail, hash);
}

TEST(Fingerprint, FdVariantMatchesAndFailuresAreReported) {
  ScratchDir dir;
  const std::string body(5000, 'q');
  const std::string path = dir.write("f", body);
  const int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  std::uint64_t hash = 0;
  EXPECT_TRUE(fingerprint_fd(fd, body.size(), hash));
  EXPECT_EQ(hash, expected_hash(body));
  std::uint64_t ignored = 0;
  EXPECT_FALSE(fingerprint_fd(fd, body.size() + 10000, ignored));  // claims more than the file has
  close(fd);

  std::uint64_t size = 0;
  EXPECT_FALSE(fingerprint_file((dir / "missing").c_str(), size, hash));
  EXPECT_FALSE(fingerprint_file(dir.path().c_str(), size, hash));  // a directory
}

}  // namespace
}  // namespace agentguard::core
