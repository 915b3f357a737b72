#include "tls_stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <asio/redirect_error.hpp>
#include <asio/ssl/error.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace agentguard::proxy {
namespace {

using asio::ip::tcp;
using Buffers = TlsStream::Buffers;

// One socket read takes up to this much ciphertext (eight full records).
constexpr std::size_t kReadChunk = 128 * 1024;

// The BIO between OpenSSL and our buffers: writes append to `out`, reads take from `in` and ask
// to be retried when it is empty (OpenSSL then answers SSL_ERROR_WANT_READ).
int bio_write(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
  auto* b = static_cast<Buffers*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  b->out.insert(b->out.end(), data, data + size);
  *written = size;
  return 1;
}

int bio_read(BIO* bio, char* data, std::size_t size, std::size_t* read) {
  auto* b = static_cast<Buffers*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  const std::size_t available = b->in_end - b->in_begin;
  *read = 0;
  if (available == 0) {
    if (!b->in_eof) BIO_set_retry_read(bio);
    return 0;
  }
  const std::size_t n = std::min(size, available);
  std::memcpy(data, b->in.get() + b->in_begin, n);
  b->in_begin += n;
  if (b->in_begin == b->in_end) b->in_begin = b->in_end = 0;
  *read = n;
  return 1;
}

long bio_ctrl(BIO* bio, int cmd, long, void*) {
  auto* b = static_cast<Buffers*>(BIO_get_data(bio));
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // sending is ours (flush()); OpenSSL's flush after a flight only marks the point
    case BIO_CTRL_PENDING:
      return static_cast<long>(b->in_end - b->in_begin);
    case BIO_CTRL_WPENDING:
      return static_cast<long>(b->out.size() - b->out_begin);
    case BIO_CTRL_EOF:
      return b->in_eof && b->in_begin == b->in_end ? 1 : 0;
    default:
      return 0;
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* buffers_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "agentguard-proxy buffers");
    if (m == nullptr) return m;
    BIO_meth_set_write_ex(m, bio_write);
    BIO_meth_set_read_ex(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

std::error_code ssl_error() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return std::make_error_code(std::errc::protocol_error);
  return std::error_code(static_cast<int>(e), asio::error::get_ssl_category());
}

bool would_block(const std::error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

}  // namespace

TlsStream::TlsStream(tcp::socket socket, SSL_CTX* ctx) : socket_(std::move(socket)), flushed_(socket_.get_executor()) {
  flushed_.expires_at(asio::steady_timer::time_point::max());
  buffers_.in.reset(new char[kReadChunk]);
  BIO_METHOD* method = buffers_method();
  ssl_ = method != nullptr ? SSL_new(ctx) : nullptr;
  if (ssl_ == nullptr) throw std::runtime_error("cannot make a TLS connection");
  BIO* bio = BIO_new(method);
  if (bio == nullptr) {
    SSL_free(ssl_);
    throw std::runtime_error("cannot make a TLS connection's BIO");
  }
  BIO_set_data(bio, &buffers_);
  SSL_set_bio(ssl_, bio, bio);  // the same BIO both ways: one reference, owned by the SSL
  std::error_code ec;
  socket_.non_blocking(true, ec);
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

asio::awaitable<std::error_code> TlsStream::fill() {
  Buffers& b = buffers_;
  if (b.in_begin > 0) {
    std::memmove(b.in.get(), b.in.get() + b.in_begin, b.in_end - b.in_begin);
    b.in_end -= b.in_begin;
    b.in_begin = 0;
  }
  if (b.in_end == kReadChunk) co_return std::error_code();
  // The last read took less than it could: the socket was empty then, and a read now would most
  // likely fail (EAGAIN) before the wait that follows it. Wait first: a wait completes at once
  // when the socket is already readable (asio re-arms the descriptor for it), so nothing is missed.
  if (drained_) co_await socket_.async_wait(tcp::socket::wait_read, asio::use_awaitable);
  for (;;) {
    std::error_code ec;
    const std::size_t space = kReadChunk - b.in_end;
    const std::size_t n = socket_.read_some(asio::buffer(b.in.get() + b.in_end, space), ec);
    if (!ec) {
      if (activity_ != nullptr) activity_->seen = true;
      b.in_end += n;
      drained_ = n < space;
      co_return ec;
    }
    if (ec == asio::error::eof) b.in_eof = true;
    if (!would_block(ec)) co_return ec;
    co_await socket_.async_wait(tcp::socket::wait_read, asio::use_awaitable);
  }
}

bool TlsStream::send_ready_bytes(std::error_code& ec) {
  Buffers& b = buffers_;
  while (b.out_begin < b.out.size()) {
    const std::size_t n = socket_.write_some(asio::buffer(b.out.data() + b.out_begin, b.out.size() - b.out_begin), ec);
    if (ec) {
      if (would_block(ec)) ec.clear();
      return false;
    }
    b.out_begin += n;
    if (activity_ != nullptr) activity_->seen = true;
  }
  b.out.clear();
  b.out_begin = 0;
  return true;
}

asio::awaitable<std::error_code> TlsStream::flush() {
  // Another writer is waiting for the socket: its loop sends our bytes too, in order.
  while (flushing_) {
    std::error_code woken;
    co_await flushed_.async_wait(asio::redirect_error(asio::use_awaitable, woken));
  }
  std::error_code ec;
  if (send_ready_bytes(ec) || ec) co_return ec;
  flushing_ = true;
  struct Done {
    TlsStream* self;
    ~Done() {
      self->flushing_ = false;
      self->flushed_.cancel();
    }
  } done{this};
  for (;;) {
    co_await socket_.async_wait(tcp::socket::wait_write, asio::use_awaitable);
    if (send_ready_bytes(ec) || ec) co_return ec;
  }
}

// What OpenSSL wrote while reading (an alert): sent if the socket takes it now, else by the next
// write. A reader never waits for the peer to read: the peer may be waiting for us to read.
void TlsStream::flush_from_reader() {
  if (flushing_) return;
  std::error_code ec;
  send_ready_bytes(ec);
}

asio::awaitable<std::error_code> TlsStream::handshake(Role role) {
  if (role == Role::client)
    SSL_set_connect_state(ssl_);
  else
    SSL_set_accept_state(ssl_);
  for (;;) {
    ERR_clear_error();
    const int r = SSL_do_handshake(ssl_);
    const int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
    std::error_code failure;
    if (err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ)
      failure = buffers_.in_eof && err == SSL_ERROR_SYSCALL ? std::error_code(asio::error::eof) : ssl_error();
    // The flight OpenSSL made (or its alert) goes out first.
    std::error_code ec = co_await flush();
    if (failure) co_return failure;
    if (ec) co_return ec;
    if (r == 1) co_return ec;
    ec = co_await fill();
    if (ec && ec != asio::error::eof) co_return ec;  // at EOF OpenSSL sees the end itself
  }
}

asio::awaitable<std::size_t> TlsStream::read_some(char* data, std::size_t size) {
  for (;;) {
    // Nothing to decrypt yet (the usual case: the last read took everything): wait for bytes
    // first instead of a read that fails with WANT_READ (~2 k instructions and an error).
    if (buffers_.in_begin == buffers_.in_end && !buffers_.in_eof && SSL_has_pending(ssl_) == 0) {
      const std::error_code ec = co_await fill();
      if (ec && ec != asio::error::eof) throw std::system_error(ec);
    }
    ERR_clear_error();
    std::size_t got = 0;
    const int r = SSL_read_ex(ssl_, data, size, &got);
    if (r == 1) {
      // The records already here are decrypted too: one wake-up hands on all it can. Only while
      // there is more: a read that finds nothing costs OpenSSL ~2 k instructions and an error to
      // clear, on every kept-alive request.
      while (got < size && (SSL_pending(ssl_) > 0 || buffers_.in_end > buffers_.in_begin)) {
        std::size_t more = 0;
        if (SSL_read_ex(ssl_, data + got, size - got, &more) != 1) {
          ERR_clear_error();
          break;
        }
        got += more;
      }
      if (buffers_.out_begin < buffers_.out.size()) flush_from_reader();
      co_return got;
    }
    const int err = SSL_get_error(ssl_, r);
    if (buffers_.out_begin < buffers_.out.size()) flush_from_reader();
    if (err == SSL_ERROR_ZERO_RETURN) throw std::system_error(asio::error::eof);
    if (err != SSL_ERROR_WANT_READ) {
      if (buffers_.in_eof) throw std::system_error(asio::ssl::error::stream_truncated);
      throw std::system_error(ssl_error());
    }
    const std::error_code ec = co_await fill();
    if (ec && ec != asio::error::eof) throw std::system_error(ec);
  }
}

asio::awaitable<void> TlsStream::write(const char* data, std::size_t size) {
  if (size > 0) {
    ERR_clear_error();
    std::size_t written = 0;
    if (SSL_write_ex(ssl_, data, size, &written) != 1 || written != size) throw std::system_error(ssl_error());
  }
  const std::error_code ec = co_await flush();
  if (ec) throw std::system_error(ec);
}

asio::awaitable<void> TlsStream::shutdown() {
  if (SSL_is_init_finished(ssl_)) {
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
  }
  try {
    co_await flush();
  } catch (const std::system_error&) {
  }
}

}  // namespace agentguard::proxy
