// make_event(): who, where and when, read from the calling process and /proc.
#include "events/event.hpp"
#include "core/protocol.hpp"
#include "events/process_info.hpp"

#include <pwd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace agentguard::events {
namespace {

constexpr int kMaxParents = 16;

std::string random_hex(size_t bytes) {
  unsigned char buffer[32] = {};
  if (bytes > sizeof buffer) bytes = sizeof buffer;
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = ::getrandom(buffer + got, bytes - got, 0);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  if (got < bytes) {
    // getrandom failing is close to impossible; fall back to something still unique per process.
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    unsigned long long mix = static_cast<unsigned long long>(now.tv_nsec) ^ (static_cast<unsigned long long>(::getpid()) << 32);
    for (size_t i = got; i < bytes; ++i) buffer[i] = static_cast<unsigned char>(mix >> ((i % 8) * 8));
  }
  std::string hex;
  char pair[3];
  for (size_t i = 0; i < bytes; ++i) {
    std::snprintf(pair, sizeof pair, "%02x", buffer[i]);
    hex += pair;
  }
  return hex;
}

std::string current_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

std::string current_user() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return pw->pw_name;
  if (const char* user = std::getenv("USER")) return user;
  return "uid " + std::to_string(::geteuid());
}

std::string current_dir() {
  char buffer[4096];
  if (::getcwd(buffer, sizeof buffer)) return buffer;
  return "(unknown)";
}

std::string process_name(int pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

// The parent pid from /proc/<pid>/stat. The name field may contain spaces and ')', so the
// fields are counted from the last ')'.
int parent_pid(int pid) {
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 1));
  std::string state;
  int ppid = 0;
  rest >> state >> ppid;
  return ppid;
}

}  // namespace

std::string format_rfc3339_ms(const timespec& when) {
  tm utc{};
  ::gmtime_r(&when.tv_sec, &utc);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(when.tv_nsec / 1000000));
  return buffer;
}

std::vector<ProcessInfo> parent_chain(int pid) {
  std::vector<ProcessInfo> chain;
  int current = parent_pid(pid);
  while (current > 0 && static_cast<int>(chain.size()) < kMaxParents) {
    chain.push_back({current, process_name(current)});
    if (current == 1) break;
    current = parent_pid(current);
  }
  return chain;
}

Event make_event() {
  Event event;
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  ::gmtime_r(&now.tv_sec, &utc);
  char stamp[80];
  std::snprintf(stamp, sizeof stamp, "%04d%02d%02dT%02d%02d%02dZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                utc.tm_hour, utc.tm_min, utc.tm_sec);
  event.id = std::string("ev_") + stamp + "_" + random_hex(8);
  event.time = format_rfc3339_ms(now);
  event.host = current_host();
  event.user = current_user();
  event.cwd = current_dir();
  event.pid = static_cast<int>(::getpid());
  event.parents = parent_chain(event.pid);
  if (const char* session = std::getenv(protocol::kEnvSession)) event.session = session;
  return event;
}

}  // namespace agentguard::events
