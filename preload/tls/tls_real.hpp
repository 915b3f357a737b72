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

// The `ssl`, `gnutls` and `crypto` entries of hooks.def, in its order.
enum class TlsFn : unsigned {
#define AGENTGUARD_REAL_ssl(id, symbol) id,
#define AGENTGUARD_REAL_gnutls(id, symbol) id,
#define AGENTGUARD_REAL_crypto(id, symbol) id,
#include "hooks.def"
  count,
};

void* tls_real_function(TlsFn fn);

template <typename F>
F tls_real(TlsFn fn) {
  return reinterpret_cast<F>(tls_real_function(fn));
}

}  // namespace agentguard::preload
