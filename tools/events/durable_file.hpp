#pragma once
// Small POSIX helpers for files that must survive a crash and many concurrent writers:
// an flock()-based lock, and "write to temp, fsync, rename, fsync the directory".
#include <filesystem>
#include <string>

namespace agentguard::events {

// An exclusive flock() on a lock file, released when destroyed. The file is created if needed.
class FileLock {
 public:
  enum class Mode { wait, try_once };
  FileLock(const std::filesystem::path& lock_file, Mode mode = Mode::wait);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Writes content to <path> atomically and durably: temp file in the same directory, fsync,
// rename over <path>, fsync the directory. Throws std::runtime_error with the reason.
void write_file_durably(const std::filesystem::path& path, const std::string& content);

// fsync() a directory so that a rename or a new entry in it survives a crash.
void fsync_directory(const std::filesystem::path& dir);

// Whole file as a string; throws std::runtime_error when it cannot be read.
std::string read_whole_file(const std::filesystem::path& path);

}  // namespace agentguard::events
