#include "redirected_peers.hpp"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/mman.h>

#include <atomic>
#include <cstdint>

#include "proxy_redirect.hpp"

namespace agentguard::preload {
namespace {

struct Slot {
  std::atomic<unsigned> sequence;  // odd while being written
  std::atomic<bool> busy;          // a writer holds the slot
  int fd;
  std::uint16_t local_port;        // network order: the socket's end toward the proxy; 0: empty
  socklen_t len;
  sockaddr_in6 destination;        // large enough for a sockaddr_in too
};

constexpr unsigned kSlots = 256;
// An anonymous mapping made at the first redirect (the library's writable segment stays one
// page): zero-filled, which is every Slot's initial state.
std::atomic<Slot*> g_slots{nullptr};
std::atomic<unsigned> g_proxy_port{0};      // 0: this process never redirected

Slot* slots() {
  Slot* table = g_slots.load(std::memory_order_acquire);
  if (table != nullptr) return table;
  void* map = mmap(nullptr, sizeof(Slot) * kSlots, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return nullptr;
  Slot* expected = nullptr;
  if (!g_slots.compare_exchange_strong(expected, static_cast<Slot*>(map), std::memory_order_acq_rel)) {
    munmap(map, sizeof(Slot) * kSlots);  // another thread made it first
    return expected;
  }
  return static_cast<Slot*>(map);
}

std::uint16_t local_port_of(int fd) {
  sockaddr_in6 local{};
  socklen_t local_len = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) return 0;
  return local.sin6_family == AF_INET6 ? local.sin6_port : reinterpret_cast<sockaddr_in*>(&local)->sin_port;
}

// Is the kernel's answer, of `len` bytes, the proxy?
bool is_proxy(const struct sockaddr* address, socklen_t len, unsigned port) {
  const bool whole = (address->sa_family == AF_INET && len >= sizeof(sockaddr_in)) ||
                     (address->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6));
  return whole && is_proxy_address(address, port);
}

}  // namespace

void remember_redirect(int fd, unsigned proxy_port, const struct sockaddr* address, socklen_t len) {
  if (fd < 0 || len > sizeof(sockaddr_in6)) return;
  const int saved_errno = errno;
  const std::uint16_t local_port = local_port_of(fd);
  errno = saved_errno;
  if (local_port == 0) return;
  Slot* table = slots();
  if (table == nullptr) return;
  Slot& slot = table[static_cast<unsigned>(fd) % kSlots];
  if (slot.busy.exchange(true, std::memory_order_acquire)) return;  // another thread writes it: skip
  slot.sequence.fetch_add(1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  slot.fd = fd;
  slot.local_port = local_port;
  slot.len = len;
  memcpy(&slot.destination, address, len);
  slot.sequence.fetch_add(1, std::memory_order_release);
  slot.busy.store(false, std::memory_order_release);
  g_proxy_port.store(proxy_port, std::memory_order_release);
}

void restore_redirected_peer(int fd, struct sockaddr* address, socklen_t* len, socklen_t capacity) {
  const unsigned port = g_proxy_port.load(std::memory_order_acquire);
  if (port == 0 || fd < 0 || address == nullptr || len == nullptr) return;
  if (!is_proxy(address, *len < capacity ? *len : capacity, port)) return;
  const Slot* table = g_slots.load(std::memory_order_acquire);
  if (table == nullptr) return;
  const Slot& slot = table[static_cast<unsigned>(fd) % kSlots];
  const unsigned before = slot.sequence.load(std::memory_order_acquire);
  if (before & 1u) return;
  const int recorded_fd = slot.fd;
  const std::uint16_t recorded_port = slot.local_port;
  const socklen_t recorded_len = slot.len;
  sockaddr_in6 destination;
  memcpy(&destination, &slot.destination, sizeof destination);
  std::atomic_thread_fence(std::memory_order_acquire);
  if (slot.sequence.load(std::memory_order_relaxed) != before || recorded_fd != fd || recorded_len == 0) return;
  const int saved_errno = errno;
  const std::uint16_t local_port = local_port_of(fd);
  errno = saved_errno;
  if (local_port != recorded_port) return;
  // The kernel's contract: copy what fits, report the full length.
  memcpy(address, &destination, capacity < recorded_len ? capacity : recorded_len);
  *len = recorded_len;
}

}  // namespace agentguard::preload
