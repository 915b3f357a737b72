#include "linger.hpp"

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <array>
#include <chrono>

namespace agentguard::proxy {

using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

asio::awaitable<void> linger(tcp::socket& socket) {
  std::error_code ignored;
  socket.non_blocking(true, ignored);  // a read after a wake-up never blocks the io thread
  asio::steady_timer timer(socket.get_executor());
  timer.expires_after(std::chrono::seconds(3));
  auto discard = [&socket]() -> asio::awaitable<void> {
    std::array<char, 16 * 1024> sink;
    std::error_code ec;
    for (;;) {
      co_await socket.async_wait(tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      const std::size_t n = socket.read_some(asio::buffer(sink), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
      if (ec || n == 0) co_return;
    }
  };
  std::error_code ec;
  co_await (discard() || timer.async_wait(asio::redirect_error(asio::use_awaitable, ec)));
}

}  // namespace agentguard::proxy
