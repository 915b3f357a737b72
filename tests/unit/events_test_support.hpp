#pragma once
// Shared by the events_* and notify_* unit tests: a private state directory per test.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace agentguard::testing {

class TempStateDir {
 public:
  TempStateDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "agentguard-events-test-XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    if (!made) throw std::runtime_error("mkdtemp failed");
    path_ = made;
    const char* old = std::getenv("AGENTGUARD_STATE_DIR");
    had_old_ = old != nullptr;
    if (old) old_ = old;
    ::setenv("AGENTGUARD_STATE_DIR", path_.c_str(), 1);
  }
  ~TempStateDir() {
    if (had_old_)
      ::setenv("AGENTGUARD_STATE_DIR", old_.c_str(), 1);
    else
      ::unsetenv("AGENTGUARD_STATE_DIR");
    // A notifier woken by report() may still be creating lock files in here; it gives up once the
    // directory is gone, so keep removing until it is.
    for (int attempt = 0; attempt < 100 && std::filesystem::exists(path_); ++attempt) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
      if (std::filesystem::exists(path_)) ::usleep(20000);
    }
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::string old_;
  bool had_old_ = false;
};

}  // namespace agentguard::testing
