#include "forward_http.hpp"

#include <asio/connect.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "core/http/text.hpp"
#include "linger.hpp"
#include "request_guard.hpp"

namespace agentguard::proxy {
namespace {

using asio::ip::tcp;
using asio::use_awaitable;
using namespace asio::experimental::awaitable_operators;
namespace http = core::http;

// The proxy's own answer when it cannot carry a request (not a refusal by the rules: nothing is
// recorded; the request did not reach any endpoint).
std::string plain_reply(const char* status, const std::string& text) {
  const std::string body = "agentguard-proxy: " + text + "\n";
  return std::string("HTTP/1.1 ") + status + "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string lowered(http::Text t) {
  std::string s(t.data, t.size);
  for (char& c : s) c = http::ascii_lower(c);
  return s;
}


// A condition variable for coroutines on one io thread: waiters re-check their predicate.
class Signal {
 public:
  explicit Signal(const asio::any_io_executor& executor) : timer_(executor) {
    timer_.expires_at(asio::steady_timer::time_point::max());
  }
  void notify() { timer_.cancel(); }
  asio::awaitable<void> wait() {
    std::error_code woken;
    co_await timer_.async_wait(asio::redirect_error(use_awaitable, woken));
    // Our own cancellation (the connection is ending) is not a notify: leave.
    asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) throw std::system_error(asio::error::operation_aborted);
  }

 private:
  asio::steady_timer timer_;
};

// authority_ of a connection to the caller's own HTTP proxy, which carries requests for any host.
const std::string kThroughCallersProxy = "(the caller's proxy)";

class ForwardRelay final : public RequestRelay {
 public:
  ForwardRelay(tcp::socket& client, std::string first, ProxyShared& shared, Activity& activity)
      : client_(client), first_(std::move(first)), shared_(shared), activity_(activity),
        upstream_(client.get_executor()), changed_(client.get_executor()) {}

  asio::awaitable<std::size_t> read_client(char* data, std::size_t size) override {
    if (!first_.empty()) {
      const std::size_t n = std::min(size, first_.size());
      std::memcpy(data, first_.data(), n);
      first_.erase(0, n);
      co_return n;
    }
    const std::size_t n = co_await client_.async_read_some(asio::buffer(data, size), use_awaitable);
    activity_.seen = true;
    co_return n;
  }

  asio::awaitable<std::optional<std::string>> open_request(const http::Request& request) override {
    const http::Text authority = request.authority();
    if (authority.empty())
      co_return plain_reply("400 Bad Request", "requests to a proxy name their host (http://host/path)");
    if (!http::istarts_with(request.target, http::Text("http://")))
      co_return plain_reply("400 Bad Request", "only http:// requests are forwarded; https:// goes through CONNECT");
    // The classifier read the Host header; the request goes to the target's host. They must agree.
    if (!http::iequals(http::trim(request.header(http::Text("Host"))), authority))
      co_return plain_reply("400 Bad Request", "the Host header does not match the request's target");
    std::string wanted = lowered(authority);
    std::string host, port;
    if (!split_authority(wanted, host, port)) co_return plain_reply("400 Bad Request", "malformed host in the request target");
    // Through the caller's own HTTP proxy, as the program would have sent it (upstream_proxy.hpp).
    const UpstreamProxy* via =
        shared_.http_upstream && !shared_.http_upstream->bypassed_for(host, port) ? &*shared_.http_upstream : nullptr;
    if (via != nullptr) wanted = kThroughCallersProxy;
    if (!open_ || wanted != authority_) {
      co_await release_upstream();
      // (Not one conditional expression with a co_await in each arm: GCC 12 destroys the result
      // of the arm taken too early.)
      std::optional<std::string> problem;
      if (via != nullptr)
        problem = co_await connect_to(via->host, via->port, wanted);
      else
        problem = co_await connect_to(wanted);
      if (problem) co_return problem;
    }
    const std::size_t line_size = static_cast<std::size_t>(request.version.data + request.version.size - request.head.data);
    if (via != nullptr) {
      // The request line stays in absolute-form, as a proxy takes it, with the caller's credentials.
      line_.assign(request.head.data, line_size);
      if (!via->authorization.empty()) line_ += "\r\nProxy-Authorization: " + via->authorization;
      skip_ = line_size;
      co_return std::nullopt;
    }
    // The request line goes out in origin-form; the rest of the head as the client sent it.
    const http::Text origin =
        request.target.sub(static_cast<std::size_t>(authority.data + authority.size - request.target.data));
    line_.assign(request.method.data, request.method.size);
    line_ += ' ';
    if (origin.empty() || origin[0] != '/') line_ += '/';
    line_.append(origin.data, origin.size);
    line_ += ' ';
    line_.append(request.version.data, request.version.size);
    skip_ = static_cast<std::size_t>(request.version.data + request.version.size - request.head.data);
    co_return std::nullopt;
  }

  asio::awaitable<void> write_upstream(const char* data, std::size_t size) override {
    if (!open_) throw std::system_error(asio::error::not_connected);
    if (skip_ > 0) {
      if (size < skip_) throw std::system_error(std::make_error_code(std::errc::protocol_error));
      const std::array<asio::const_buffer, 2> buffers{asio::buffer(line_), asio::buffer(data + skip_, size - skip_)};
      skip_ = 0;
      co_await asio::async_write(upstream_, buffers, use_awaitable);
    } else {
      co_await asio::async_write(upstream_, asio::buffer(data, size), use_awaitable);
    }
    activity_.seen = true;
  }

  // The request direction, then what ends the connection: the reply to a refused request (after
  // every earlier response has reached the client), or the client's end passed on.
  asio::awaitable<void> requests(unsigned short client_port) {
    std::optional<std::string> reply;
    try {
      reply = co_await guard_requests(*this, shared_, client_port);
    } catch (const std::system_error&) {
      // The endpoint went away under an allowed request: the client sees the connection end.
    }
    co_await release_upstream();
    std::error_code ec;
    if (reply && !reply->empty()) co_await asio::async_write(client_, asio::buffer(*reply), asio::redirect_error(use_awaitable, ec));
    client_.shutdown(tcp::socket::shutdown_send, ec);
    co_await linger(client_);
  }

  // The response direction: whatever the current endpoint sends is copied to the client. An
  // endpoint that ends its side (Connection: close) ends the client's; one we are leaving for
  // another host does not.
  asio::awaitable<void> responses() {
    constexpr std::size_t kChunk = 64 * 1024;
    std::unique_ptr<char[]> data(new char[kChunk]);
    for (;;) {
      while (!open_) co_await changed_.wait();
      for (;;) {
        std::error_code ec;
        const std::size_t n =
            co_await upstream_.async_read_some(asio::buffer(data.get(), kChunk), asio::redirect_error(use_awaitable, ec));
        if (ec) break;
        activity_.seen = true;
        co_await asio::async_write(client_, asio::buffer(data.get(), n), use_awaitable);
      }
      std::error_code ignored;
      upstream_.close(ignored);
      open_ = false;
      changed_.notify();
      if (!leaving_) {
        client_.shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
      leaving_ = false;
    }
  }

 private:
  // Ends the endpoint connection in use: our side is closed for sending and its responses are
  // copied to the client until it closes, so nothing of an earlier response is cut off.
  asio::awaitable<void> release_upstream() {
    if (!open_) co_return;
    leaving_ = true;
    std::error_code ignored;
    upstream_.shutdown(tcp::socket::shutdown_send, ignored);
    while (open_) co_await changed_.wait();
  }

  asio::awaitable<std::optional<std::string>> connect_to(const std::string& authority) {
    std::string host, port;
    if (!split_authority(authority, host, port)) co_return plain_reply("400 Bad Request", "malformed host in the request target");
    co_return co_await connect_to(host, port, authority);
  }

  // Connects upstream_ to host:port, which `key` then names (the target's authority, or
  // kThroughCallersProxy).
  asio::awaitable<std::optional<std::string>> connect_to(const std::string& host, const std::string& port,
                                                         const std::string& key) {
    tcp::resolver resolver(client_.get_executor());
    std::error_code ec;
    auto results = co_await resolver.async_resolve(host, port, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return plain_reply("502 Bad Gateway", "cannot resolve " + host);
    std::vector<tcp::endpoint> endpoints;
    for (const auto& r : results)
      // Never ourselves: a request naming the proxy would loop through it.
      if (!(r.endpoint().address().is_loopback() && r.endpoint().port() == shared_.port)) endpoints.push_back(r.endpoint());
    if (endpoints.empty()) co_return plain_reply("400 Bad Request", "the request names the proxy itself");
    co_await asio::async_connect(upstream_, endpoints, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return plain_reply("502 Bad Gateway", "cannot connect to " + host + ":" + port + " (" + ec.message() + ")");
    upstream_.set_option(tcp::no_delay(true), ec);
    authority_ = key;
    open_ = true;
    changed_.notify();
    co_return std::nullopt;
  }

  tcp::socket& client_;
  std::string first_;
  ProxyShared& shared_;
  Activity& activity_;
  tcp::socket upstream_;
  std::string authority_;  // the host[:port] upstream_ is connected to (lower case), or kThroughCallersProxy
  bool open_ = false;      // upstream_ is connected and its responses are being copied
  bool leaving_ = false;   // we ended our side of upstream_ to change hosts or finish
  Signal changed_;         // open_ changed
  std::string line_;       // the next request's line in origin-form ...
  std::size_t skip_ = 0;   // ... replacing this many bytes at the start of its next write
};

}  // namespace

asio::awaitable<void> serve_forward(tcp::socket& client, std::string first_bytes, ProxyShared& shared, Activity& activity,
                                    unsigned short client_port) {
  ForwardRelay relay(client, std::move(first_bytes), shared, activity);
  co_await (relay.requests(client_port) || relay.responses());
}

}  // namespace agentguard::proxy
