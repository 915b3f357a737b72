#include "demo_receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

namespace agentguard::cli {

DemoReceiver::DemoReceiver() {
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listener_, 16) != 0 ||
      getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("the demo cannot listen on 127.0.0.1");
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

DemoReceiver::~DemoReceiver() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  shutdown(listener_, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  close(listener_);
}

std::string DemoReceiver::url() const { return "json:http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

void DemoReceiver::serve() {
  for (;;) {
    pollfd p{listener_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      continue;
    }
    const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      continue;
    }
    std::string data;
    char buf[8192];
    size_t header_end = std::string::npos, length = 0;
    while (true) {
      pollfd c{fd, POLLIN, 0};
      if (poll(&c, 1, 5000) <= 0) break;
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
      if (header_end == std::string::npos && (header_end = data.find("\r\n\r\n")) != std::string::npos) {
        for (const char* key : {"Content-Length:", "content-length:"})
          if (auto at = data.find(key); at != std::string::npos && at < header_end)
            length = std::strtoul(data.c_str() + at + 15, nullptr, 10);
      }
      if (header_end != std::string::npos && data.size() >= header_end + 4 + length) break;
    }
    const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    (void)!write(fd, reply, sizeof reply - 1);
    close(fd);
    if (header_end != std::string::npos) {
      std::lock_guard lock(mutex_);
      bodies_.push_back(data.substr(header_end + 4));
      arrived_.notify_all();
    }
  }
}

std::string DemoReceiver::wait_for(const std::string& needle, int seconds) {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (true) {
    for (const auto& b : bodies_)
      if (b.find(needle) != std::string::npos) return b;
    if (arrived_.wait_until(lock, deadline) == std::cv_status::timeout) return {};
  }
}

}  // namespace agentguard::cli
