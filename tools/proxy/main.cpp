// agentguard-proxy: the session's inspecting proxy for clients whose TLS the preload cannot hook
// (docs/https-guard.md §1d). Started by `agentguard run`; lives until its standard input closes
// (the end of the session). Prints its port on standard output once it listens.
//
//   agentguard-proxy --session ID --ca-out FILE [--inspect-host NAME]... [--upstream-ca FILE]...
//                    [--idle-timeout-ms N]
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/ssl.hpp>
#include <asio/thread_pool.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include <openssl/crypto.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "connection.hpp"
#include "core/http/api_decide.hpp"
#include "core/protocol.hpp"
#include "session_ca.hpp"

namespace ap = agentguard::proxy;
using asio::ip::tcp;

namespace {

// Two ways to start:
//  --ca-out FILE: the proxy makes the session CA, writes its certificate to FILE, listens on a
//    loopback port of its own and prints it (a line) once it listens (bench/proxy_bench.py).
//  --listen-fd N: what `agentguard run` does. It has made the CA and the listening socket (fd N)
//    itself, so the agent starts while the proxy is still starting; the CA comes first on standard
//    input ("<byte count>\n" then the key and certificate as PEM), and connections that arrive
//    meanwhile wait in the socket's backlog.
struct Options {
  std::string session;
  std::string ca_out;
  int listen_fd = -1;
  std::vector<std::string> inspect_hosts;
  std::vector<std::string> upstream_cas;
  long idle_timeout_ms = 0;  // 0: the default (idle_watch.hpp)
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "agentguard-proxy: %s\nusage: agentguard-proxy --session ID (--ca-out FILE | --listen-fd N) "
               "[--inspect-host NAME]... [--upstream-ca FILE]... [--idle-timeout-ms N]\n", why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) usage(("missing value after " + arg).c_str());
    const std::string value = argv[++i];
    if (arg == "--session") o.session = value;
    else if (arg == "--ca-out") o.ca_out = value;
    else if (arg == "--listen-fd") o.listen_fd = std::atoi(value.c_str());
    else if (arg == "--inspect-host") o.inspect_hosts.push_back(value);
    else if (arg == "--upstream-ca") o.upstream_cas.push_back(value);
    else if (arg == "--idle-timeout-ms") {
      char* end = nullptr;
      o.idle_timeout_ms = std::strtol(value.c_str(), &end, 10);
      if (*end != '\0' || o.idle_timeout_ms <= 0) usage("--idle-timeout-ms takes a positive number of milliseconds");
    }
    else usage(("unknown option " + arg).c_str());
  }
  if (o.session.empty() || (o.ca_out.empty() == (o.listen_fd < 0)))
    usage("--session and one of --ca-out or --listen-fd are required");
  return o;
}

// Upstream TLS is verified against the system store and the session's extra CA files. OpenSSL's
// default file is Debian's bundle (/usr/lib/ssl/cert.pem links to it): read it once, not twice.
void load_upstream_trust(asio::ssl::context& upstream_tls, const std::vector<std::string>& extra_cas) {
  std::error_code ec;
  upstream_tls.set_default_verify_paths(ec);
  struct stat st {};
  if (::stat(X509_get_default_cert_file(), &st) != 0) upstream_tls.load_verify_file("/etc/ssl/certs/ca-certificates.crt", ec);
  for (const auto& file : extra_cas) {
    upstream_tls.load_verify_file(file, ec);
    if (ec) std::fprintf(stderr, "agentguard-proxy: cannot read the CA file %s: %s\n", file.c_str(), ec.message().c_str());
  }
}

// The session's compiled API rules, read into our own memory once and validated once: a copy
// nobody else can change, so each request is decided without validating it again
// (decide_api_validated). A mapped file could change under us.
void load_rules(ap::ProxyShared& shared) {
  const char* path = std::getenv(agentguard::protocol::kEnvApiRules);
  if (path == nullptr || *path == '\0') {
    shared.rules_problem = "the session has no API rules (AGENTGUARD_API_RULES is unset)";
    return;
  }
  static std::string copy;  // lives as long as the process
  std::ifstream in(path, std::ios::binary);
  copy.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) copy.clear();
  if (copy.empty()) {
    shared.rules_problem = std::string("the API rules file ") + path + " cannot be read";
    return;
  }
  if (!agentguard::core::http::api_rules_valid(copy.data(), copy.size())) {
    shared.rules_problem = std::string("the API rules file ") + path + " is not valid";
    return;
  }
  shared.rules = copy.data();
  shared.rules_size = copy.size();
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, ap::ProxyShared& shared) {
  for (;;) {
    tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), ap::serve_connection(std::move(socket), shared), asio::detached);
  }
}

// The CA `agentguard run` hands over on standard input: "<byte count>\n", then that many bytes of
// PEM (key, certificate). Read with read(2), byte-exact, so what follows stays in the pipe for
// wait_for_session_end. The caller wipes the text once the key is parsed.
std::string read_handover() {
  std::string count_line;
  char c = 0;
  while (count_line.size() < 16) {
    const ssize_t n = ::read(0, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("the session CA was not handed over");
    if (c == '\n') break;
    count_line.push_back(c);
  }
  const long size = std::strtol(count_line.c_str(), nullptr, 10);
  if (size <= 0 || size > 65536) throw std::runtime_error("the session CA handover is malformed");
  std::string pem(static_cast<std::size_t>(size), '\0');
  std::size_t got = 0;
  while (got < pem.size()) {
    const ssize_t n = ::read(0, pem.data() + got, pem.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("the session CA handover ended early");
    got += static_cast<std::size_t>(n);
  }
  return pem;
}

// The session ends when `agentguard run` closes our standard input.
asio::awaitable<void> wait_for_session_end(asio::posix::stream_descriptor& input, asio::io_context& io) {
  char byte[64];
  std::error_code ec;
  for (;;) {
    co_await input.async_read_some(asio::buffer(byte), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  io.stop();
}

}  // namespace

int main(int argc, char** argv) {
  // First of all: nobody else of our user may read our memory (the CA key) or trace us.
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    std::perror("agentguard-proxy: prctl(PR_SET_DUMPABLE)");
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, SIG_IGN);  // a Ctrl-C meant for the agent; the session's end is our stdin closing
  const Options options = parse(argc, argv);
  try {
    std::string handover = options.listen_fd >= 0 ? read_handover() : std::string();
    ap::SessionCa ca = options.listen_fd >= 0 ? ap::SessionCa::from_handover(handover) : ap::SessionCa(options.session);
    OPENSSL_cleanse(handover.data(), handover.size());
    ca.leaf_key();  // made now, not on the first inspected connection
    if (options.listen_fd < 0) {
      const std::string tmp = options.ca_out + ".tmp";
      std::ofstream out(tmp);
      out << ca.certificate_pem();
      out.close();
      if (!out || std::rename(tmp.c_str(), options.ca_out.c_str()) != 0) {
        std::fprintf(stderr, "agentguard-proxy: cannot write the session CA to %s\n", options.ca_out.c_str());
        return 1;
      }
    }

    asio::ssl::context server_tls(asio::ssl::context::tls_server);
    server_tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    // HTTP/1.1 only: the reassembler reads nothing else. A client that offers only h2 is refused.
    SSL_CTX_set_alpn_select_cb(
        server_tls.native_handle(),
        [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
           void*) -> int {
          for (unsigned int i = 0; i < inlen;) {
            const unsigned int len = in[i];
            if (len == 8 && i + 1 + len <= inlen && std::memcmp(in + i + 1, "http/1.1", 8) == 0) {
              *out = in + i + 1;
              *outlen = 8;
              return SSL_TLSEXT_ERR_OK;
            }
            i += 1 + len;
          }
          return SSL_TLSEXT_ERR_ALERT_FATAL;
        },
        nullptr);

    asio::ssl::context upstream_tls(asio::ssl::context::tls_client);
    upstream_tls.set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                             asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(upstream_tls.native_handle(), kHttp11, sizeof kHttp11);

    // No renegotiation either way: a read then never has to write (tls_stream.hpp). One ticket
    // per client connection is enough for a client that resumes (node's https agent does).
    SSL_CTX_set_options(server_tls.native_handle(), SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_options(upstream_tls.native_handle(), SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_num_tickets(server_tls.native_handle(), 1);
    ap::UpstreamSessions upstream_sessions(upstream_tls.native_handle());

    asio::io_context io(1);
    asio::thread_pool report_pool(1);
    ap::ProxyShared shared;
    shared.ca = &ca;
    shared.server_tls = &server_tls;
    shared.upstream_tls = &upstream_tls;
    shared.upstream_sessions = &upstream_sessions;
    shared.report_pool = &report_pool;
    shared.inspect_hosts = options.inspect_hosts;
    if (options.idle_timeout_ms > 0) shared.idle_timeout = std::chrono::milliseconds(options.idle_timeout_ms);
    for (auto scheme : {ap::ProxiedScheme::https, ap::ProxiedScheme::http}) {
      std::string problem;
      auto upstream = ap::upstream_proxy_from_environment(scheme, &problem);
      (scheme == ap::ProxiedScheme::https ? shared.https_upstream : shared.http_upstream) = std::move(upstream);
      if (!problem.empty()) std::fprintf(stderr, "agentguard-proxy: %s\n", problem.c_str());
    }
    load_rules(shared);
    shared.load_upstream_trust = [&upstream_tls, cas = options.upstream_cas] { load_upstream_trust(upstream_tls, cas); };

    tcp::acceptor acceptor(io);
    if (options.listen_fd >= 0) acceptor.assign(tcp::v4(), options.listen_fd);
    else acceptor = tcp::acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    shared.port = acceptor.local_endpoint().port();
    asio::posix::stream_descriptor input(io, dup(0));
    asio::co_spawn(io, accept_loop(acceptor, shared), asio::detached);
    asio::co_spawn(io, wait_for_session_end(input, io), asio::detached);

    if (options.listen_fd < 0) std::printf("%u\n", static_cast<unsigned>(shared.port));
    std::fflush(stdout);
    std::fclose(stdout);
    io.run();
    report_pool.join();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "agentguard-proxy: %s\n", e.what());
    return 1;
  }
  return 0;
}
