#pragma once
// One TLS connection of the proxy: OpenSSL over an Asio TCP socket, through a BIO whose buffers
// are ours.
//
// Why not asio::ssl::stream: its engine moves at most one 17 KiB record per socket read and per
// socket write, each through a scheduler round trip, so a 200 MB upload cost the proxy ~30 us
// of CPU per 16 KiB and ran at 0.6x. Here one socket read takes whatever has arrived (up to
// kReadChunk, many records), every record already received is decrypted before the next read,
// and one write of plaintext leaves as a single send of all its records. Socket calls are made
// directly on the non-blocking socket; the event loop is only waited on when they would block.
//
// One reader and one writer may use a stream at the same time (one io_context thread): the
// reader never waits for the socket to take bytes (see flush_from_reader).
#include <openssl/ssl.h>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <cstddef>
#include <memory>
#include <system_error>
#include <vector>

#include "idle_watch.hpp"

namespace agentguard::proxy {

class TlsStream {
 public:
  enum class Role { client, server };

  // Takes the socket; makes the SSL from ctx. Throws std::runtime_error when OpenSSL cannot.
  TlsStream(asio::ip::tcp::socket socket, SSL_CTX* ctx);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  SSL* native_handle() const { return ssl_; }
  // Socket reads and writes that move bytes set activity->seen (the idle timeout, idle_watch.hpp).
  void count_activity_in(Activity* activity) { activity_ = activity; }
  asio::ip::tcp::socket& socket() { return socket_; }

  // The whole handshake; an error code (never throws for TLS or socket failures).
  asio::awaitable<std::error_code> handshake(Role role);

  // Some plaintext: at least one byte, at most `size`. Throws std::system_error: asio::error::eof
  // after the peer's close_notify, asio::ssl::error::stream_truncated when TCP ends without it.
  asio::awaitable<std::size_t> read_some(char* data, std::size_t size);

  // All of `data`, encrypted and handed to the socket. Throws std::system_error.
  asio::awaitable<void> write(const char* data, std::size_t size);

  // Sends close_notify (best effort) without waiting for the peer's.
  asio::awaitable<void> shutdown();

  // The BIO's buffers (public for the BIO callbacks in tls_stream.cpp).
  struct Buffers {
    std::unique_ptr<char[]> in;  // ciphertext received, [in_begin, in_end) not yet read by OpenSSL
    std::size_t in_begin = 0, in_end = 0;
    bool in_eof = false;         // the peer ended TCP
    std::vector<char> out;       // ciphertext made by OpenSSL, from out_begin not yet sent
    std::size_t out_begin = 0;
  };

 private:
  asio::awaitable<std::error_code> fill();   // one socket read (waiting for readiness)
  asio::awaitable<std::error_code> flush();  // everything OpenSSL made, onto the socket
  bool send_ready_bytes(std::error_code& ec);  // what the socket takes now; true when all went
  void flush_from_reader();

  asio::ip::tcp::socket socket_;
  SSL* ssl_ = nullptr;
  Buffers buffers_;
  Activity* activity_ = nullptr;
  bool drained_ = false;        // the last socket read took less than it asked for
  bool flushing_ = false;       // a writer is waiting for the socket to take bytes
  asio::steady_timer flushed_;  // cancelled when that writer is done (a condition variable)
};

}  // namespace agentguard::proxy
