#include "gate/host_process.hpp"

#include <unistd.h>

#include <fstream>
#include <vector>

#include "events/process_info.hpp"

namespace agentguard::gate {
namespace {

std::vector<std::string> cmdline_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::vector<std::string> argv;
  for (std::string arg; std::getline(in, arg, '\0');) argv.push_back(arg);
  return argv;
}

std::string exe_of(pid_t pid) {
  char buf[4096];
  const ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

events::Event event_about_process(const std::string& kind, pid_t host) {
  events::Event ev = events::make_event();
  ev.kind = kind;
  ev.pid = host;
  ev.parents = events::parent_chain(host);
  ev.argv = cmdline_of(host);
  ev.resolved_path = exe_of(host);
  ev.program = ev.argv.empty() ? std::string() : ev.argv.front();
  return ev;
}

}  // namespace agentguard::gate
