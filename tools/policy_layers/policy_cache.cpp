#include "policy_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "core/http/api_decide.hpp"
#include "support/digest.hpp"
#include "support/paths.hpp"
#include "support/state_key.hpp"

#ifndef AGENTGUARD_VERSION
#error "AGENTGUARD_VERSION must be defined (tools/CMakeLists.txt)"
#endif

namespace agentguard::policy_cache {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxSnapshotBytes = 16u << 20;
constexpr std::size_t kKeepSnapshots = 32;

const std::string& header_line() {
  static const std::string line = "agentguard-policy-snapshot " + std::to_string(policy::kPolicySnapshotFormat) + "\n";
  return line;
}

// The whole file, if it is a regular file of `owner` that nobody else can write and not absurdly large.
std::optional<std::string> read_file_of(const fs::path& file, uid_t owner) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == owner && (st.st_mode & 022) == 0 &&
      static_cast<std::size_t>(st.st_size) <= kMaxSnapshotBytes) {
    std::string data(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < data.size()) {
      const ssize_t n = ::read(fd, data.data() + got, data.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got == data.size()) out = std::move(data);
  }
  ::close(fd);
  return out;
}

std::optional<std::string> read_own_file(const fs::path& file) { return read_file_of(file, ::geteuid()); }

// `image` into `file` with `mode`, atomically (a temporary file, then rename). False if it could not.
bool replace_file(const fs::path& file, const std::string& image, mode_t mode) {
  const fs::path tmp = file.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return false;
  std::size_t done = 0;
  while (done < image.size()) {
    const ssize_t n = ::write(fd, image.data() + done, image.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  const bool written = done == image.size() && ::fchmod(fd, mode) == 0;  // whatever the umask
  if (::close(fd) != 0 || !written || ::rename(tmp.c_str(), file.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

// Keeps the newest kKeepSnapshots files of one kind (each policy edit makes a new one).
void prune(const fs::path& dir, std::string_view extension) {
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> snaps;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != extension) continue;
    const auto when = entry.last_write_time(ec);
    if (!ec) snaps.emplace_back(when, entry.path());
  }
  if (snaps.size() <= kKeepSnapshots) return;
  std::sort(snaps.begin(), snaps.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = kKeepSnapshots; i < snaps.size(); ++i) fs::remove(snaps[i].second, ec);
}

}  // namespace

std::string key_for(const policy::LoadOptions& options, const std::vector<policy::LayerText>& layers) {
  digest::FieldHash key;
  key.field(header_line()).field(AGENTGUARD_VERSION).field(std::to_string(AGENTGUARD_POLICY_SCHEMA));
  key.field(options.builtin_default ? "builtin" : "no-builtin");
  if (options.builtin_default) key.field(policy::default_policy_sha256());
  for (const auto& layer : layers) key.field(layer.file).field(layer.text).field(layer.project ? "project" : "layer");
  return key.hex();
}

fs::path directory() { return paths::state_dir() / "policy-cache"; }

fs::path file_for(const std::string& key) { return directory() / (key + ".snap"); }

// The payload's check line: an HMAC-SHA256 under the state key (common/state_key.hpp) when this
// state directory has one, so a snapshot written by anyone without the key (a guarded process
// cannot read it) is never used; a plain SHA-256 where no session ever made a key.
// The vouched cache is checked with the SHA-256 only (keyed = false): its owner is its warrant.
std::string check_line(const std::string& key, const std::string& payload, bool keyed = true) {
  if (const auto& secret = state_key::current(); secret && keyed) return state_key::hmac_hex(*secret, key + "\n" + payload);
  return digest::sha256_hex(payload);
}

namespace {

std::string frame_with(const std::string& key, const std::string& payload, bool keyed) {
  return header_line() + key + "\n" + check_line(key, payload, keyed) + "\n" + payload;
}

std::optional<std::string> unframe_with(const std::string& key, const std::string& image, bool keyed) {
  const std::string& header = header_line();
  // header, key, '\n', 64 hex digits, '\n'
  const std::size_t payload_at = header.size() + key.size() + 1 + 64 + 1;
  if (image.size() < payload_at || image.compare(0, header.size(), header) != 0 ||
      image.compare(header.size(), key.size(), key) != 0 || image[header.size() + key.size()] != '\n' ||
      image[payload_at - 1] != '\n')
    return std::nullopt;
  std::string payload = image.substr(payload_at);
  if (!state_key::same_mac(std::string_view(image).substr(header.size() + key.size() + 1, 64),
                           check_line(key, payload, keyed)))
    return std::nullopt;
  return payload;
}

}  // namespace

std::string frame(const std::string& key, const std::string& payload) { return frame_with(key, payload, true); }

std::optional<std::string> unframe(const std::string& key, const std::string& image) {
  return unframe_with(key, image, true);
}

std::optional<policy::Policy> read(const std::string& key, const std::vector<policy::LayerText>& layers) {
  try {
    const auto image = read_own_file(file_for(key));
    if (!image) return std::nullopt;
    const auto payload = unframe(key, *image);
    if (!payload) return std::nullopt;
    return policy::Policy::from_snapshot(*payload, layers);
  } catch (const std::exception&) {
    return std::nullopt;  // SnapshotError, or anything else: parse the TOML instead
  }
}

namespace {

// `image` into `file` atomically (a temporary file, then rename), then prunes that kind of file.
bool write_image(const fs::path& file, const std::string& image) {
  const fs::path dir = directory();
  fs::create_directories(paths::ensure_state_dir() / "policy-cache");
  ::chmod(dir.c_str(), 0700);
  if (!replace_file(file, image, 0600)) return false;
  prune(dir, file.extension().string());
  return true;
}

// The compiled API rules are framed under their own key, so a snapshot's bytes can never pass for
// a blob (or the other way round) even though both carry the same policy key.
std::string api_rules_key(const std::string& key) { return key + ":api-rules"; }

}  // namespace

bool write(const std::string& key, const policy::Policy& policy) noexcept {
  try {
    return write_image(file_for(key), frame(key, policy.to_snapshot()));
  } catch (const std::exception&) {
    return false;
  }
}

fs::path api_rules_file_for(const std::string& key) { return directory() / (key + ".api-rules"); }

std::optional<std::string> read_api_rules(const std::string& key) {
  try {
    const auto image = read_own_file(api_rules_file_for(key));
    if (!image) return std::nullopt;
    return unframe(api_rules_key(key), *image);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool write_api_rules(const std::string& key, const std::string& compiled) noexcept {
  try {
    return write_image(api_rules_file_for(key), frame(api_rules_key(key), compiled));
  } catch (const std::exception&) {
    return false;
  }
}

fs::path vouched_directory(const fs::path& service_state_dir, uid_t uid) {
  return service_state_dir / "policy-cache" / std::to_string(uid);
}

namespace {

// `dir` and its parent belong to `owner` and nobody else may write them: nobody else could have
// put or swapped a file there.
bool kept_by(const fs::path& dir, uid_t owner) {
  for (const fs::path& d : {dir, dir.parent_path()}) {
    struct stat st {};
    if (::lstat(d.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != owner || (st.st_mode & 022) != 0)
      return false;
  }
  return true;
}

// `image` into `file`, world-readable.
void publish(const fs::path& file, const std::string& image) {
  if (!replace_file(file, image, 0644)) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace

std::optional<policy::Policy> read_vouched(const fs::path& dir, uid_t owner, const std::string& key,
                                           const std::vector<policy::LayerText>& layers) {
  try {
    if (!kept_by(dir, owner)) return std::nullopt;
    const auto image = read_file_of(dir / (key + ".snap"), owner);
    if (!image) return std::nullopt;
    const auto payload = unframe_with(key, *image, false);
    if (!payload) return std::nullopt;
    return policy::Policy::from_snapshot(*payload, layers);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<fs::path> vouched_api_rules(const fs::path& dir, uid_t owner, const std::string& key) {
  if (!kept_by(dir, owner)) return std::nullopt;
  const fs::path file = dir / (key + ".api-rules");
  const auto blob = read_file_of(file, owner);
  if (!blob || !core::http::api_rules_valid(blob->data(), blob->size())) return std::nullopt;
  return file;
}

void write_vouched(const fs::path& dir, const std::string& key, const policy::Policy& policy,
                   const std::string& compiled_api_rules) {
  fs::create_directories(dir);
  ::chmod(dir.parent_path().c_str(), 0755);
  // Searchable, not listable: the files are named by the hash of the texts they were made from.
  ::chmod(dir.c_str(), 0711);
  publish(dir / (key + ".api-rules"), compiled_api_rules);
  publish(dir / (key + ".snap"), frame_with(key, policy.to_snapshot(), false));
}

}  // namespace agentguard::policy_cache
