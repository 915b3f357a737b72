#include "gate/target_memory.hpp"

#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

namespace agentguard::gate {

namespace {
constexpr std::uint64_t kPage = 4096;
}

bool TargetMemory::read(std::uint64_t address, void* out, std::size_t size) const {
  auto* p = static_cast<char*>(out);
  while (size > 0) {
    iovec local{p, size};
    iovec remote{reinterpret_cast<void*>(address), size};
    const ssize_t got = process_vm_readv(pid_, &local, 1, &remote, 1, 0);
    if (got <= 0) return false;
    p += got;
    address += static_cast<std::uint64_t>(got);
    size -= static_cast<std::size_t>(got);
  }
  return true;
}

std::optional<std::string> TargetMemory::string_at(std::uint64_t address, std::size_t max) const {
  std::string out;
  char chunk[kPage];
  while (out.size() < max) {
    // Never read across a page boundary in one go: the next page may be unmapped.
    std::size_t want = static_cast<std::size_t>(kPage - address % kPage);
    if (want > max - out.size()) want = max - out.size();
    if (!read(address, chunk, want)) return std::nullopt;
    const void* nul = std::memchr(chunk, '\0', want);
    if (nul != nullptr) {
      out.append(chunk, static_cast<const char*>(nul) - chunk);
      return out;
    }
    out.append(chunk, want);
    address += want;
  }
  return std::nullopt;  // longer than allowed: not certain what it says
}

std::optional<std::vector<std::string>> TargetMemory::strings_at(std::uint64_t address, std::size_t max_items,
                                                                 std::size_t max_bytes) const {
  std::vector<std::string> out;
  if (address == 0) return out;
  std::size_t bytes = 0;
  for (std::size_t i = 0;; ++i) {
    if (i >= max_items) return std::nullopt;
    std::uint64_t pointer = 0;
    if (!read(address + i * sizeof pointer, &pointer, sizeof pointer)) return std::nullopt;
    if (pointer == 0) return out;
    auto s = string_at(pointer, max_bytes - bytes);
    if (!s) return std::nullopt;
    bytes += s->size() + 1;
    out.push_back(std::move(*s));
  }
}

}  // namespace agentguard::gate
