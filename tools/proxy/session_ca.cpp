#define OPENSSL_SUPPRESS_DEPRECATED
#include "session_ca.hpp"

#include <arpa/inet.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <sys/random.h>

#include <cerrno>
#include <stdexcept>

namespace agentguard::proxy {
namespace {

std::string openssl_error(const char* what) {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  return std::string(what) + ": " + buf;
}

// A P-256 key through the EC_KEY interface (deprecated in OpenSSL 3, kept): a key made by
// EVP_EC_gen lives in the provider, and putting its public half into a certificate then goes
// through OpenSSL's encoder machinery, ~6 M instructions per certificate; `agentguard run` makes
// the CA on every session's start. The curve arithmetic is the same code either way.
PkeyPtr new_ec_key() {
  EC_KEY* ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
  PkeyPtr key(EVP_PKEY_new());
  if (ec == nullptr || !key || EC_KEY_generate_key(ec) != 1 || EVP_PKEY_assign_EC_KEY(key.get(), ec) != 1) {
    EC_KEY_free(ec);
    throw std::runtime_error(openssl_error("cannot make an EC key"));
  }
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) throw std::runtime_error(openssl_error("cannot make a certificate extension"));
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509Ptr new_certificate(long serial, const std::string& common_name, EVP_PKEY* subject_key, long valid_seconds,
                        long backdate_seconds) {
  X509Ptr cert(X509_new());
  if (!cert) throw std::runtime_error(openssl_error("cannot make a certificate"));
  X509_set_version(cert.get(), 2);
  // A random 64-bit serial (with the counter in it): clients cache by issuer+serial. From the
  // kernel: OpenSSL's RAND_bytes would set up its public DRBG for these 8 bytes (~6 M instructions
  // on every session's start, where the CA is made).
  unsigned char random[8];
  for (std::size_t got = 0; got < sizeof random;) {
    const ssize_t n = getrandom(random + got, sizeof random - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
    else if (errno != EINTR) throw std::runtime_error("cannot read random bytes for a certificate serial");
  }
  BIGNUM* bn = BN_bin2bn(random, sizeof random, nullptr);
  BN_add_word(bn, static_cast<BN_ULONG>(serial));
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -backdate_seconds);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), valid_seconds);
  X509_set_pubkey(cert.get(), subject_key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("agentguard"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  return cert;
}

bool is_ip_literal(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

}  // namespace

SessionCa::SessionCa(const std::string& session_id) {
  ca_key_ = new_ec_key();  // the leaf key is made when the proxy needs it (leaf_key())
  ca_cert_ = new_certificate(serial_++, "agentguard session CA " + session_id, ca_key_.get(), 30L * 24 * 3600, 3600);
  X509_set_issuer_name(ca_cert_.get(), X509_get_subject_name(ca_cert_.get()));
  add_extension(ca_cert_.get(), ca_cert_.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(ca_cert_.get(), ca_cert_.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(ca_cert_.get(), ca_cert_.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(ca_cert_.get(), ca_key_.get(), EVP_sha256()) == 0)
    throw std::runtime_error(openssl_error("cannot sign the session CA"));
}

SessionCa SessionCa::from_handover(const std::string& pem) {
  SessionCa ca;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) throw std::runtime_error(openssl_error("cannot read the session CA"));
  ca.ca_key_.reset(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  ca.ca_cert_.reset(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!ca.ca_key_ || !ca.ca_cert_ || X509_check_private_key(ca.ca_cert_.get(), ca.ca_key_.get()) != 1)
    throw std::runtime_error("the session CA handed over is not a key and its certificate");
  ca.leaf_key_ = new_ec_key();
  ca.serial_ = 2;
  return ca;
}

std::string SessionCa::handover_pem() const {
  BIO* bio = BIO_new(BIO_s_secmem());
  if (bio == nullptr) bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, ca_key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_X509(bio, ca_cert_.get());
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

std::string SessionCa::certificate_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, ca_cert_.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

EVP_PKEY* SessionCa::leaf_key() {
  if (!leaf_key_) leaf_key_ = new_ec_key();
  return leaf_key_.get();
}

X509* SessionCa::leaf_for(const std::string& name) {
  if (auto it = leaves_.find(name); it != leaves_.end()) return it->second.get();
  // Leaves live 7 days and are back-dated an hour against clock skew.
  X509Ptr cert = new_certificate(serial_++, name.substr(0, 64), leaf_key(), 7L * 24 * 3600, 3600);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert_.get()));
  const std::string san = (is_ip_literal(name) ? "IP:" : "DNS:") + name;
  add_extension(cert.get(), ca_cert_.get(), NID_subject_alt_name, san.c_str());
  add_extension(cert.get(), ca_cert_.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), ca_cert_.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), ca_cert_.get(), NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), ca_cert_.get(), NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), ca_key_.get(), EVP_sha256()) == 0)
    throw std::runtime_error(openssl_error("cannot sign a leaf certificate"));
  X509* raw = cert.get();
  leaves_.emplace(name, std::move(cert));
  return raw;
}

}  // namespace agentguard::proxy
