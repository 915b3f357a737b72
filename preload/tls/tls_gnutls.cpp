// GnuTLS hooks (wget, git-remote-https via libcurl-gnutls). Opaque pointers; never linked.
#include <sys/types.h>

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

constexpr int kGnutlsMemoryError = -25;    // GNUTLS_E_MEMORY_ERROR
constexpr int kGnutlsInternalError = -59;  // GNUTLS_E_INTERNAL_ERROR

struct Datum {  // gnutls_datum_t
  unsigned char* data;
  unsigned int size;
};

using SendFn = ssize_t (*)(void*, const void*, std::size_t);
using RecvFn = ssize_t (*)(void*, void*, std::size_t);
using DeinitFn = void (*)(void*);
using InitFn = int (*)(void**, unsigned);
using AlpnFn = int (*)(void*, const Datum*, unsigned, unsigned);
using GetIntFn = int (*)(void*);

long write_with_record_send(void* session, const char* data, std::size_t n) {
  auto real = tls_real<SendFn>(TlsFn::gnutls_record_send);
  if (real == nullptr) return kGnutlsInternalError;
  return real(session, data, n);
}

int socket_of(void* session) {
  auto real = tls_real<GetIntFn>(TlsFn::gnutls_transport_get_int);
  return real != nullptr ? real(session) : -1;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) ssize_t gnutls_record_send(void* session, const void* data, std::size_t size) {
  if (!ag::api_rules().inspect || (size == 0 && ag::find_connection(session) == nullptr)) {
    return write_with_record_send(session, static_cast<const char*>(data), size);
  }
  ag::TlsConnection* c = ag::find_or_create_connection(session);
  if (c == nullptr) return kGnutlsMemoryError;
  if (data == nullptr && size == 0) {
    // GnuTLS lets a caller retry after GNUTLS_E_AGAIN with (NULL, 0) instead of the same
    // arguments. The bytes we hold for it are ours; anything else is the library's own cache.
    if (c->owed == 0) return write_with_record_send(session, static_cast<const char*>(data), size);
    ag::TlsTransport t{session, &write_with_record_send, &socket_of};
    std::size_t owed = c->owed;
    long r = ag::guarded_write(*c, t, nullptr, owed);  // only flushes: all `owed` bytes are held
    return r;
  }
  ag::TlsTransport t{session, &write_with_record_send, &socket_of};
  return ag::guarded_write(*c, t, static_cast<const char*>(data), size);
}

__attribute__((visibility("default"))) ssize_t gnutls_record_recv(void* session, void* data, std::size_t size) {
  ag::TlsConnection* c = ag::find_connection(session);
  if (c != nullptr && c->refused) return static_cast<ssize_t>(ag::read_reply(*c, static_cast<char*>(data), size));
  auto real = tls_real<RecvFn>(TlsFn::gnutls_record_recv);
  return real != nullptr ? real(session, data, size) : kGnutlsInternalError;
}

// Every session of the hooked GnuTLS is remembered, so that its ClientHello is told apart from a
// private TLS stack's on the socket (tls_sessions.hpp).
__attribute__((visibility("default"))) int gnutls_init(void** session, unsigned flags) {
  auto real = tls_real<InitFn>(TlsFn::gnutls_init);
  if (real == nullptr) return kGnutlsInternalError;
  const int r = real(session, flags);
  if (r == 0 && session != nullptr) ag::remember_tls_session(ag::TlsLibrary::gnutls, *session);
  return r;
}

__attribute__((visibility("default"))) void gnutls_deinit(void* session) {
  ag::forget_tls_session(session);
  ag::drop_connection(session);
  auto real = tls_real<DeinitFn>(TlsFn::gnutls_deinit);
  if (real != nullptr) real(session);
}

__attribute__((visibility("default"))) int gnutls_alpn_set_protocols(void* session, const Datum* protocols,
                                                                     unsigned protocols_size, unsigned flags) {
  auto real = tls_real<AlpnFn>(TlsFn::gnutls_alpn_set_protocols);
  if (real == nullptr) return kGnutlsInternalError;
  if (protocols == nullptr || protocols_size == 0 || !ag::api_rules().inspect)
    return real(session, protocols, protocols_size, flags);
  constexpr unsigned kMax = 16;
  static constexpr unsigned char kHttp11[] = "http/1.1";
  Datum kept[kMax];
  unsigned n = 0;
  for (unsigned i = 0; i < protocols_size && n < kMax; ++i) {
    if (ag::alpn_protocol_allowed(protocols[i].data, protocols[i].size)) kept[n++] = protocols[i];
  }
  if (n == 0) kept[n++] = Datum{const_cast<unsigned char*>(kHttp11), 8};
  return real(session, kept, n, flags);
}

}  // extern "C"
