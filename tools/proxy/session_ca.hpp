#pragma once
// The session's certificate authority. Its private key is never written anywhere: `agentguard run`
// makes it (so the agent can start before the proxy is up), hands it to the proxy through a pipe
// and wipes its copy; both processes are non-dumpable (prctl), so another process of the same user
// (the agent) can neither read /proc/PID/mem nor ptrace them. Only the CA certificate is written
// out, for the clients to trust.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <map>
#include <memory>
#include <string>

namespace agentguard::proxy {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

class SessionCa {
 public:
  // Makes a fresh P-256 CA ("agentguard session <id>"), valid for 30 days. Throws on failure.
  explicit SessionCa(const std::string& session_id);
  // The CA another process made: its key and certificate as PEM (what handover_pem() gives).
  // Throws on anything that does not parse or does not match.
  static SessionCa from_handover(const std::string& pem);

  std::string certificate_pem() const;
  // The private key, then the certificate, as PEM: for the pipe to the proxy only.
  std::string handover_pem() const;

  // A leaf certificate for `name` (a DNS name, or an IPv4/IPv6 literal), signed by the CA,
  // made once and cached for the session. All leaves share one key (made at start).
  X509* leaf_for(const std::string& name);
  EVP_PKEY* leaf_key();  // made on first use (the proxy makes it at start, off the session's start)

 private:
  SessionCa() = default;
  PkeyPtr ca_key_;
  X509Ptr ca_cert_;
  PkeyPtr leaf_key_;
  long serial_ = 1;
  std::map<std::string, X509Ptr> leaves_;
};

}  // namespace agentguard::proxy
