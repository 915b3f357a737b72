#include "guarded.hpp"
#include "core/protocol.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace agentguard::guarded {

namespace {

bool maps_preload(const std::string& maps_path) {
  std::ifstream maps(maps_path);
  std::string line;
  while (std::getline(maps, line))
    if (line.find("libagentguard.so") != std::string::npos) return true;
  return false;
}

bool environ_is_guarded(const std::string& environ_path) {
  std::ifstream in(environ_path, std::ios::binary);
  std::string entry;
  while (std::getline(in, entry, '\0')) {
    if (protocol::assigns(entry, protocol::kEnvSession) != 0) return true;
    if (entry.rfind("LD_PRELOAD=", 0) == 0 && entry.find("libagentguard.so") != std::string::npos) return true;
  }
  return false;
}

int parent_of(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("PPid:", 0) == 0) return std::atoi(line.c_str() + 5);
  return 0;
}

}  // namespace

bool inside_guarded_tree(std::string* why) {
  const auto say = [&](const std::string& reason) {
    if (why) *why = reason;
    return true;
  };
  if (maps_preload("/proc/self/maps")) return say("the guard's library is loaded in this process");
  if (const char* s = std::getenv(protocol::kEnvSession); s && *s) return say(std::string(protocol::kEnvSession) + " is set");
  if (const char* p = std::getenv("LD_PRELOAD"); p && std::string(p).find("libagentguard.so") != std::string::npos)
    return say("LD_PRELOAD carries the guard");
  for (int pid = getppid(), depth = 0; pid > 1 && depth < 64; pid = parent_of(pid), ++depth) {
    const std::string proc = "/proc/" + std::to_string(pid);
    if (environ_is_guarded(proc + "/environ") || maps_preload(proc + "/maps"))
      return say("an ancestor process (pid " + std::to_string(pid) + ") is guarded");
  }
  return false;
}

}  // namespace agentguard::guarded
