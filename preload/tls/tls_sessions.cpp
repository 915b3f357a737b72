#include "tls_sessions.hpp"

#include <cstddef>

#include "pointer_table.hpp"
#include "tls_lock.hpp"
#include "tls_real.hpp"

namespace agentguard::preload {
namespace {

struct Datum {  // gnutls_datum_t
  unsigned char* data;
  unsigned int size;
};
using SslClientRandomFn = std::size_t (*)(const void*, unsigned char*, std::size_t);
using GnutlsRandomFn = void (*)(void*, Datum*, Datum*);

SpinLock g_lock;
PointerTable<TlsLibrary, 4096> g_sessions;  // live sessions per process; a client has a few

bool same_random(const unsigned char* a, const unsigned char* b) {
  unsigned char differ = 0;
  for (int i = 0; i < 32; ++i) differ |= static_cast<unsigned char>(a[i] ^ b[i]);
  return differ == 0;
}

}  // namespace

void remember_tls_session(TlsLibrary library, const void* session) {
  SpinGuard guard(g_lock);
  if (auto* slot = g_sessions.find_or_insert(session)) slot->value = library;
}

void forget_tls_session(const void* session) {
  if (session == nullptr || !g_sessions.made()) return;
  SpinGuard guard(g_lock);
  g_sessions.erase(session);
}

bool hooked_library_sent_client_random(const unsigned char* random32) {
  if (!g_sessions.made()) return false;
  auto ssl_random = tls_real<SslClientRandomFn>(TlsFn::SSL_get_client_random);
  auto gnutls_random = tls_real<GnutlsRandomFn>(TlsFn::gnutls_session_get_random);
  // Held across the libraries' getters, which only copy a field of the session: a concurrent
  // SSL_free/gnutls_deinit waits in forget_tls_session until the walk is over.
  SpinGuard guard(g_lock);
  return g_sessions.any_of([&](const auto& slot) {
    unsigned char mine[32] = {};
    if (slot.value == TlsLibrary::openssl && ssl_random != nullptr) {
      if (ssl_random(slot.key, mine, sizeof mine) != sizeof mine) return false;
      return same_random(mine, random32);
    }
    if (slot.value == TlsLibrary::gnutls && gnutls_random != nullptr) {
      Datum client{nullptr, 0}, server{nullptr, 0};
      gnutls_random(const_cast<void*>(slot.key), &client, &server);
      return client.data != nullptr && client.size == 32 && same_random(client.data, random32);
    }
    return false;
  });
}

}  // namespace agentguard::preload
