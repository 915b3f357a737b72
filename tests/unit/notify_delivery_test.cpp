// 32 processes blocked at once: every event reaches the webhook through the real detached
// notifier that report() wakes (build/bin/agentguard notify flush --background).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "events/audit_log.hpp"
#include "events/event.hpp"
#include "events/spool.hpp"
#include "events_test_support.hpp"

namespace agentguard::notify {
namespace {

// A tiny loopback webhook: answers 200 to every POST and records the event ids it carried.
class RecordingWebhook {
 public:
  RecordingWebhook() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd_, 128) != 0)
      throw std::runtime_error("cannot listen on loopback");
    socklen_t size = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~RecordingWebhook() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::multiset<std::string> ids() {
    std::lock_guard<std::mutex> lock(mutex_);
    return ids_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      handle(client);
      ::close(client);
    }
  }
  void handle(int client) {
    std::string data;
    char buffer[8192];
    size_t body_start = std::string::npos, length = 0;
    while (true) {
      pollfd p{client, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return;
      ssize_t n = ::read(client, buffer, sizeof buffer);
      if (n <= 0) return;
      data.append(buffer, static_cast<size_t>(n));
      if (body_start == std::string::npos && (body_start = data.find("\r\n\r\n")) != std::string::npos) {
        body_start += 4;
        auto header = data.find("Content-Length: ");
        if (header == std::string::npos) header = data.find("content-length: ");
        length = header == std::string::npos ? 0 : std::stoul(data.substr(header + 16));
      }
      if (body_start != std::string::npos && data.size() >= body_start + length) break;
    }
    auto body = nlohmann::json::parse(data.substr(body_start, length), nullptr, false);
    if (!body.is_discarded()) {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto& id : body.value("event_ids", nlohmann::json::array())) ids_.insert(id.get<std::string>());
    }
    const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)::write(client, answer, sizeof answer - 1);
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::multiset<std::string> ids_;
};

TEST(NotifyDelivery, ThirtyTwoConcurrentRefusalsAreAllDeliveredOnce) {
  const std::string cli = std::string(AGENTGUARD_BUILD_DIR) + "/bin/agentguard";
  if (::access(cli.c_str(), X_OK) != 0) GTEST_SKIP() << "needs the agentguard CLI at " << cli;
  testing::TempStateDir state;
  RecordingWebhook webhook;
  ::setenv("AGENTGUARD_WEBHOOK_URL", webhook.url().c_str(), 1);

  constexpr int kProcesses = 32;
  int start_gate[2];
  ASSERT_EQ(::pipe(start_gate), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(start_gate[1]);
      char byte;
      (void)::read(start_gate[0], &byte, 1);
      events::Event event = events::make_event();
      event.argv = {"terraform", "destroy", "-target=module.m" + std::to_string(i)};  // distinct: no folding
      event.decision = "deny";
      event.rule_id = "terraform.destroy";
      ::_exit(events::report(event) ? 0 : 1);
    }
    children.push_back(pid);
  }
  ::close(start_gate[0]);
  ::close(start_gate[1]);
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  ::unsetenv("AGENTGUARD_WEBHOOK_URL");

  std::set<std::string> logged;
  for (const auto& line : events::read_audit_lines(events::audit_log_path(state.path())))
    logged.insert((*line.record)["event"]["id"].get<std::string>());
  ASSERT_EQ(logged.size(), static_cast<size_t>(kProcesses));

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline &&
         (webhook.ids().size() < logged.size() || !events::list_spool(state.path()).empty()))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto received = webhook.ids();
  EXPECT_EQ(std::set<std::string>(received.begin(), received.end()), logged);
  EXPECT_EQ(received.size(), logged.size()) << "an event was delivered twice";
  EXPECT_TRUE(events::list_spool(state.path()).empty());
}

}  // namespace
}  // namespace agentguard::notify
