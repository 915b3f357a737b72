#pragma once
// Plain http:// through the proxy as a forward proxy: what a client sends when HTTP_PROXY names
// us (the gate sets it for every static launch, whose connects no preload redirects; Go's
// net/http honours it). Each request comes in absolute-form ("POST http://host:port/ HTTP/1.1"),
// is classified and decided by the same core as a decrypted one (refused with the service's
// AccessDenied, recorded), and, allowed, goes to the host it names in origin-form. Requests that
// are not AWS calls pass (the classifier says so); the connection to the host is kept alive and
// changed when a request names another host (docs/https-guard.md §1d).
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <string>

#include "idle_watch.hpp"
#include "proxy_config.hpp"

namespace agentguard::proxy {

// `first_bytes`: what was already read from `client` to tell how it came (the request's start).
asio::awaitable<void> serve_forward(asio::ip::tcp::socket& client, std::string first_bytes, ProxyShared& shared,
                                    Activity& activity, unsigned short client_port);

}  // namespace agentguard::proxy
