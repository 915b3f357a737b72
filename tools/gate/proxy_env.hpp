#pragma once
// Static programs carry no preload, so nothing redirects their connects: a Go program (terraform's
// s3 backend, Go AWS tools) is steered through the session's inspecting proxy by the variables its
// runtime honours (docs/https-guard.md §1d).
#include <string>
#include <vector>

namespace agentguard::gate {

// With AGENTGUARD_PROXY in `env`: HTTPS_PROXY/https_proxy and HTTP_PROXY/http_proxy name the proxy
// (a proxy the caller had set is replaced: the session proxy connects directly), NO_PROXY/no_proxy
// and ALL_PROXY are removed (the agent cannot exempt a host), and SSL_CERT_FILE is the session's trust bundle
// (the system store, the CAs the session started with, and the session CA). Unchanged otherwise.
void steer_to_proxy(std::vector<std::string>& env);

}  // namespace agentguard::gate
