// agentguard-service: the separated mode's keeper of the trust anchors (docs/architecture.md, "The
// separated mode"). It runs under a user of its own (the .deb makes `agentguard` and a systemd unit;
// by hand: `setpriv --reuid=agentguard ... agentguard-service`), owns its state directory (the
// approvals, the audit log and the audit key) and answers one JSON line per connection on the socket
// this build was made with. It refuses to run as root, or with a socket directory others may write.
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

#include "service/keeper.hpp"
#include "service/peer.hpp"
#include "service_client/service_client.hpp"
#include "core/protocol.hpp"
#include "support/paths.hpp"
#include "support/state_key.hpp"

namespace fs = std::filesystem;
using namespace agentguard;

namespace {

constexpr std::size_t kMaxRequest = 4u << 20;
constexpr int kMaxConnections = 64;
std::atomic<int> g_connections{0};

char g_agents_file[4096];
[[noreturn]] void usage_error(const std::string& what);

void stop(int) {
  ::unlink(service::socket_path());
  ::unlink(g_agents_file);
  ::_exit(0);
}

// Whose sessions it keeps, beside the socket, for clients to read when it does not answer: then
// those users fail closed and everyone else stays in the same-user mode (service_client.hpp).
void write_agents_file(const service::KeeperConfig& config) {
  const nlohmann::json list = {{"all", config.agent_users.empty() && config.agent_groups.empty()},
                               {"users", config.agent_users},
                               {"groups", config.agent_groups},
                               {"service_uid", ::geteuid()}};
  const std::string path = service::agents_file_path(), tmp = path + ".tmp";
  std::FILE* out = std::fopen(tmp.c_str(), "w");
  if (!out || std::fputs((list.dump() + "\n").c_str(), out) < 0 || std::fclose(out) != 0 ||
      ::chmod(tmp.c_str(), 0644) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0)
    usage_error("cannot write " + path + ": " + std::strerror(errno));
  std::strncpy(g_agents_file, path.c_str(), sizeof g_agents_file - 1);
}

[[noreturn]] void usage(const std::string& what, int status) {
  std::fprintf(stderr, "agentguard-service: %s\n", what.c_str());
  std::fprintf(stderr,
               "usage: agentguard-service [--state-dir DIR] [--agent-user NAME]... [--agent-group NAME]...\n"
               "                          [--approver-user NAME]... [--approver-group NAME]...\n"
               "  Agent users: whose sessions it keeps (default: every user but root and its own).\n"
               "  Approvers: who may answer (default: every user that is not an agent user).\n"
               "  Socket: %s (fixed when agentguard was built).\n",
               service::socket_path());
  std::exit(status);
}

[[noreturn]] void usage_error(const std::string& what) { usage(what, 2); }

uid_t uid_of(const std::string& name) {
  if (const passwd* pw = ::getpwnam(name.c_str())) return pw->pw_uid;
  usage_error("no user " + name);
}

gid_t gid_of(const std::string& name) {
  if (const group* gr = ::getgrnam(name.c_str())) return gr->gr_gid;
  usage_error("no group " + name);
}

void serve(service::Keeper& keeper, int connection) {
  const timeval timeout{10, 0};
  ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  nlohmann::json reply;
  try {
    const service::Peer peer = service::peer_of(connection);
    std::string line;
    char buffer[65536];
    while (line.find('\n') == std::string::npos) {
      const ssize_t n = ::recv(connection, buffer, sizeof buffer, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      line.append(buffer, static_cast<std::size_t>(n));
      if (line.size() > kMaxRequest) throw std::runtime_error("the request is too long");
    }
    const auto request = nlohmann::json::parse(line.substr(0, line.find('\n')), nullptr, false);
    reply = request.is_discarded() ? nlohmann::json{{"ok", false}, {"error", "not a JSON line"}} : keeper.handle(peer, request);
  } catch (const std::exception& e) {
    reply = {{"ok", false}, {"error", e.what()}};
  }
  const std::string out = reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  for (std::size_t sent = 0; sent < out.size();) {
    const ssize_t n = ::send(connection, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  ::close(connection);
}

}  // namespace

int main(int argc, char** argv) {
  service::KeeperConfig config;
  config.state_dir = "/var/lib/agentguard";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") usage("keeps the agent users' approvals and audit log (docs/architecture.md)", 0);
    if (i + 1 >= argc) usage_error(arg + " needs a value");
    const std::string value = argv[++i];
    if (arg == "--state-dir") config.state_dir = fs::absolute(value).lexically_normal().string();
    else if (arg == "--agent-user") config.agent_users.insert(uid_of(value));
    else if (arg == "--agent-group") config.agent_groups.insert(gid_of(value));
    else if (arg == "--approver-user") config.approver_users.insert(uid_of(value));
    else if (arg == "--approver-group") config.approver_groups.insert(gid_of(value));
    else usage_error("unknown option " + arg);
  }
  if (::geteuid() == 0 || ::getuid() == 0)
    usage_error("refusing to run as root: the service keeps the records away from every other user, so it runs under "
                "a user of its own (the .deb's `agentguard`; by hand: setpriv --reuid=agentguard --regid=agentguard "
                "--init-groups agentguard-service)");
  service::act_as_the_service();
  paths::share_state_dir();
  ::umask(022);

  // Its own records, in its own directory: readable by all (the audit log), writable by the service.
  std::error_code ec;
  fs::create_directories(config.state_dir, ec);
  struct stat st {};
  if (::stat(config.state_dir.c_str(), &st) != 0 || st.st_uid != ::geteuid())
    usage_error("the state directory " + config.state_dir + " must exist and belong to this user (uid " +
                std::to_string(::geteuid()) + ")");
  ::chmod(config.state_dir.c_str(), 0755);
  ::setenv(protocol::kEnvStateDir, config.state_dir.c_str(), 1);
  fs::create_directories(fs::path(config.state_dir) / "approvals", ec);
  ::chmod((fs::path(config.state_dir) / "approvals").c_str(), 0700);
  try {
    state_key::ensure(config.state_dir);
  } catch (const std::exception& e) {
    usage_error(e.what());
  }

  const std::string socket_dir = fs::path(service::socket_path()).parent_path().string();
  if (::stat(socket_dir.c_str(), &st) != 0 || st.st_uid != ::geteuid() || (st.st_mode & 022) != 0)
    usage_error("the socket directory " + socket_dir + " must exist, belong to this user and be writable by it alone "
                "(systemd's RuntimeDirectory=agentguard makes it)");
  write_agents_file(config);
  ::unlink(service::socket_path());
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, service::socket_path(), sizeof address.sun_path - 1);
  if (listener < 0 || ::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::chmod(service::socket_path(), 0666) != 0 || ::listen(listener, 64) != 0)
    usage_error(std::string("cannot listen on ") + service::socket_path() + ": " + std::strerror(errno));

  struct sigaction on_stop {};
  on_stop.sa_handler = stop;
  ::sigaction(SIGTERM, &on_stop, nullptr);
  ::sigaction(SIGINT, &on_stop, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  service::Keeper keeper(config);
  std::fprintf(stderr, "agentguard-service: keeping %s, listening on %s\n", config.state_dir.c_str(), service::socket_path());
  for (;;) {
    const int connection = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    // A client that connects and says nothing holds one thread for 10 s at most; many of them are
    // turned away rather than starve the rest.
    if (g_connections.load() >= kMaxConnections) {
      ::close(connection);
      continue;
    }
    ++g_connections;
    std::thread([&keeper, connection] {
      serve(keeper, connection);
      --g_connections;
    }).detach();
  }
}
