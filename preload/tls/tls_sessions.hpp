#pragma once
// The TLS sessions the hooked libraries made in this process (every SSL* from SSL_new, every
// gnutls_session_t from gnutls_init), so that a ClientHello seen on a socket can be told apart:
// made by a library whose writes the TLS hooks see, or by a TLS stack they cannot see (a second,
// private copy of OpenSSL next to the shared one; docs/https-guard.md §1c). The ClientHello's
// 32-byte random is unique to its handshake, and each library can tell its own.
namespace agentguard::preload {

enum class TlsLibrary : unsigned char { none, openssl, gnutls };

void remember_tls_session(TlsLibrary library, const void* session);
void forget_tls_session(const void* session);

// Whether one of the remembered sessions sent a ClientHello with this random. False also when
// no session was ever remembered, or when the table was full when one was made (it can then not
// be told, and the ClientHello counts as unseen).
bool hooked_library_sent_client_random(const unsigned char* random32);

}  // namespace agentguard::preload
