#pragma once
// For `agentguard demo`: a loopback webhook receiver standing in for the human's phone. It accepts
// POSTs on 127.0.0.1, answers 200 and keeps the bodies.
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace agentguard::cli {

class DemoReceiver {
 public:
  DemoReceiver();   // throws std::runtime_error if it cannot listen
  ~DemoReceiver();
  DemoReceiver(const DemoReceiver&) = delete;
  DemoReceiver& operator=(const DemoReceiver&) = delete;

  std::string url() const;
  // Waits up to `seconds` for a body containing `needle`; returns it, or "" on timeout.
  std::string wait_for(const std::string& needle, int seconds);

 private:
  void serve();
  int listener_ = -1;
  int port_ = 0;
  bool stopping_ = false;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

}  // namespace agentguard::cli
