#include "connection.hpp"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <asio/connect.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "client_hello.hpp"
#include "forward_http.hpp"
#include "idle_watch.hpp"
#include "inspected_hosts.hpp"
#include "linger.hpp"
#include "request_guard.hpp"
#include "tls_stream.hpp"
#include "upstream_sessions.hpp"

namespace agentguard::proxy {
namespace {

using asio::ip::tcp;
using asio::use_awaitable;
using namespace asio::experimental::awaitable_operators;

struct Destination {
  tcp::endpoint endpoint;
  std::string host;  // the CONNECT target's name; empty for a redirected connection (an address)
  std::string forward_start;  // non-empty: a plain forward-proxy request, these its first bytes
  std::string port;           // the CONNECT target's port, as sent
  bool chained = false;       // the tunnel goes through the caller's own HTTPS proxy (not resolved here)
};

// The start of an HTTP request line ("GET ", "POST", "DELETE"): a client using us as its
// HTTP_PROXY for an http:// URL. (CONNECT is told apart before.)
bool starts_like_request(const unsigned char* p) {
  if (p[0] < 'A' || p[0] > 'Z') return false;
  for (int i = 1; i < 4; ++i)
    if (!((p[i] >= 'A' && p[i] <= 'Z') || p[i] == ' ')) return false;
  return true;
}

// "CONNECT host:port HTTP/1.1" (the first four bytes already read).
std::optional<std::pair<std::string, std::string>> parse_connect(const std::string& head) {
  if (head.rfind("CONNECT ", 0) != 0) return std::nullopt;
  const std::size_t end = head.find(' ', 8);
  if (end == std::string::npos) return std::nullopt;
  std::string authority = head.substr(8, end - 8);
  std::string host, port;
  if (!authority.empty() && authority[0] == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string::npos || close + 1 >= authority.size() || authority[close + 1] != ':') return std::nullopt;
    host = authority.substr(1, close - 1);
    port = authority.substr(close + 2);
  } else {
    const std::size_t colon = authority.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::make_pair(host, port);
}

asio::awaitable<std::optional<Destination>> read_destination(tcp::socket& client, const ProxyShared& shared) {
  std::array<unsigned char, kRedirectHeaderSize> header{};
  co_await asio::async_read(client, asio::buffer(header.data(), 4), use_awaitable);
  if (std::memcmp(header.data(), kRedirectMagic, 4) == 0) {
    co_await asio::async_read(client, asio::buffer(header.data() + 4, kRedirectHeaderSize - 4), use_awaitable);
    const unsigned short port = static_cast<unsigned short>((header[6] << 8) | header[7]);
    Destination d;
    if (header[4] == 4) {
      asio::ip::address_v4::bytes_type b;
      std::memcpy(b.data(), header.data() + 8, 4);
      d.endpoint = tcp::endpoint(asio::ip::address_v4(b), port);
    } else if (header[4] == 6) {
      asio::ip::address_v6::bytes_type b;
      std::memcpy(b.data(), header.data() + 8, 16);
      asio::ip::address_v6 v6(b);
      // A v4-mapped address is the IPv4 destination of a dual-stack socket.
      if (v6.is_v4_mapped())
        d.endpoint = tcp::endpoint(asio::ip::make_address_v4(asio::ip::v4_mapped, v6), port);
      else
        d.endpoint = tcp::endpoint(v6, port);
    } else {
      co_return std::nullopt;
    }
    co_return d;
  }
  if (std::memcmp(header.data(), "CONN", 4) != 0) {
    if (!starts_like_request(header.data())) co_return std::nullopt;
    Destination d;
    d.forward_start.assign(reinterpret_cast<const char*>(header.data()), 4);
    co_return d;
  }
  std::string head(reinterpret_cast<const char*>(header.data()), 4);
  co_await asio::async_read_until(client, asio::dynamic_buffer(head, 8192), "\r\n\r\n", use_awaitable);
  const auto target = parse_connect(head);
  // Bytes after the request head would be the client not waiting for our answer: not followed.
  if (!target || head.find("\r\n\r\n") + 4 != head.size()) {
    co_await asio::async_write(client, asio::buffer(std::string("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")),
                               use_awaitable);
    co_return std::nullopt;
  }
  Destination d;
  d.host = target->first;
  d.port = target->second;
  // Through the caller's own proxy, the name is resolved there (this machine may not resolve it).
  if (shared.https_upstream && !shared.https_upstream->bypassed_for(d.host, d.port)) {
    d.chained = true;
    co_return d;
  }
  tcp::resolver resolver(client.get_executor());
  auto results = co_await resolver.async_resolve(target->first, target->second, use_awaitable);
  if (results.empty()) co_return std::nullopt;
  d.endpoint = results.begin()->endpoint();
  co_return d;
}

asio::awaitable<void> pump(tcp::socket& from, tcp::socket& to, Activity& activity) {
  std::array<char, 64 * 1024> data;
  for (;;) {
    std::error_code ec;
    const std::size_t n = co_await from.async_read_some(asio::buffer(data), asio::redirect_error(use_awaitable, ec));
    if (ec) {
      to.shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
    activity.seen = true;
    co_await asio::async_write(to, asio::buffer(data.data(), n), use_awaitable);
  }
}

// TCP keep-alive probes after a minute of silence, every 10 s, 3 unanswered: a peer that went away
// is found in about 90 s.
void keep_alive(tcp::socket& socket) {
  std::error_code ec;
  socket.set_option(asio::socket_base::keep_alive(true), ec);
  const int fd = socket.native_handle();
  const int idle = 60, interval = 10, count = 3;
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

// Both ways, untouched; never timed out for idleness (idle_watch.hpp), kept alive instead.
asio::awaitable<void> splice(tcp::socket& client, tcp::socket& upstream, Activity& activity) {
  activity.exempt = true;
  keep_alive(client);
  keep_alive(upstream);
  co_await (pump(client, upstream, activity) && pump(upstream, client, activity));
}

asio::awaitable<void> pump_tls(TlsStream& from, TlsStream& to) {
  constexpr std::size_t kChunk = 64 * 1024;
  std::unique_ptr<char[]> data(new char[kChunk]);
  for (;;) {
    std::size_t n = 0;
    try {
      n = co_await from.read_some(data.get(), kChunk);
    } catch (const std::system_error&) {
      co_return;
    }
    co_await to.write(data.get(), n);
  }
}

// A decrypted connection: one endpoint, requests go out as the client sent them.
class TlsRelay final : public RequestRelay {
 public:
  TlsRelay(TlsStream& client, TlsStream& upstream) : client_(client), upstream_(upstream) {}
  asio::awaitable<std::size_t> read_client(char* data, std::size_t size) override {
    co_return co_await client_.read_some(data, size);
  }
  asio::awaitable<std::optional<std::string>> open_request(const core::http::Request&) override {
    co_return std::nullopt;
  }
  asio::awaitable<void> write_upstream(const char* data, std::size_t size) override {
    co_await upstream_.write(data, size);
  }

 private:
  TlsStream& client_;
  TlsStream& upstream_;
};

// The first client bytes, peeked (left in the socket): up to one TLS record.
asio::awaitable<std::pair<HelloStatus, ClientHello>> peek_client_hello(tcp::socket& client) {
  std::array<unsigned char, 16 * 1024 + 5> data;
  asio::steady_timer timer(client.get_executor());
  for (int attempt = 0; attempt < 500; ++attempt) {
    co_await client.async_wait(tcp::socket::wait_read, use_awaitable);
    std::error_code ec;
    const std::size_t n = client.receive(asio::buffer(data), tcp::socket::message_peek, ec);
    if (ec || n == 0) co_return std::make_pair(HelloStatus::malformed, ClientHello{});
    ClientHello hello;
    const HelloStatus status = parse_client_hello(data.data(), n, hello);
    if (status != HelloStatus::need_more) co_return std::make_pair(status, hello);
    // The rest of the record is on its way: the socket stays readable, so wait a little.
    timer.expires_after(std::chrono::milliseconds(2));
    co_await timer.async_wait(use_awaitable);
  }
  co_return std::make_pair(HelloStatus::malformed, ClientHello{});
}

void log_line(const std::string& line) { std::fprintf(stderr, "agentguard-proxy: %s\n", line.c_str()); }

// The client's handshake; when it fails, the endpoint's is abandoned (its socket closed, which
// ends the wait it is in) instead of being carried on for a connection that will not be used.
asio::awaitable<std::error_code> client_handshake(TlsStream& client, TlsStream& upstream) {
  const std::error_code ec = co_await client.handshake(TlsStream::Role::server);
  if (ec) {
    std::error_code ignored;
    upstream.socket().close(ignored);
  }
  co_return ec;
}

asio::awaitable<void> inspect(tcp::socket client, tcp::socket upstream, const ClientHello& hello, const Destination& dest,
                              ProxyShared& shared, unsigned short client_port, Activity& activity) {
  // The name the client checks our certificate against: its SNI, else the address it dialled.
  const std::string name = !hello.server_name.empty() ? hello.server_name
                           : !dest.host.empty()       ? dest.host
                                                      : dest.endpoint.address().to_string();
  TlsStream client_tls(std::move(client), shared.server_tls->native_handle());
  client_tls.count_activity_in(&activity);
  SSL* server_ssl = client_tls.native_handle();
  if (SSL_use_certificate(server_ssl, shared.ca->leaf_for(name)) != 1 ||
      SSL_use_PrivateKey(server_ssl, shared.ca->leaf_key()) != 1) {
    log_line("cannot present a certificate for " + name);
    co_return;
  }

  if (shared.load_upstream_trust) std::exchange(shared.load_upstream_trust, nullptr)();  // one io thread: no race
  TlsStream upstream_tls(std::move(upstream), shared.upstream_tls->native_handle());
  upstream_tls.count_activity_in(&activity);
  SSL* ssl = upstream_tls.native_handle();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  unsigned char ip[16];
  const std::string verify_name = hello.server_name.empty() ? name : hello.server_name;
  if (inet_pton(AF_INET, verify_name.c_str(), ip) == 1 || inet_pton(AF_INET6, verify_name.c_str(), ip) == 1) {
    X509_VERIFY_PARAM_set1_ip_asc(param, verify_name.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, verify_name.c_str(), 0);
    SSL_set_tlsext_host_name(ssl, verify_name.c_str());
  }
  SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
  shared.upstream_sessions->prepare(
      ssl, verify_name + " " + dest.endpoint.address().to_string() + " " + std::to_string(dest.endpoint.port()));

  // Both handshakes at once, the endpoint's first: its ClientHello leaves before we spend our
  // CPU on the client's flight, so the endpoint works on its side meanwhile. Nothing of the
  // client's is sent before its handshake is done and its request allowed.
  auto [upstream_ec, client_ec] = co_await (upstream_tls.handshake(TlsStream::Role::client) &&
                                            client_handshake(client_tls, upstream_tls));
  // A client that refuses the session CA (or offers only HTTP/2) ends here: nothing reached the
  // endpoint (fail closed).
  if (client_ec) co_return;
  if (upstream_ec) {
    log_line("the endpoint " + verify_name + " failed TLS verification (" + upstream_ec.message() +
             "); connection closed");
    co_await client_tls.shutdown();
    co_await linger(client_tls.socket());
    co_return;
  }

  TlsRelay relay(client_tls, upstream_tls);
  auto outcome = co_await (guard_requests(relay, shared, client_port) ||
                           pump_tls(upstream_tls, client_tls));
  if (outcome.index() == 0) {
    std::optional<std::string> reply = std::get<0>(std::move(outcome));
    if (reply && !reply->empty()) {
      // The refused request never reached the endpoint; the client gets the service's own error.
      std::error_code ec;
      upstream_tls.socket().close(ec);
      try {
        co_await client_tls.write(reply->data(), reply->size());
      } catch (const std::system_error&) {
      }
    }
  }
  co_await client_tls.shutdown();
  co_await linger(client_tls.socket());
}

// Whether a redirected client's first bytes open a tunnel through another HTTP proxy ("CONNECT "):
// a client configured with its own proxy (node with a proxy agent, a program given HTTPS_PROXY)
// connects to that proxy, and its connect was redirected to us on the way.
asio::awaitable<bool> opens_tunnel(tcp::socket& client) {
  static constexpr char kConnect[] = "CONNECT ";
  char peeked[sizeof kConnect - 1];
  for (int attempt = 0; attempt < 50; ++attempt) {
    const std::size_t n = co_await client.async_receive(asio::buffer(peeked), tcp::socket::message_peek, use_awaitable);
    if (n == 0 || std::memcmp(peeked, kConnect, n) != 0) co_return false;
    if (n == sizeof peeked) co_return true;
    asio::steady_timer pause(client.get_executor(), std::chrono::milliseconds(2));  // the rest of the line is coming
    co_await pause.async_wait(use_awaitable);
  }
  co_return false;
}

// Sets up the client's tunnel through its own proxy (`upstream`): its CONNECT goes there as sent,
// the proxy's answer comes back as sent. True when the tunnel is open: `dest` then names its
// target, and what goes through it is decided as if the client had dialled that target (its TLS
// to an inspected host is decrypted here, like any other). False when the connection was dealt
// with (a refused or odd tunnel: relayed as it is, or closed).
asio::awaitable<bool> open_tunnel(tcp::socket& client, tcp::socket& upstream, Destination& dest, Activity& activity) {
  std::string request;
  co_await asio::async_read_until(client, asio::dynamic_buffer(request, 8192), "\r\n\r\n", use_awaitable);
  const auto target = parse_connect(request);
  // A client that sends its TLS before the proxy's answer cannot be peeked at through the tunnel:
  // it is closed, never passed on unread.
  if (!target || request.find("\r\n\r\n") + 4 != request.size()) {
    log_line("a tunnel request through another proxy the proxy cannot follow; closed");
    co_return false;
  }
  co_await asio::async_write(upstream, asio::buffer(request), use_awaitable);
  std::string answer;
  co_await asio::async_read_until(upstream, asio::dynamic_buffer(answer, 16384), "\r\n\r\n", use_awaitable);
  co_await asio::async_write(client, asio::buffer(answer), use_awaitable);
  const bool open = answer.rfind("HTTP/1.1 200", 0) == 0 || answer.rfind("HTTP/1.0 200", 0) == 0;
  if (!open || answer.find("\r\n\r\n") + 4 != answer.size()) {
    co_await splice(client, upstream, activity);  // the proxy's refusal (and its body) as it sent it
    co_return false;
  }
  dest.host = target->first;
  std::error_code ec;
  const asio::ip::address literal = asio::ip::make_address(target->first, ec);
  if (!ec) dest.endpoint = tcp::endpoint(literal, static_cast<unsigned short>(std::stoi(target->second)));
  co_return true;
}

// Reads an HTTP answer's head from `from`, and nothing after it (a server that speaks first in a
// tunnel must not lose its first bytes): peeked, then exactly the head taken.
asio::awaitable<std::string> read_answer_head(tcp::socket& from) {
  std::array<char, 8192> peeked{};
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const std::size_t n = co_await from.async_receive(asio::buffer(peeked), tcp::socket::message_peek, use_awaitable);
    if (n == 0) break;
    const std::string_view seen(peeked.data(), n);
    if (const std::size_t end = seen.find("\r\n\r\n"); end != std::string_view::npos) {
      std::string head(end + 4, '\0');
      co_await asio::async_read(from, asio::buffer(head), use_awaitable);
      co_return head;
    }
    if (n == peeked.size()) break;
    asio::steady_timer pause(from.get_executor(), std::chrono::milliseconds(2));  // the rest is coming
    co_await pause.async_wait(use_awaitable);
  }
  throw std::system_error(asio::error::connection_aborted);
}

// A tunnel to dest through the caller's own HTTPS proxy; an empty error once it answered 200.
asio::awaitable<std::error_code> connect_through_caller_proxy(tcp::socket& upstream, const UpstreamProxy& via,
                                                              Destination& dest) {
  tcp::resolver resolver(upstream.get_executor());
  std::error_code ec;
  auto proxies = co_await resolver.async_resolve(via.host, via.port, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return ec;
  const tcp::endpoint reached = co_await asio::async_connect(upstream, proxies, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return ec;
  dest.endpoint = reached;
  const std::string authority =
      (dest.host.find(':') != std::string::npos ? "[" + dest.host + "]" : dest.host) + ":" + dest.port;
  std::string request = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
  if (!via.authorization.empty()) request += "Proxy-Authorization: " + via.authorization + "\r\n";
  request += "\r\n";
  co_await asio::async_write(upstream, asio::buffer(request), use_awaitable);
  const std::string answer = co_await read_answer_head(upstream);
  if (answer.rfind("HTTP/1.1 200", 0) != 0 && answer.rfind("HTTP/1.0 200", 0) != 0) {
    log_line("the caller's proxy " + via.host + ":" + via.port + " refused a tunnel to " + authority + ": " +
             answer.substr(0, answer.find('\r')));
    co_return asio::error::connection_refused;
  }
  co_return std::error_code();
}

asio::awaitable<void> handle_connection(tcp::socket client, ProxyShared& shared, Activity& activity) {
  try {
    std::error_code ec;
    client.set_option(tcp::no_delay(true), ec);
    const unsigned short client_port = client.remote_endpoint(ec).port();
    std::optional<Destination> dest = co_await read_destination(client, shared);
    if (!dest) co_return;
    if (!dest->forward_start.empty()) {
      co_await serve_forward(client, std::move(dest->forward_start), shared, activity, client_port);
      co_return;
    }
    tcp::socket upstream(client.get_executor());
    if (dest->chained)
      ec = co_await connect_through_caller_proxy(upstream, *shared.https_upstream, *dest);
    else
      co_await upstream.async_connect(dest->endpoint, asio::redirect_error(use_awaitable, ec));
    const bool via_connect = !dest->host.empty();
    if (ec) {
      if (via_connect)
        co_await asio::async_write(client, asio::buffer(std::string("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")),
                                   asio::redirect_error(use_awaitable, ec));
      co_return;
    }
    upstream.set_option(tcp::no_delay(true), ec);
    if (via_connect)
      co_await asio::async_write(client, asio::buffer(std::string("HTTP/1.1 200 Connection established\r\n\r\n")),
                                 use_awaitable);

    // Who speaks first? A server-first protocol (SSH, SMTP, a database greeting) is not HTTPS:
    // spliced. Otherwise the client's first record decides.
    auto first = co_await (client.async_wait(tcp::socket::wait_read, use_awaitable) ||
                           upstream.async_wait(tcp::socket::wait_read, use_awaitable));
    if (first.index() == 1) {
      co_await splice(client, upstream, activity);
      co_return;
    }
    if (!via_connect && co_await opens_tunnel(client)) {
      if (!co_await open_tunnel(client, upstream, *dest, activity)) co_return;
    }
    std::pair<HelloStatus, ClientHello> peeked;
    peeked = co_await peek_client_hello(client);
    const HelloStatus status = peeked.first;
    const ClientHello& hello = peeked.second;
    if (status == HelloStatus::not_tls) {
      // Plain bytes: a dynamically linked client's plaintext HTTP is inspected in its own process
      // (the socket hooks); other protocols are not ours.
      co_await splice(client, upstream, activity);
      co_return;
    }
    if (status != HelloStatus::complete) {
      log_line("a connection to " + dest->endpoint.address().to_string() +
               " sent a TLS hello the proxy cannot read; refused");
      co_return;
    }
    if (!should_inspect(hello.server_name, shared.inspect_hosts)) {
      co_await splice(client, upstream, activity);
      co_return;
    }
    co_await inspect(std::move(client), std::move(upstream), hello, *dest, shared, client_port, activity);
  } catch (const std::exception&) {
    // The connection ends; the client sees it closed. Nothing was passed on uninspected.
  }
}

}  // namespace

asio::awaitable<void> serve_connection(tcp::socket client, ProxyShared& shared) {
  Activity activity;
  co_await (handle_connection(std::move(client), shared, activity) || watch_idle(activity, shared.idle_timeout));
}

}  // namespace agentguard::proxy
