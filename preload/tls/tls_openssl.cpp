// OpenSSL hooks (libssl.so.3 and 1.1 share these signatures). Pointers are opaque to us: we never
// include or link OpenSSL. See docs/https-guard.md for the engine they drive.
#include <errno.h>
#include <limits.h>

#include <cstddef>

#include "tls_alpn.hpp"
#include "tls_connection.hpp"
#include "tls_real.hpp"
#include "tls_rules.hpp"
#include "tls_sessions.hpp"

using agentguard::preload::TlsFn;
using agentguard::preload::tls_real;

namespace {

namespace ag = agentguard::preload;

constexpr int kSslErrorSsl = 1;         // SSL_ERROR_SSL
constexpr int kSslErrorZeroReturn = 6;  // SSL_ERROR_ZERO_RETURN: the peer closed cleanly

using WriteFn = int (*)(void*, const void*, int);
using WriteExFn = int (*)(void*, const void*, std::size_t, std::size_t*);
using ReadFn = int (*)(void*, void*, int);
using ReadExFn = int (*)(void*, void*, std::size_t, std::size_t*);
using GetErrorFn = int (*)(const void*, int);
using FreeFn = void (*)(void*);
using NewFn = void* (*)(void*);
using AlpnFn = int (*)(void*, const unsigned char*, unsigned int);
using GetFdFn = int (*)(const void*);
using BioMethodTypeFn = int (*)(const void*);
using BioCtrlFn = long (*)(void*, int, long, void*);
using BioClearFlagsFn = void (*)(void*, int);

constexpr int kBioTypeSsl = 7 | 0x0200;  // BIO_TYPE_SSL: number 7, a filter
constexpr int kBioCtrlGetSsl = 110;      // BIO_C_GET_SSL (BIO_get_ssl)
constexpr int kBioRetryFlags = 0x01 | 0x02 | 0x04 | 0x08;  // BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY

// The real SSL_write / BIO_write (same signature), for the engine's pass and replay steps.
template <TlsFn kReal>
long write_through_int(void* target, const char* data, std::size_t n) {
  auto real = tls_real<WriteFn>(kReal);
  if (real == nullptr) return -1;
  return real(target, data, n > INT_MAX ? INT_MAX : static_cast<int>(n));
}

// The real SSL_write_ex / BIO_write_ex (same signature).
template <TlsFn kReal>
long write_through_ex(void* target, const char* data, std::size_t n) {
  auto real = tls_real<WriteExFn>(kReal);
  if (real == nullptr) return 0;
  std::size_t written = 0;
  if (real(target, data, n, &written) != 1) return 0;
  return static_cast<long>(written);
}

int socket_of(void* ssl) {
  auto real = tls_real<GetFdFn>(TlsFn::SSL_get_rfd);
  return real != nullptr ? real(ssl) : -1;
}

ag::TlsConnection* refused_connection(const void* ssl);

// The SSL* of an SSL BIO (BIO_f_ssl), or nullptr for any other BIO. Programs that write through
// an SSL BIO never call SSL_write: the BIO calls libssl's internal write, which no hook sees, so
// these requests are inspected at BIO_write, keyed by the same SSL* as SSL_write would be.
void* ssl_of_bio(void* bio) {
  if (bio == nullptr) return nullptr;
  auto type = tls_real<BioMethodTypeFn>(TlsFn::BIO_method_type);
  auto ctrl = tls_real<BioCtrlFn>(TlsFn::BIO_ctrl);
  if (type == nullptr || ctrl == nullptr || type(bio) != kBioTypeSsl) return nullptr;
  void* ssl = nullptr;
  ctrl(bio, kBioCtrlGetSsl, 0, &ssl);
  return ssl;
}

int socket_of_bio(void* bio) {
  void* ssl = ssl_of_bio(bio);
  return ssl != nullptr ? socket_of(ssl) : -1;
}

// A refused connection's SSL BIO: its retry flags are cleared, so the caller sees the reply and
// then a plain end of stream rather than "try again".
ag::TlsConnection* refused_bio(void* bio) {
  if (!ag::api_rules().inspect) return nullptr;
  void* ssl = ssl_of_bio(bio);
  ag::TlsConnection* c = ssl != nullptr ? refused_connection(ssl) : nullptr;
  if (c != nullptr) {
    if (auto clear = tls_real<BioClearFlagsFn>(TlsFn::BIO_clear_flags)) clear(bio, kBioRetryFlags);
  }
  return c;
}

// The connection of a guarded process, created on its first write; nullptr when not inspecting.
// *failed is set when inspection is on but no state could be made (fail closed).
ag::TlsConnection* connection_for_write(void* ssl, bool* failed) {
  *failed = false;
  if (!ag::api_rules().inspect) return nullptr;
  ag::TlsConnection* c = ag::find_or_create_connection(ssl);
  if (c == nullptr) *failed = true;
  return c;
}

ag::TlsConnection* refused_connection(const void* ssl) {
  ag::TlsConnection* c = ag::find_connection(ssl);
  return (c != nullptr && c->refused) ? c : nullptr;
}

int set_alpn(TlsFn fn, void* target, const unsigned char* protos, unsigned int len) {
  auto real = tls_real<AlpnFn>(fn);
  if (real == nullptr) return 1;  // these two return 0 on success
  if (protos == nullptr || len == 0 || !ag::api_rules().inspect) return real(target, protos, len);
  unsigned char filtered[512];
  std::size_t n = ag::filter_alpn_wire(protos, len, filtered, sizeof filtered);
  return real(target, filtered, static_cast<unsigned int>(n));
}

// The hooks' two shapes, shared by SSL_* and BIO_* (same signatures). `target` is what the
// caller passed (an SSL or a BIO); `ssl` is the connection's key, or nullptr when this write is
// not inspected.
template <TlsFn kReal>
int hook_int_write(void* target, void* ssl, const void* buf, int num, int (*socket)(void*)) {
  bool failed = false;
  ag::TlsConnection* c = ssl != nullptr ? connection_for_write(ssl, &failed) : nullptr;
  if (failed) {
    errno = ENOMEM;
    return -1;
  }
  if (c == nullptr) {
    auto real = tls_real<WriteFn>(kReal);
    return real != nullptr ? real(target, buf, num) : -1;
  }
  ag::TlsTransport t{target, &write_through_int<kReal>, socket};
  return static_cast<int>(ag::guarded_write(*c, t, static_cast<const char*>(buf), static_cast<std::size_t>(num)));
}

template <TlsFn kReal>
int hook_ex_write(void* target, void* ssl, const void* buf, std::size_t num, std::size_t* written,
                  int (*socket)(void*)) {
  bool failed = false;
  ag::TlsConnection* c = ssl != nullptr ? connection_for_write(ssl, &failed) : nullptr;
  if (failed) errno = ENOMEM;
  if (failed || c == nullptr) {
    auto real = failed ? nullptr : tls_real<WriteExFn>(kReal);
    if (real == nullptr) {
      if (written != nullptr) *written = 0;
      return 0;
    }
    return real(target, buf, num, written);
  }
  ag::TlsTransport t{target, &write_through_ex<kReal>, socket};
  long r = ag::guarded_write(*c, t, static_cast<const char*>(buf), num);
  if (written != nullptr) *written = r > 0 ? static_cast<std::size_t>(r) : 0;
  return r > 0 ? 1 : 0;
}

// Reads: a refused connection reads the synthetic reply; any other goes to the real call.
template <TlsFn kReal>
int hook_int_read(void* target, ag::TlsConnection* refused, void* buf, int num) {
  if (refused != nullptr) {
    if (num <= 0) return 0;
    return static_cast<int>(ag::read_reply(*refused, static_cast<char*>(buf), static_cast<std::size_t>(num)));
  }
  auto real = tls_real<ReadFn>(kReal);
  return real != nullptr ? real(target, buf, num) : -1;
}

template <TlsFn kReal>
int hook_ex_read(void* target, ag::TlsConnection* refused, void* buf, std::size_t num, std::size_t* readbytes) {
  if (refused != nullptr) {
    std::size_t n = ag::read_reply(*refused, static_cast<char*>(buf), num);
    if (readbytes != nullptr) *readbytes = n;
    return n > 0 ? 1 : 0;
  }
  auto real = tls_real<ReadExFn>(kReal);
  if (real == nullptr) {
    if (readbytes != nullptr) *readbytes = 0;
    return 0;
  }
  return real(target, buf, num, readbytes);
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int SSL_write(void* ssl, const void* buf, int num) {
  return hook_int_write<TlsFn::SSL_write>(ssl, num > 0 ? ssl : nullptr, buf, num, &socket_of);
}

__attribute__((visibility("default"))) int SSL_write_ex(void* ssl, const void* buf, std::size_t num,
                                                        std::size_t* written) {
  return hook_ex_write<TlsFn::SSL_write_ex>(ssl, num > 0 ? ssl : nullptr, buf, num, written, &socket_of);
}

__attribute__((visibility("default"))) int SSL_read(void* ssl, void* buf, int num) {
  return hook_int_read<TlsFn::SSL_read>(ssl, refused_connection(ssl), buf, num);
}

__attribute__((visibility("default"))) int SSL_read_ex(void* ssl, void* buf, std::size_t num, std::size_t* readbytes) {
  return hook_ex_read<TlsFn::SSL_read_ex>(ssl, refused_connection(ssl), buf, num, readbytes);
}

// Through an SSL BIO (only looked for while inspecting: the fast path is one load).
__attribute__((visibility("default"))) int BIO_write(void* bio, const void* buf, int num) {
  void* ssl = num > 0 && ag::api_rules().inspect ? ssl_of_bio(bio) : nullptr;
  return hook_int_write<TlsFn::BIO_write>(bio, ssl, buf, num, &socket_of_bio);
}

__attribute__((visibility("default"))) int BIO_write_ex(void* bio, const void* buf, std::size_t num,
                                                        std::size_t* written) {
  void* ssl = num > 0 && ag::api_rules().inspect ? ssl_of_bio(bio) : nullptr;
  return hook_ex_write<TlsFn::BIO_write_ex>(bio, ssl, buf, num, written, &socket_of_bio);
}

__attribute__((visibility("default"))) int BIO_read(void* bio, void* buf, int num) {
  return hook_int_read<TlsFn::BIO_read>(bio, refused_bio(bio), buf, num);
}

__attribute__((visibility("default"))) int BIO_read_ex(void* bio, void* buf, std::size_t num, std::size_t* readbytes) {
  return hook_ex_read<TlsFn::BIO_read_ex>(bio, refused_bio(bio), buf, num, readbytes);
}

// After the synthetic reply has been read, the connection ends the way a clean close_notify
// does, so clients treat it as an orderly end of stream.
__attribute__((visibility("default"))) int SSL_get_error(const void* ssl, int ret) {
  if (ret <= 0 && refused_connection(ssl) != nullptr) return kSslErrorZeroReturn;
  auto real = tls_real<GetErrorFn>(TlsFn::SSL_get_error);
  return real != nullptr ? real(ssl, ret) : kSslErrorSsl;
}

// Every SSL* of the hooked libssl is remembered, so that its ClientHello is told apart from a
// private OpenSSL's on the socket (tls_sessions.hpp).
__attribute__((visibility("default"))) void* SSL_new(void* ctx) {
  auto real = tls_real<NewFn>(TlsFn::SSL_new);
  void* ssl = real != nullptr ? real(ctx) : nullptr;
  if (ssl != nullptr) ag::remember_tls_session(ag::TlsLibrary::openssl, ssl);
  return ssl;
}

__attribute__((visibility("default"))) void SSL_free(void* ssl) {
  ag::forget_tls_session(ssl);
  ag::drop_connection(ssl);
  auto real = tls_real<FreeFn>(TlsFn::SSL_free);
  if (real != nullptr) real(ssl);
}

__attribute__((visibility("default"))) int SSL_CTX_set_alpn_protos(void* ctx, const unsigned char* protos,
                                                                   unsigned int len) {
  return set_alpn(TlsFn::SSL_CTX_set_alpn_protos, ctx, protos, len);
}

__attribute__((visibility("default"))) int SSL_set_alpn_protos(void* ssl, const unsigned char* protos,
                                                               unsigned int len) {
  return set_alpn(TlsFn::SSL_set_alpn_protos, ssl, protos, len);
}

}  // extern "C"
