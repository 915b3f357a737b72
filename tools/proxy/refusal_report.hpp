#pragma once
// Records a refused (or logged) request the way the preload's TLS hooks do: by running
// `$AGENTGUARD_GATE --report-http ...`, which writes the audit record and wakes the notifier.
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace agentguard::proxy {

struct RequestReport {
  std::string decision;  // deny, ask, log
  std::string rule_id;
  std::string service;
  std::string operation;
  std::string protocol;
  std::string endpoint;  // host + path
  std::string message;   // the sentence inside the reply
  pid_t client_pid = 0;  // the process that made the connection, 0 when not found
};

// Blocking: spawns the gate and waits for it. False when there is no gate or it failed (the
// sentence then goes to stderr, like the hooks' fallback).
bool report_request(const RequestReport& report);

// The process that owns the TCP connection from 127.0.0.1:client_port to our listening port, found
// through /proc/net/tcp{,6} and /proc/*/fd (the agent's processes run as our user). 0 if not found.
pid_t find_client_pid(std::uint16_t client_port, std::uint16_t proxy_port);

}  // namespace agentguard::proxy
