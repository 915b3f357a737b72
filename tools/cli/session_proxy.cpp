#include "session_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <sys/socket.h>
#include <poll.h>
#include <signal.h>
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

#include "core/protocol.hpp"
#include "proxy/session_ca.hpp"
#include "support/decided_exec.hpp"
#include "support/paths.hpp"

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

// The files, each followed by a newline, then `tail`: streamed file to file (the system store is
// ~200 KiB; built up in strings it was a tenth of a session's start).
void write_bundle(const fs::path& path, const std::vector<std::string>& sources, const std::string& tail) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    for (const auto& source : sources) {
      std::ifstream in(source, std::ios::binary);
      if (in && in.peek() != std::ifstream::traits_type::eof()) out << in.rdbuf();
      out << '\n';
    }
    out << tail;
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

  std::vector<std::string> args = {program.string(), "--session", session.id};
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

  // The listening socket and the session CA are made here, so the agent starts while the proxy is
  // still starting (its start is tens of milliseconds: the C++ runtime, OpenSSL); connections that
  // arrive meanwhile wait in the backlog. If the proxy never comes up, the socket's last copy
  // closes with it and they are refused: closed, never let through.
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t address_size = sizeof address;
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener, SOMAXCONN) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &address_size) != 0) {
    const std::string why = std::string("cannot listen on the loopback: ") + std::strerror(errno);
    if (listener >= 0) close(listener);
    mark_unavailable(session, why);
    return proxy;
  }
  const int port = ntohs(address.sin_port);
  std::string handover;
  try {
    const proxy::SessionCa ca(session.id);
    write_bundle(ca_file, {}, ca.certificate_pem());
    handover = ca.handover_pem();
  } catch (const std::exception& e) {
    close(listener);
    mark_unavailable(session, std::string("cannot make the session CA: ") + e.what());
    return proxy;
  }
  args.insert(args.end(), {"--listen-fd", "3"});

  int to_proxy[2];
  if (pipe2(to_proxy, O_CLOEXEC) != 0) {
    close(listener);
    OPENSSL_cleanse(handover.data(), handover.size());
    mark_unavailable(session, std::string("pipe: ") + std::strerror(errno));
    return proxy;
  }
  support::ChildSetup setup;
  setup.dup(to_proxy[0], 0).dup(listener, 3);
  std::vector<char*> argv_ptrs, env_ptrs;
  for (auto& a : args) argv_ptrs.push_back(a.data());
  argv_ptrs.push_back(nullptr);
  for (auto& e : env) env_ptrs.push_back(e.data());
  env_ptrs.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = support::spawn_decided(pid, program.c_str(), argv_ptrs.data(), env_ptrs.data(), setup);
  close(to_proxy[0]);
  close(listener);
  if (spawned != 0) {
    close(to_proxy[1]);
    OPENSSL_cleanse(handover.data(), handover.size());
    mark_unavailable(session, std::string("cannot start it: ") + std::strerror(spawned));
    return proxy;
  }
  proxy.pid = pid;
  proxy.keepalive_fd = to_proxy[1];
  // The CA's key, through the pipe (a few KiB: it fits the pipe, so this never blocks), then wiped.
  const std::string message = std::to_string(handover.size()) + "\n" + handover;
  OPENSSL_cleanse(handover.data(), handover.size());
  std::size_t sent = 0;
  while (sent < message.size()) {
    const ssize_t n = write(to_proxy[1], message.data() + sent, message.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  OPENSSL_cleanse(const_cast<char*>(message.data()), message.size());
  if (sent != message.size()) {
    stop_session_proxy(proxy);
    mark_unavailable(session, "it did not take the session CA");
    return proxy;
  }

  // The trust bundles: the system store and the caller's CAs, plus the session CA.
  const std::string session_ca = read_file(ca_file.string());
  // The caller's files that are the system store itself (SSL_CERT_FILE often names it) add nothing.
  std::vector<std::string> trust_sources = {kSystemBundle};
  std::error_code ec;
  for (const auto& file : ca_files)
    if (!fs::equivalent(file, kSystemBundle, ec)) trust_sources.push_back(file);
  const fs::path trust_file = sessions / (session.id + ".trust.pem");
  write_bundle(trust_file, trust_sources, session_ca);
  // node adds NODE_EXTRA_CA_CERTS to its own roots and reads one file: the caller's, plus ours.
  std::vector<std::string> node_sources;
  if (const std::string v = env_value("NODE_EXTRA_CA_CERTS"); !v.empty()) node_sources.push_back(v);
  const fs::path node_file = sessions / (session.id + ".node-ca.pem");
  write_bundle(node_file, node_sources, session_ca);

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
