#include "tls_real.hpp"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <string.h>

#include <atomic>
#include <cstddef>

namespace agentguard::preload {
namespace {

constexpr unsigned kCount = static_cast<unsigned>(TlsFn::count);

// name, basename prefix of the object that defines it. (Arrays, not pointers: nothing to
// relocate at load time.)
struct FnInfo {
  char name[28];
  char library_prefix[12];
};

constexpr FnInfo kFns[kCount] = {
#define AGENTGUARD_REAL_ssl(id, symbol) {#symbol, "libssl"},
#define AGENTGUARD_REAL_gnutls(id, symbol) {#symbol, "libgnutls"},
#define AGENTGUARD_REAL_crypto(id, symbol) {#symbol, "libcrypto"},
#include "hooks.def"
};

// "Looked up, not there": a missing symbol is not searched for again on every call.
char g_missing_marker;
std::atomic<void*> g_real[kCount];

bool is_ours(const void* address) {
  Dl_info mine{};
  Dl_info theirs{};
  if (dladdr(reinterpret_cast<void*>(&is_ours), &mine) == 0) return false;
  if (dladdr(address, &theirs) == 0) return false;
  return mine.dli_fbase == theirs.dli_fbase;
}

constexpr std::size_t kMaxCandidates = 16;

struct Candidates {
  const char* prefix;
  std::size_t prefix_len;
  const char* names[kMaxCandidates];
  std::size_t count;
};

int collect_candidate(struct dl_phdr_info* info, std::size_t, void* data) {
  auto* c = static_cast<Candidates*>(data);
  const char* name = info->dlpi_name;
  if (name == nullptr || name[0] == '\0' || c->count == kMaxCandidates) return 0;
  const char* base = strrchr(name, '/');
  base = base != nullptr ? base + 1 : name;
  if (strncmp(base, c->prefix, c->prefix_len) == 0) c->names[c->count++] = name;
  return 0;
}

// Walks the loaded objects (also those loaded RTLD_LOCAL) for one that defines `name` itself.
// dlopen happens outside dl_iterate_phdr's callback, which runs under the loader's lock.
void* search_loaded_objects(const FnInfo& fn) {
  Candidates c{fn.library_prefix, strlen(fn.library_prefix), {}, 0};
  dl_iterate_phdr(&collect_candidate, &c);
  for (std::size_t i = 0; i < c.count; ++i) {
    void* handle = dlopen(c.names[i], RTLD_NOLOAD | RTLD_LAZY);
    if (handle == nullptr) continue;
    void* symbol = dlsym(handle, fn.name);
    // The object stays loaded: NOLOAD only took an extra reference, given back here.
    dlclose(handle);
    if (symbol != nullptr && !is_ours(symbol)) return symbol;
  }
  return nullptr;
}

void* lookup(unsigned index) {
  const int saved_errno = errno;
  void* symbol = dlsym(RTLD_NEXT, kFns[index].name);
  if (symbol == nullptr || is_ours(symbol)) symbol = search_loaded_objects(kFns[index]);
  errno = saved_errno;
  return symbol != nullptr ? symbol : static_cast<void*>(&g_missing_marker);
}

}  // namespace

void* tls_real_function(TlsFn fn) {
  const auto index = static_cast<unsigned>(fn);
  void* p = g_real[index].load(std::memory_order_acquire);
  if (p == nullptr) {
    p = lookup(index);
    // A library loaded after a failed lookup (dlopen of libssl later) is found next time.
    if (p == static_cast<void*>(&g_missing_marker)) return nullptr;
    g_real[index].store(p, std::memory_order_release);
  }
  return p == static_cast<void*>(&g_missing_marker) ? nullptr : p;
}

}  // namespace agentguard::preload
