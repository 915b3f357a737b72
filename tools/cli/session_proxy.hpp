#pragma once
// The session's inspecting proxy (docs/https-guard.md §1d), started before the agent and ended
// with the session: its standard input is a pipe only `agentguard run` holds.
#include <sys/types.h>

#include "session.hpp"

namespace agentguard::cli {

struct SessionProxy {
  pid_t pid = -1;
  int keepalive_fd = -1;  // closing it ends the proxy
};

// Starts agentguard-proxy, writes the trust bundles and sets the session's variables:
// AGENTGUARD_PROXY, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS (and AWS_CA_BUNDLE when the caller had one).
// If the proxy cannot start, AGENTGUARD_PROXY says so and redirected connections fail (closed);
// a warning says why.
SessionProxy start_session_proxy(Session& session);

// Closes the pipe and reaps the proxy.
void stop_session_proxy(SessionProxy& proxy);

}  // namespace agentguard::cli
