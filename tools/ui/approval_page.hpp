#pragma once
// The approval page's server: agentguard-ui, which `agentguard ui` starts. It is a program of its
// own so that cpp-httplib (and the libssl, zlib and brotli it brings, and the OpenSSL set-up its
// constructor runs) is loaded by this one command, not by every `agentguard` start.
namespace agentguard::ui_server {

// Serves the page on 127.0.0.1:port (0: any free port) and prints the one-time login link; returns
// only when the server cannot start (1).
int serve_approval_page(int port);

}  // namespace agentguard::ui_server
