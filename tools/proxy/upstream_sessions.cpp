#include "upstream_sessions.hpp"

#include <openssl/x509.h>

namespace agentguard::proxy {
namespace {

constexpr std::size_t kMaxEndpoints = 512;

void free_key(void*, void* key, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<std::string*>(key); }

int key_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_key);
  return index;
}

int owner_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

UpstreamSessions::UpstreamSessions(SSL_CTX* ctx) {
  SSL_CTX_set_ex_data(ctx, owner_index(), this);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &UpstreamSessions::on_new_session);
}

UpstreamSessions::~UpstreamSessions() {
  for (auto& entry : sessions_) SSL_SESSION_free(entry.second);
}

void UpstreamSessions::prepare(SSL* ssl, const std::string& key) {
  SSL_set_ex_data(ssl, key_index(), new std::string(key));
  if (auto it = sessions_.find(key); it != sessions_.end()) SSL_set_session(ssl, it->second);
}

int UpstreamSessions::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* key = static_cast<std::string*>(SSL_get_ex_data(ssl, key_index()));
  auto* self = static_cast<UpstreamSessions*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), owner_index()));
  // Only a session whose endpoint proved the name it was verified for.
  if (key == nullptr || self == nullptr || SSL_get_verify_result(ssl) != X509_V_OK ||
      !SSL_SESSION_is_resumable(session))
    return 0;
  if (self->sessions_.size() >= kMaxEndpoints && self->sessions_.count(*key) == 0) {
    for (auto& entry : self->sessions_) SSL_SESSION_free(entry.second);
    self->sessions_.clear();
  }
  SSL_SESSION*& slot = self->sessions_[*key];
  if (slot != nullptr) SSL_SESSION_free(slot);
  slot = session;
  return 1;  // the reference is ours now
}

}  // namespace agentguard::proxy
