#include "real_functions.hpp"
#include "core/base/hot_path.hpp"

#include <dlfcn.h>

#include <atomic>

namespace agentguard::preload {
namespace {

constexpr unsigned kCount = static_cast<unsigned>(RealFn::count);

// (Arrays, not pointers: nothing to relocate at load time.)
constexpr char kNames[kCount][16] = {
#define AGENTGUARD_REAL_eager(id, symbol) #symbol,
#include "hooks.def"
#define AGENTGUARD_REAL_lazy(id, symbol) #symbol,
#include "hooks.def"
};

// A distinct address meaning "looked up, not there", so a missing symbol is not looked up again.
char g_missing_marker;

std::atomic<void*> g_real[kCount];

void* found(void* fn) { return fn != nullptr ? fn : static_cast<void*>(&g_missing_marker); }

void* lookup(unsigned index) { return found(dlsym(RTLD_NEXT, kNames[index])); }

}  // namespace

void resolve_real_functions(const NextSymbols& next) {
  for (unsigned i = 0; i < kEagerRealFnCount; ++i) {
    if (g_real[i].load(std::memory_order_acquire) == nullptr) {
      g_real[i].store(found(next.find(kNames[i])), std::memory_order_release);
    }
  }
}

AGENTGUARD_HOT void* real_function(RealFn fn) {
  const auto index = static_cast<unsigned>(fn);
  void* p = g_real[index].load(std::memory_order_acquire);
  if (p == nullptr) {
    // A lazy function's first call, or any function before the constructor (see the header for
    // why neither can be in a vfork child). A racing duplicate lookup stores the same value.
    p = lookup(index);
    g_real[index].store(p, std::memory_order_release);
  }
  return p == static_cast<void*>(&g_missing_marker) ? nullptr : p;
}

}  // namespace agentguard::preload
