#include "service/peer.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace agentguard::service {

namespace {

// The controlling terminal from /proc/<pid>/stat (field 7, tty_nr), which any user may read: the
// service cannot look at another user's descriptors, and must not take the client's word for it.
std::string terminal_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close_paren = text.rfind(')');
  if (close_paren == std::string::npos) return "";
  std::istringstream rest(text.substr(close_paren + 2));
  std::string field;
  long tty_nr = 0;
  for (int i = 3; i <= 7 && rest >> field; ++i)
    if (i == 7) tty_nr = std::strtol(field.c_str(), nullptr, 10);
  if (tty_nr == 0) return "";
  const long major = (tty_nr >> 8) & 0xfff;
  const long minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return "/dev/pts/" + std::to_string((major - 136) * 256 + minor);
  if (major == 4 && minor < 64) return "/dev/tty" + std::to_string(minor);
  return "tty " + std::to_string(major) + ":" + std::to_string(minor);
}

}  // namespace

std::string user_name(uid_t uid) {
  if (const passwd* pw = ::getpwuid(uid)) return pw->pw_name;
  return "uid " + std::to_string(uid);
}

Peer peer_of(int connection) {
  ucred cred{};
  socklen_t length = sizeof cred;
  if (::getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0)
    throw std::runtime_error("the kernel did not name the peer");
  Peer p;
  p.uid = cred.uid;
  p.gid = cred.gid;
  p.pid = cred.pid;
  p.user = user_name(p.uid);
  p.groups.push_back(p.gid);
  if (const passwd* pw = ::getpwuid(p.uid)) {
    int count = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    if (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &count) < 0) {
      groups.resize(static_cast<std::size_t>(count));
      ::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &count);
    }
    groups.resize(static_cast<std::size_t>(count > 0 ? count : 0));
    p.groups.insert(p.groups.end(), groups.begin(), groups.end());
  }
  p.tty = terminal_of(p.pid);
  return p;
}

}  // namespace agentguard::service
