#include "events/durable_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace agentguard::events {
namespace fs = std::filesystem;

namespace {
std::runtime_error errno_error(const std::string& what, const fs::path& path) {
  return std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

void write_all(int fd, const std::string& content, const fs::path& path) {
  const char* data = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw errno_error("cannot write", path);
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
}
}  // namespace

FileLock::FileLock(const fs::path& lock_file, Mode mode) {
  int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw errno_error("cannot open lock file", lock_file);
  int flags = LOCK_EX | (mode == Mode::try_once ? LOCK_NB : 0);
  while (::flock(fd, flags) != 0) {
    if (errno == EINTR) continue;
    int saved = errno;
    ::close(fd);
    if (saved == EWOULDBLOCK && mode == Mode::try_once) return;  // held by someone else
    errno = saved;
    throw errno_error("cannot lock", lock_file);
  }
  fd_ = fd;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

void fsync_directory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw errno_error("cannot open directory", dir);
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  if (rc != 0) {
    errno = saved;
    throw errno_error("cannot fsync directory", dir);
  }
}

void write_file_durably(const fs::path& path, const std::string& content) {
  fs::path dir = path.parent_path();
  fs::path temp = dir / ("." + path.filename().string() + "." + std::to_string(::getpid()) + ".tmp");
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw errno_error("cannot create", temp);
  try {
    write_all(fd, content, temp);
    if (::fsync(fd) != 0) throw errno_error("cannot fsync", temp);
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    auto error = errno_error("cannot rename into place", path);
    ::unlink(temp.c_str());
    throw error;
  }
  fsync_directory(dir);
}

std::string read_whole_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace agentguard::events
