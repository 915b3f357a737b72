#pragma once
// Strict mode's exec token (docs/architecture.md, "Strict mode").
//
// In a strict session every execve of the whole tree is a seccomp user notification, except one
// whose unused fourth and fifth argument registers carry the session's token: the preload puts it
// there on the execs it has already decided (core::sys::execve_with_token), so the common launch
// costs no round trip to the supervisor. A raw syscall(59), libc's execve reached through
// dlopen/dlsym, or a program running without the preload leaves whatever those registers held,
// so the supervisor sees it. The token is AGENTGUARD_STRICT: 32 hex digits, two 64-bit words.
// Freestanding and allocation-free: the preload parses it in vfork children.
#include <cstddef>
#include <cstdint>

namespace agentguard::core {

struct StrictToken {
  std::uint64_t word[2] = {0, 0};
};

inline constexpr std::size_t kStrictTokenDigits = 32;

// Parses exactly 32 lowercase or uppercase hex digits. A token of all zeroes is refused: zero is
// what an unset register most often holds.
inline bool parse_strict_token(const char* text, StrictToken& out) {
  if (text == nullptr) return false;
  std::uint64_t words[2] = {0, 0};
  for (std::size_t i = 0; i < kStrictTokenDigits; ++i) {
    const char c = text[i];
    std::uint64_t digit;
    if (c >= '0' && c <= '9') digit = static_cast<std::uint64_t>(c - '0');
    else if (c >= 'a' && c <= 'f') digit = static_cast<std::uint64_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') digit = static_cast<std::uint64_t>(c - 'A' + 10);
    else return false;
    words[i / 16] = (words[i / 16] << 4) | digit;
  }
  if (text[kStrictTokenDigits] != '\0' || (words[0] == 0 && words[1] == 0)) return false;
  out.word[0] = words[0];
  out.word[1] = words[1];
  return true;
}

}  // namespace agentguard::core
