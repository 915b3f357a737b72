#pragma once
// Content fingerprint of a protected program: size plus a 64-bit FNV-1a hash of its first 4 KiB
// followed by its last 4 KiB. Cheap enough to compute on a size match inside an exec hook.
#include <cstdint>

namespace agentguard::core {

inline constexpr std::uint64_t kFingerprintWindow = 4096;

// Async-signal-safe (open/pread/close). Returns false if the file cannot be read.
bool fingerprint_file(const char* path, std::uint64_t& size, std::uint64_t& hash);
bool fingerprint_fd(int fd, std::uint64_t size, std::uint64_t& hash);

}  // namespace agentguard::core
