#pragma once
// Scratch directories and files for the core unit tests.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace agentguard::core::testing {

class ScratchDir {
 public:
  ScratchDir() {
    char templ[] = "/tmp/agentguard-core-XXXXXX";
    const char* made = mkdtemp(templ);
    path_ = made != nullptr ? made : "";
  }
  ~ScratchDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

  std::string write(const std::string& name, const std::string& content, mode_t mode = 0755) const {
    const std::string full = *this / name;
    std::ofstream(full, std::ios::binary) << content;
    chmod(full.c_str(), mode);
    return full;
  }
  std::string mkdir(const std::string& name) const {
    const std::string full = *this / name;
    ::mkdir(full.c_str(), 0755);
    return full;
  }
  std::string symlink(const std::string& target, const std::string& name) const {
    const std::string full = *this / name;
    ::symlink(target.c_str(), full.c_str());
    return full;
  }

 private:
  std::string path_;
};

// Runs in a directory and restores the previous cwd on scope exit.
class ChangeDir {
 public:
  explicit ChangeDir(const std::string& dir) {
    if (getcwd(previous_, sizeof previous_) == nullptr) previous_[0] = '\0';
    if (chdir(dir.c_str()) != 0) previous_[0] = '\0';
  }
  ~ChangeDir() {
    if (previous_[0] != '\0' && chdir(previous_) != 0) std::abort();
  }
  ChangeDir(const ChangeDir&) = delete;
  ChangeDir& operator=(const ChangeDir&) = delete;

 private:
  char previous_[4096];
};

}  // namespace agentguard::core::testing
