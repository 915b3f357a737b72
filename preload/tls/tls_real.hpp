#pragma once
// The real OpenSSL and GnuTLS functions behind the TLS hooks, found in the copy of the library
// that is actually loaded. We never link against either library.
//
// dlsym(RTLD_NEXT) is tried first; when it finds nothing (python's _ssl loads libssl with
// RTLD_LOCAL, so it is not in the global scope) the loaded objects are walked and the first
// libssl*/libgnutls* object that itself defines the symbol is used. Resolution is lazy (first
// call) and thread-safe: racing lookups store the same pointer. A function that cannot be found
// is nullptr; the hook then fails that call with the library's error convention.

namespace agentguard::preload {

enum class TlsFn : unsigned {
  SSL_write,
  SSL_write_ex,
  SSL_read,
  SSL_read_ex,
  SSL_get_error,
  SSL_free,
  SSL_CTX_set_alpn_protos,
  SSL_set_alpn_protos,
  SSL_get_rfd,
  gnutls_record_send,
  gnutls_record_recv,
  gnutls_deinit,
  gnutls_alpn_set_protocols,
  gnutls_transport_get_int,
  count,
};

void* tls_real_function(TlsFn fn);

template <typename F>
F tls_real(TlsFn fn) {
  return reinterpret_cast<F>(tls_real_function(fn));
}

}  // namespace agentguard::preload
