#include "idle_watch.hpp"

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace agentguard::proxy {

asio::awaitable<void> watch_idle(Activity& activity, std::chrono::milliseconds timeout) {
  constexpr int kTicks = 4;
  const auto tick = std::max(timeout / kTicks, std::chrono::milliseconds(1));
  asio::steady_timer timer(co_await asio::this_coro::executor);
  int quiet = 0;
  while (quiet < kTicks) {
    timer.expires_after(tick);
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // cancelled: the connection ended first
    quiet = activity.seen || activity.exempt ? 0 : quiet + 1;
    activity.seen = false;
  }
}

}  // namespace agentguard::proxy
