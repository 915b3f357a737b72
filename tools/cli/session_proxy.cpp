#include "session_proxy.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/paths.hpp"
#include "core/protocol.hpp"

extern char** environ;

namespace agentguard::cli {
namespace fs = std::filesystem;

namespace {

// Where the system's trust store is on Debian and derivatives (what OpenSSL, Go and curl read).
constexpr const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";

std::string env_value(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

// The host of "https://host:port/path" (brackets of an IPv6 literal removed), lower-case.
std::string url_host(std::string url) {
  const auto scheme = url.find("://");
  if (scheme != std::string::npos) url = url.substr(scheme + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  if (const auto at = url.rfind('@'); at != std::string::npos) url = url.substr(at + 1);
  if (!url.empty() && url[0] == '[') {
    url = url.substr(1, url.find(']') == std::string::npos ? std::string::npos : url.find(']') - 1);
  } else if (const auto colon = url.rfind(':'); colon != std::string::npos) {
    url = url.substr(0, colon);
  }
  for (auto& c : url) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return url;
}

// Endpoints the session's AWS configuration names: AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>,
// and every endpoint_url in the AWS config file. The proxy decrypts connections to them.
std::set<std::string> configured_endpoint_hosts() {
  std::set<std::string> hosts;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry = *e;
    if (entry.rfind("AWS_ENDPOINT_URL", 0) != 0) continue;
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string host = url_host(entry.substr(eq + 1));
    if (!host.empty()) hosts.insert(host);
  }
  std::string config = env_value("AWS_CONFIG_FILE");
  if (config.empty() && !paths::home_dir().empty()) config = paths::home_dir() + "/.aws/config";
  std::ifstream in(config);
  for (std::string line; std::getline(in, line);) {
    const auto key = line.find("endpoint_url");
    const auto eq = line.find('=');
    if (key == std::string::npos || eq == std::string::npos || eq < key) continue;
    std::string value = line.substr(eq + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    const std::string host = url_host(value);
    if (!host.empty()) hosts.insert(host);
  }
  return hosts;
}

// The CA files the caller's clients trusted before the session: the proxy trusts them upstream,
// and the session's bundles keep them.
std::vector<std::string> caller_ca_files() {
  std::vector<std::string> files;
  for (const char* name : {"SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"}) {
    const std::string v = env_value(name);
    if (!v.empty() && access(v.c_str(), R_OK) == 0 && std::find(files.begin(), files.end(), v) == files.end())
      files.push_back(v);
  }
  return files;
}

void mark_unavailable(Session& session, const std::string& why) {
  std::fprintf(stderr,
               "agentguard: warning: the inspecting proxy could not start (%s). Connections from clients whose TLS "
               "agentguard cannot see in-process (node, static libssl) will fail in this session.\n",
               why.c_str());
  session.vars[protocol::kEnvProxy] = "unavailable";
}

}  // namespace

SessionProxy start_session_proxy(Session& session) {
  SessionProxy proxy;
  const fs::path program = paths::proxy_program();
  if (access(program.c_str(), X_OK) != 0) {
    mark_unavailable(session, program.string() + " is missing");
    return proxy;
  }
  const fs::path sessions = fs::path(session.vars.at(protocol::kEnvStateDir)) / "sessions";
  const fs::path ca_file = sessions / (session.id + ".proxy-ca.pem");
  const std::vector<std::string> ca_files = caller_ca_files();

  std::vector<std::string> args = {program.string(), "--session", session.id, "--ca-out", ca_file.string()};
  for (const auto& host : configured_endpoint_hosts()) args.insert(args.end(), {"--inspect-host", host});
  for (const auto& file : ca_files) args.insert(args.end(), {"--upstream-ca", file});
  // The proxy runs unhooked, with the session's variables (the gate it runs for reports needs them).
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    if (name != "LD_PRELOAD" && !session.vars.count(name)) env.push_back(entry);
  }
  for (const auto& [name, value] : session.vars)
    if (name != "LD_PRELOAD") env.push_back(name + "=" + value);

  int to_proxy[2], from_proxy[2];
  if (pipe2(to_proxy, O_CLOEXEC) != 0 || pipe2(from_proxy, O_CLOEXEC) != 0) {
    mark_unavailable(session, std::string("pipe: ") + std::strerror(errno));
    return proxy;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_proxy[0], 0);
  posix_spawn_file_actions_adddup2(&actions, from_proxy[1], 1);
  std::vector<char*> argv_ptrs, env_ptrs;
  for (auto& a : args) argv_ptrs.push_back(a.data());
  argv_ptrs.push_back(nullptr);
  for (auto& e : env) env_ptrs.push_back(e.data());
  env_ptrs.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv_ptrs.data(), env_ptrs.data());
  posix_spawn_file_actions_destroy(&actions);
  close(to_proxy[0]);
  close(from_proxy[1]);
  if (spawned != 0) {
    close(to_proxy[1]);
    close(from_proxy[0]);
    mark_unavailable(session, std::string("cannot start it: ") + std::strerror(spawned));
    return proxy;
  }
  proxy.pid = pid;
  proxy.keepalive_fd = to_proxy[1];

  // Its port, once it listens (it makes the session CA first: a few milliseconds).
  std::string line;
  pollfd p{from_proxy[0], POLLIN, 0};
  while (line.find('\n') == std::string::npos && poll(&p, 1, 10000) > 0) {
    char buf[64];
    const ssize_t n = read(from_proxy[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  close(from_proxy[0]);
  const int port = std::atoi(line.c_str());
  if (port <= 0 || port > 65535 || access(ca_file.c_str(), R_OK) != 0) {
    stop_session_proxy(proxy);
    mark_unavailable(session, "it did not report a port");
    return proxy;
  }

  // The trust bundles: the system store and the caller's CAs, plus the session CA.
  const std::string session_ca = read_file(ca_file.string());
  std::string trust = read_file(kSystemBundle);
  for (const auto& file : ca_files) trust += "\n" + read_file(file);
  trust += "\n" + session_ca;
  const fs::path trust_file = sessions / (session.id + ".trust.pem");
  write_file(trust_file, trust);
  // node adds NODE_EXTRA_CA_CERTS to its own roots and reads one file: the caller's, plus ours.
  std::string node_extra;
  if (const std::string v = env_value("NODE_EXTRA_CA_CERTS"); !v.empty()) node_extra = read_file(v) + "\n";
  node_extra += session_ca;
  const fs::path node_file = sessions / (session.id + ".node-ca.pem");
  write_file(node_file, node_extra);

  session.vars[protocol::kEnvProxy] = "127.0.0.1:" + std::to_string(port);
  session.vars["SSL_CERT_FILE"] = trust_file.string();
  session.vars["NODE_EXTRA_CA_CERTS"] = node_file.string();
  if (!env_value("AWS_CA_BUNDLE").empty()) session.vars["AWS_CA_BUNDLE"] = trust_file.string();
  return proxy;
}

void stop_session_proxy(SessionProxy& proxy) {
  if (proxy.keepalive_fd >= 0) close(proxy.keepalive_fd);
  proxy.keepalive_fd = -1;
  if (proxy.pid > 0) {
    int status = 0;
    while (waitpid(proxy.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  proxy.pid = -1;
}

}  // namespace agentguard::cli
