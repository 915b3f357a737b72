#include "service_client/service_client.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>
#include <stdexcept>

#ifndef AGENTGUARD_SERVICE_SOCKET
#define AGENTGUARD_SERVICE_SOCKET "/run/agentguard/agentguard.sock"
#endif

namespace agentguard::service {

using nlohmann::json;

namespace {

bool g_is_service = false;
constexpr std::size_t kMaxAnswer = 16u << 20;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::runtime_error failure(const std::string& what) {
  return std::runtime_error("the agentguard service (" + std::string(socket_path()) + ") " + what);
}

// The peer must be the user that owns the socket's directory, which nobody else may write: only
// that user can have put a socket there. A service running as this very user separates nothing.
void check_identity(int fd) {
  ucred peer{};
  socklen_t length = sizeof peer;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) throw failure("cannot be identified");
  const std::string dir = std::filesystem::path(socket_path()).parent_path().string();
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) throw failure("has no directory " + dir);
  if ((st.st_mode & 022) != 0) throw failure("is not trusted: " + dir + " is writable by others than its owner");
  if (peer.uid != st.st_uid)
    throw failure("is not trusted: it runs as uid " + std::to_string(peer.uid) + ", but " + dir + " belongs to uid " +
                  std::to_string(st.st_uid));
  if (peer.uid == ::getuid() || peer.uid == 0)
    throw failure("is not separated: it runs as uid " + std::to_string(peer.uid) +
                  " (the service must run under a user of its own)");
}

// Whether the service, which does not answer now, said it keeps this user's sessions. Unreadable,
// or not written by the owner of the socket's directory: assume it does (fail closed).
bool named_as_agent() {
  const std::string dir = std::filesystem::path(socket_path()).parent_path().string();
  struct stat dir_st {}, st {};
  if (::stat(dir.c_str(), &dir_st) != 0 || ::stat(agents_file_path().c_str(), &st) != 0) return true;
  if (st.st_uid != dir_st.st_uid || (st.st_mode & 022) != 0 || (dir_st.st_mode & 022) != 0) return true;
  std::ifstream in(agents_file_path());
  const json list = json::parse(in, nullptr, false);
  if (list.is_discarded() || !list.is_object()) return true;
  const long uid = static_cast<long>(::getuid());
  if (uid == 0 || uid == list.value("service_uid", -1L)) return false;  // never agent users
  if (list.value("all", true)) return true;
  for (const auto& u : list.value("users", json::array()))
    if (u.is_number_integer() && u.get<long>() == uid) return true;
  std::vector<gid_t> groups(static_cast<std::size_t>(std::max(::getgroups(0, nullptr), 0)) + 1);
  const int count = ::getgroups(static_cast<int>(groups.size() - 1), groups.data());
  groups.resize(static_cast<std::size_t>(std::max(count, 0)));
  groups.push_back(::getgid());
  for (const auto& g : list.value("groups", json::array()))
    for (gid_t mine : groups)
      if (g.is_number_integer() && g.get<long>() == static_cast<long>(mine)) return true;
  return false;
}

}  // namespace

const char* socket_path() { return AGENTGUARD_SERVICE_SOCKET; }

std::string agents_file_path() {
  return (std::filesystem::path(socket_path()).parent_path() / "agents.json").string();
}

void act_as_the_service() { g_is_service = true; }

json call(const json& request) {
  Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) throw failure(std::string("cannot be reached: ") + std::strerror(errno));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path(), sizeof address.sun_path - 1);
  const timeval timeout{10, 0};
  ::setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
    throw failure(std::string("does not answer: ") + std::strerror(errno));
  check_identity(s.fd);
  const std::string line = request.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  for (std::size_t sent = 0; sent < line.size();) {
    const ssize_t n = ::send(s.fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) throw failure(std::string("stopped reading: ") + std::strerror(errno));
    sent += static_cast<std::size_t>(n);
  }
  std::string answer;
  char buffer[65536];
  while (answer.find('\n') == std::string::npos) {
    const ssize_t n = ::recv(s.fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(n));
    if (answer.size() > kMaxAnswer) throw failure("sent an answer that is too long");
  }
  const json reply = json::parse(answer.substr(0, answer.find('\n')), nullptr, false);
  if (reply.is_discarded() || !reply.is_object()) throw failure("gave no readable answer");
  if (!reply.value("ok", false)) throw failure("refused: " + reply.value("error", std::string("no reason given")));
  return reply;
}

const Mode& mode() {
  static const Mode m = [] {
    Mode out;
    if (g_is_service) {
      out.why = "this is the service itself";
      return out;
    }
    struct stat st {};
    if (::lstat(socket_path(), &st) != 0 && errno == ENOENT) {
      out.why = "no agentguard service on this machine (" + std::string(socket_path()) + " does not exist)";
      return out;
    }
    try {
      out.hello = call({{"op", "hello"}});
    } catch (const std::exception& e) {
      out.why = e.what();
      if (named_as_agent()) {
        out.kind = Mode::unavailable;
      } else {
        out.service_down = true;
        out.why += "; it does not keep this user's sessions (" + agents_file_path() + ")";
      }
      return out;
    }
    out.may_answer = out.hello.value("may_answer", false);
    if (out.hello.value("served", false)) {
      out.kind = Mode::separated;
      out.why = "the agentguard service (user " + out.hello.value("service_user", std::string("?")) + ", " +
                socket_path() + ") keeps this user's approvals and audit log";
    } else {
      out.why = "the agentguard service at " + std::string(socket_path()) + " does not keep this user's sessions (" +
                out.hello.value("why", std::string("not an agent user")) + ")";
    }
    return out;
  }();
  return m;
}

}  // namespace agentguard::service
