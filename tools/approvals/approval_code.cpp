#include "approval_code.hpp"

#include <openssl/evp.h>
#include <sys/random.h>

#include <stdexcept>

#include "support/digest.hpp"

namespace agentguard::approvals {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";  // 32 symbols, no 0/O/1/I

void random_bytes(unsigned char* out, size_t size) {
  size_t got = 0;
  while (got < size) {
    const ssize_t n = getrandom(out + got, size - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
}

std::string normalise(const std::string& code) {
  std::string out;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    out += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  }
  return out;
}

std::string scrypt_hex(const std::string& code, const std::string& salt_hex) {
  const std::string pass = normalise(code);
  unsigned char key[32];
  // N=2^15, r=8, p=1: 32 MiB and some tens of milliseconds per guess.
  if (EVP_PBE_scrypt(pass.data(), pass.size(), reinterpret_cast<const unsigned char*>(salt_hex.data()),
                     salt_hex.size(), 1u << 15, 8, 1, 64ull << 20, key, sizeof key) != 1)
    throw std::runtime_error("scrypt failed");
  return digest::to_hex(key, sizeof key);
}

}  // namespace

std::string new_code() {
  unsigned char random[8];
  random_bytes(random, sizeof random);
  std::string code;
  for (int i = 0; i < 8; ++i) {
    if (i == 4) code += '-';
    code += kAlphabet[random[i] % 32];
  }
  return code;
}

bool codes_equal(const std::string& expected, const std::string& given) {
  const std::string a = normalise(expected), b = normalise(given);
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

CodeHash hash_code(const std::string& code) {
  unsigned char salt[16];
  random_bytes(salt, sizeof salt);
  CodeHash h;
  h.salt_hex = digest::to_hex(salt, sizeof salt);
  h.hash_hex = scrypt_hex(code, h.salt_hex);
  return h;
}

bool code_matches(const CodeHash& stored, const std::string& given) {
  if (stored.hash_hex.empty()) return false;
  return codes_equal(stored.hash_hex, scrypt_hex(given, stored.salt_hex));
}

}  // namespace agentguard::approvals
