// The connection table: open addressing over an mmap'd array made on the first TLS write (a
// process that never writes over TLS pays nothing), a spin lock held only for the probe.
// Deletion shifts entries back, so lookups never walk over tombstones.
#include <stdlib.h>
#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <new>

#include "tls_connection.hpp"
#include "tls_lock.hpp"

namespace agentguard::preload {
namespace {

constexpr std::size_t kSlots = 4096;  // live TLS connections per process; a power of two
constexpr std::size_t kMaxLive = kSlots - kSlots / 8;

struct Slot {
  const void* key;
  TlsConnection* connection;
};

SpinLock g_lock;
std::atomic<Slot*> g_slots{nullptr};
std::size_t g_live = 0;

std::size_t home_of(const void* key) {
  auto v = reinterpret_cast<std::uintptr_t>(key);
  v ^= v >> 17;
  v *= 0x9E3779B97F4A7C15ULL;
  return static_cast<std::size_t>(v >> 40) & (kSlots - 1);
}

// Under the lock. Index of key's slot or of the empty slot where it would go.
std::size_t probe(Slot* slots, const void* key) {
  std::size_t i = home_of(key);
  while (slots[i].key != nullptr && slots[i].key != key) i = (i + 1) & (kSlots - 1);
  return i;
}

Slot* slots_or_create() {
  Slot* slots = g_slots.load(std::memory_order_acquire);
  if (slots != nullptr) return slots;
  void* map = mmap(nullptr, kSlots * sizeof(Slot), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return nullptr;
  slots = static_cast<Slot*>(map);  // zero-filled: all empty
  g_slots.store(slots, std::memory_order_release);
  return slots;
}

}  // namespace

TlsConnection* find_connection(const void* key) {
  Slot* slots = g_slots.load(std::memory_order_acquire);
  if (slots == nullptr || key == nullptr) return nullptr;
  SpinGuard guard(g_lock);
  return slots[probe(slots, key)].connection;
}

TlsConnection* find_or_create_connection(const void* key) {
  if (key == nullptr) return nullptr;
  SpinGuard guard(g_lock);
  Slot* slots = slots_or_create();
  if (slots == nullptr) return nullptr;
  std::size_t i = probe(slots, key);
  if (slots[i].connection != nullptr) return slots[i].connection;
  if (g_live >= kMaxLive) return nullptr;
  void* memory = malloc(sizeof(TlsConnection));
  if (memory == nullptr) return nullptr;
  auto* connection = new (memory) TlsConnection();
  connection->key = key;
  connection->stream.init(connection->buffer, kStreamBuffer, kBodyPeek);
  slots[i] = Slot{key, connection};
  ++g_live;
  return connection;
}

void drop_connection(const void* key) {
  Slot* slots = g_slots.load(std::memory_order_acquire);
  if (slots == nullptr || key == nullptr) return;
  TlsConnection* gone = nullptr;
  {
    SpinGuard guard(g_lock);
    std::size_t i = probe(slots, key);
    if (slots[i].key == nullptr) return;
    gone = slots[i].connection;
    slots[i] = Slot{nullptr, nullptr};
    --g_live;
    // Backward-shift: move later entries of the run into the hole when their home allows it.
    std::size_t j = i;
    for (;;) {
      j = (j + 1) & (kSlots - 1);
      if (slots[j].key == nullptr) break;
      std::size_t home = home_of(slots[j].key);
      bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
      if (movable) {
        slots[i] = slots[j];
        slots[j] = Slot{nullptr, nullptr};
        i = j;
      }
    }
  }
  gone->~TlsConnection();
  free(gone);
}

}  // namespace agentguard::preload
