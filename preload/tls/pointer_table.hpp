#pragma once
// A fixed-size open-addressing table keyed by pointer, over an mmap'd array made on the first
// insert (a process that never inserts pays nothing). Deletion shifts entries back, so lookups
// never walk over tombstones. Not locked: its owners hold their spin lock around every call.
#include <sys/mman.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace agentguard::preload {

template <typename Value, std::size_t kSlots>
class PointerTable {
  static_assert((kSlots & (kSlots - 1)) == 0, "kSlots must be a power of two");

 public:
  struct Slot {
    const void* key;
    Value value;
  };
  static constexpr std::size_t kMaxLive = kSlots - kSlots / 8;

  // The slot of `key`, or nullptr. A nullptr key is never stored.
  Slot* find(const void* key) {
    Slot* slots = slots_.load(std::memory_order_acquire);
    if (slots == nullptr || key == nullptr) return nullptr;
    Slot& s = slots[probe(slots, key)];
    return s.key != nullptr ? &s : nullptr;
  }

  // The slot of `key`, made (value-initialised) when absent; nullptr when full or out of memory.
  Slot* find_or_insert(const void* key) {
    if (key == nullptr) return nullptr;
    Slot* slots = slots_or_create();
    if (slots == nullptr) return nullptr;
    Slot& s = slots[probe(slots, key)];
    if (s.key != nullptr) return &s;
    if (live_ >= kMaxLive) return nullptr;
    s = Slot{key, Value{}};
    ++live_;
    return &s;
  }

  // Removes `key`; returns its value (value-initialised when it was absent).
  Value erase(const void* key) {
    Slot* slots = slots_.load(std::memory_order_acquire);
    if (slots == nullptr || key == nullptr) return Value{};
    std::size_t i = probe(slots, key);
    if (slots[i].key == nullptr) return Value{};
    Value gone = slots[i].value;
    slots[i] = Slot{nullptr, Value{}};
    --live_;
    // Backward-shift: move later entries of the run into the hole when their home allows it.
    std::size_t j = i;
    for (;;) {
      j = (j + 1) & (kSlots - 1);
      if (slots[j].key == nullptr) break;
      std::size_t home = home_of(slots[j].key);
      bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
      if (movable) {
        slots[i] = slots[j];
        slots[j] = Slot{nullptr, Value{}};
        i = j;
      }
    }
    return gone;
  }

  // Calls f(slot) for each stored entry until f returns true; returns whether one did.
  template <typename F>
  bool any_of(F f) {
    Slot* slots = slots_.load(std::memory_order_acquire);
    if (slots == nullptr) return false;
    for (std::size_t i = 0; i < kSlots; ++i)
      if (slots[i].key != nullptr && f(slots[i])) return true;
    return false;
  }

  std::size_t live() const { return live_; }
  // False until the first insert: callers skip their lock then (a lock-free fast path).
  bool made() const { return slots_.load(std::memory_order_acquire) != nullptr; }

 private:
  static std::size_t home_of(const void* key) {
    auto v = reinterpret_cast<std::uintptr_t>(key);
    v ^= v >> 17;
    v *= 0x9E3779B97F4A7C15ULL;
    return static_cast<std::size_t>(v >> 40) & (kSlots - 1);
  }

  // Index of key's slot or of the empty slot where it would go.
  static std::size_t probe(Slot* slots, const void* key) {
    std::size_t i = home_of(key);
    while (slots[i].key != nullptr && slots[i].key != key) i = (i + 1) & (kSlots - 1);
    return i;
  }

  Slot* slots_or_create() {
    Slot* slots = slots_.load(std::memory_order_acquire);
    if (slots != nullptr) return slots;
    void* map = mmap(nullptr, kSlots * sizeof(Slot), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) return nullptr;
    slots = static_cast<Slot*>(map);  // zero-filled: all empty
    slots_.store(slots, std::memory_order_release);
    return slots;
  }

  std::atomic<Slot*> slots_{nullptr};
  std::size_t live_ = 0;
};

}  // namespace agentguard::preload
