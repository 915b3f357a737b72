#include "refusal_report.hpp"

#include <dirent.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/protocol.hpp"

extern char** environ;

namespace agentguard::proxy {

bool report_request(const RequestReport& r) {
  const char* gate = std::getenv(protocol::kEnvGate);
  bool reported = false;
  if (gate != nullptr && gate[0] == '/') {
    const std::string pid = std::to_string(r.client_pid);
    std::vector<const char*> argv = {gate,
                                     protocol::kReportHttp,    protocol::kFlagDecision, r.decision.c_str(),
                                     protocol::kFlagRule,      r.rule_id.c_str(),       protocol::kFlagService,
                                     r.service.c_str(),        protocol::kFlagOperation, r.operation.c_str(),
                                     protocol::kFlagProtocol,  r.protocol.c_str(),      protocol::kFlagEndpoint,
                                     r.endpoint.c_str(),       protocol::kFlagMessage,  r.message.c_str()};
    if (r.client_pid > 0) {
      argv.push_back(protocol::kFlagPid);
      argv.push_back(pid.c_str());
    }
    argv.push_back(nullptr);
    pid_t child = 0;
    if (posix_spawn(&child, gate, nullptr, nullptr, const_cast<char* const*>(argv.data()), environ) == 0) {
      int status = 0;
      while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
      reported = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
  }
  if (!reported && r.decision != "log")
    std::fprintf(stderr, "agentguard: blocked API request: %s\n", r.message.c_str());
  return reported;
}

namespace {

// The inode of the socket whose local port is `local` and remote port is `remote`.
unsigned long find_socket_inode(const char* table, std::uint16_t local, std::uint16_t remote) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local_address, remote_address, state, queues, timer, retransmits, uid, timeout;
    unsigned long inode = 0;
    fields >> slot >> local_address >> remote_address >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
    auto port_of = [](const std::string& address) {
      const auto colon = address.rfind(':');
      return colon == std::string::npos ? 0UL : std::strtoul(address.c_str() + colon + 1, nullptr, 16);
    };
    if (port_of(local_address) == local && port_of(remote_address) == remote && inode != 0) return inode;
  }
  return 0;
}

}  // namespace

pid_t find_client_pid(std::uint16_t client_port, std::uint16_t proxy_port) {
  unsigned long inode = find_socket_inode("/proc/net/tcp", client_port, proxy_port);
  if (inode == 0) inode = find_socket_inode("/proc/net/tcp6", client_port, proxy_port);
  if (inode == 0) return 0;
  const std::string wanted = "socket:[" + std::to_string(inode) + "]";
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  pid_t found = 0;
  const pid_t self = getpid();
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == self) continue;
    const std::string fd_dir = std::string("/proc/") + entry->d_name + "/fd";
    DIR* fds = opendir(fd_dir.c_str());
    if (fds == nullptr) continue;
    while (dirent* fd = readdir(fds)) {
      char target[64];
      const std::string link = fd_dir + "/" + fd->d_name;
      const ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
      if (n > 0 && static_cast<std::size_t>(n) == wanted.size() && std::memcmp(target, wanted.data(), wanted.size()) == 0) {
        found = static_cast<pid_t>(pid);
        break;
      }
    }
    closedir(fds);
    if (found != 0) break;
  }
  closedir(proc);
  return found;
}

}  // namespace agentguard::proxy
