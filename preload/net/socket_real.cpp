#include "socket_real.hpp"

#include <dlfcn.h>

#include <atomic>

namespace agentguard::preload {
namespace {

constexpr unsigned kCount = static_cast<unsigned>(SocketFn::count);

// (Arrays, not pointers: nothing to relocate at load time.)
constexpr char kNames[kCount][12] = {
#define AGENTGUARD_REAL_socket(id, symbol) #symbol,
#include "hooks.def"
};

char g_missing_marker;  // "looked up, not there"
std::atomic<void*> g_real[kCount];

void* found(void* fn) { return fn != nullptr ? fn : static_cast<void*>(&g_missing_marker); }

void* lookup(unsigned index) { return found(dlsym(RTLD_NEXT, kNames[index])); }

}  // namespace

void resolve_socket_functions(const NextSymbols& next) {
  for (unsigned i = 0; i < kCount; ++i) {
    if (g_real[i].load(std::memory_order_acquire) == nullptr) g_real[i].store(found(next.find(kNames[i])), std::memory_order_release);
  }
}

void* socket_function(SocketFn fn) {
  const auto index = static_cast<unsigned>(fn);
  void* p = g_real[index].load(std::memory_order_acquire);
  if (p == nullptr) {  // before the constructor: a racing duplicate stores the same value
    p = lookup(index);
    g_real[index].store(p, std::memory_order_release);
  }
  return p == static_cast<void*>(&g_missing_marker) ? nullptr : p;
}

}  // namespace agentguard::preload
