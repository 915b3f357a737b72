#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>

#include "events/audit_log.hpp"
#include "events/event.hpp"
#include "events/spool.hpp"
#include "events_test_support.hpp"

namespace agentguard::events {
namespace {

// A loopback port that accepts connections (the kernel completes the handshake into the backlog)
// but never reads or answers: a webhook that hangs.
class HangingListener {
 public:
  HangingListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd_, 64) != 0)
      throw std::runtime_error("cannot listen on loopback");
    socklen_t size = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
  }
  ~HangingListener() { ::close(fd_); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(EventsReport, ReturnsWithinASecondWhileTheWebhookHangs) {
  testing::TempStateDir state;
  HangingListener webhook;
  ::setenv("AGENTGUARD_WEBHOOK_URL", webhook.url().c_str(), 1);
  std::vector<double> millis;
  for (int i = 0; i < 20; ++i) {
    Event event = make_event();
    event.argv = {"terraform", "destroy"};
    event.decision = "deny";
    event.rule_id = "terraform.destroy";
    auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE(report(event));
    millis.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
  }
  ::unsetenv("AGENTGUARD_WEBHOOK_URL");
  std::sort(millis.begin(), millis.end());
  std::cout << "report() with a hanging webhook: median " << (millis[9] + millis[10]) / 2 << " ms, max " << millis.back()
            << " ms over 20 runs\n";
  EXPECT_LT(millis.back(), 1000.0);
  EXPECT_TRUE(verify_audit_log(audit_log_path(state.path())).ok);
  EXPECT_EQ(verify_audit_log(audit_log_path(state.path())).records, 20u);
  // Every event is durable before any send, and the hanging webhook took none of them.
  EXPECT_EQ(list_spool(state.path()).size(), 20u);
}

TEST(EventsReport, ArgvThatIsNotUtf8IsStillRecorded) {
  testing::TempStateDir state;
  ::unsetenv("AGENTGUARD_WEBHOOK_URL");
  Event event = make_event();
  event.argv = {"terraform", "destroy", std::string("-target=\xff\xfe")};
  event.decision = "deny";
  EXPECT_TRUE(report(event));
  auto result = verify_audit_log(audit_log_path(state.path()));
  EXPECT_TRUE(result.ok) << result.problem;
  EXPECT_EQ(result.records, 1u);
  EXPECT_EQ(list_spool(state.path()).size(), 1u);
}

}  // namespace
}  // namespace agentguard::events
