#pragma once
// Who is on the other end of a connection to the service, as the kernel says (SO_PEERCRED) and
// /etc/passwd, /etc/group and /proc add: never what the client claims about itself.
#include <sys/types.h>

#include <string>
#include <vector>

namespace agentguard::service {

struct Peer {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  pid_t pid = 0;
  std::string user;           // the uid's name, or "uid N"
  std::vector<gid_t> groups;  // the user's groups (primary and supplementary)
  std::string tty;            // the process's controlling terminal ("/dev/pts/3"), "" when none
};

// Throws std::runtime_error when the kernel does not say.
Peer peer_of(int connection);

// "uid N" for unknown users.
std::string user_name(uid_t uid);

}  // namespace agentguard::service
