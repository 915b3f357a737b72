#pragma once
// Static programs carry no preload, so nothing redirects their connects: a Go program (terraform's
// s3 backend, Go AWS tools) is steered through the session's inspecting proxy by the variables its
// runtime honours (docs/https-guard.md §1d).
#include <string>
#include <vector>

namespace agentguard::gate {

// With AGENTGUARD_PROXY in `env`: HTTPS_PROXY/https_proxy name the proxy, NO_PROXY/no_proxy are
// removed (the agent cannot exempt a host), and SSL_CERT_FILE is the session's trust bundle
// (the system store, the CAs the session started with, and the session CA). Unchanged otherwise.
void steer_to_proxy(std::vector<std::string>& env);

}  // namespace agentguard::gate
