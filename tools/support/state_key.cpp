#include "support/state_key.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "support/digest.hpp"
#include "support/paths.hpp"

namespace agentguard::state_key {

namespace fs = std::filesystem;

namespace {
constexpr std::size_t kKeyBytes = 32;
}

fs::path file(const fs::path& state_dir) { return state_dir / "keys" / "state.key"; }

fs::path ensure(const fs::path& state_dir) {
  const fs::path key_file = file(state_dir);
  if (load(state_dir)) return key_file;
  std::error_code ec;
  fs::create_directories(key_file.parent_path(), ec);
  ::chmod(key_file.parent_path().c_str(), 0700);
  unsigned char key[kKeyBytes];
  if (RAND_bytes(key, sizeof key) != 1) throw std::runtime_error("cannot make the state key: no randomness");
  // O_EXCL: two sessions starting at once agree on the first key written.
  const fs::path tmp = key_file.string() + "." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
  const bool written = ::write(fd, key, sizeof key) == static_cast<ssize_t>(sizeof key) && ::fsync(fd) == 0;
  ::close(fd);
  OPENSSL_cleanse(key, sizeof key);
  if (!written || ::link(tmp.c_str(), key_file.c_str()) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    if (error != EEXIST && written) throw std::runtime_error("cannot create " + key_file.string() + ": " + std::strerror(error));
    if (!written) throw std::runtime_error("cannot write " + tmp.string());
  } else {
    ::unlink(tmp.c_str());
  }
  if (!load(state_dir)) throw std::runtime_error("cannot read back the state key " + key_file.string());
  return key_file;
}

std::optional<std::string> load(const fs::path& state_dir) {
  const int fd = ::open(file(state_dir).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::string key(kKeyBytes, '\0');
  const bool ok = ::fstat(fd, &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & 077) == 0 &&
                  st.st_size == static_cast<off_t>(kKeyBytes) &&
                  ::read(fd, key.data(), kKeyBytes) == static_cast<ssize_t>(kKeyBytes);
  ::close(fd);
  if (!ok) return std::nullopt;
  return key;
}

const std::optional<std::string>& current() {
  static const std::optional<std::string> key = [] {
    try {
      return load(paths::state_dir());
    } catch (const std::exception&) {
      return std::optional<std::string>();
    }
  }();
  return key;
}

std::string hmac_hex(std::string_view key, std::string_view data) { return digest::hmac_sha256_hex(key, data); }

bool same_mac(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace agentguard::state_key
