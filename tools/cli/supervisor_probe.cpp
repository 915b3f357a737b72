#include "supervisor_probe.hpp"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/protocol.hpp"
#include "support/digest.hpp"
#include "support/paths.hpp"

namespace agentguard::cli {
namespace fs = std::filesystem;

namespace {

fs::path cache_file() { return paths::state_dir() / "supervisor-probe"; }

std::string read_all(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string supervisor_probe_key() {
  const std::string boot = read_all("/proc/sys/kernel/random/boot_id");
  std::string seccomp;
  std::istringstream status(read_all("/proc/self/status"));
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Seccomp", 0) == 0 || line.rfind("NoNewPrivs", 0) == 0) seccomp += line + "\n";
  struct stat st {};
  const std::string gate = paths::gate_program().string();
  if (boot.empty() || seccomp.empty() || ::stat(gate.c_str(), &st) != 0) return "";
  digest::FieldHash key;
  key.field(boot).field(seccomp).field(gate).field(std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
                                                   std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) +
                                                   "." + std::to_string(st.st_mtim.tv_nsec));
  return key.hex();
}

bool supervisor_known_available(const std::string& key) {
  if (key.empty()) return false;
  std::ifstream in(cache_file());
  std::string kept;
  return std::getline(in, kept) && kept == key;
}

void remember_supervisor_available(const std::string& key) {
  if (key.empty()) return;
  try {
    const fs::path file = cache_file();
    const fs::path tmp = file.string() + ".tmp";
    {
      std::ofstream out(tmp);
      out << key << "\n";
      if (!out) return;
    }
    fs::rename(tmp, file);
  } catch (const std::exception&) {
    // Not kept: the next session asks again.
  }
}

subprocess::Result probe_supervisor() {
  subprocess::Options options;
  options.timeout = std::chrono::seconds(20);
  return subprocess::run({paths::gate_program().string(), protocol::kProbeSupervisor}, options);
}

}  // namespace agentguard::cli
