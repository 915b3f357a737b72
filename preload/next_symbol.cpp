#include "next_symbol.hpp"

#include <dlfcn.h>
#include <link.h>  // also declares _DYNAMIC: ours, the linker defines it in every shared object


namespace agentguard::preload {
namespace {

// The objects loaded after us, in load order (dl_iterate_phdr), which is the order RTLD_NEXT
// searches them in. Found without dladdr, which scans a whole symbol table per call.
struct ObjectsAfterUs {
  static constexpr unsigned kMax = 24;
  bool seen_self = false;
  // Stops at the first object it cannot read (or at kMax): what comes after is unknown, so a
  // provider is only ever chosen among the objects before it.
  unsigned count = 0;
  ElfSymbols objects[kMax];
};

int collect(struct dl_phdr_info* info, std::size_t, void* data) {
  auto& out = *static_cast<ObjectsAfterUs*>(data);
  const ElfW(Dyn)* dynamic = nullptr;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
      dynamic = reinterpret_cast<const ElfW(Dyn)*>(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
  }
  if (!out.seen_self) {
    out.seen_self = dynamic == _DYNAMIC;
    return 0;
  }
  if (out.count == ObjectsAfterUs::kMax || !read_elf_symbols(info->dlpi_addr, dynamic, out.objects[out.count])) return 1;
  ++out.count;
  return 0;
}

}  // namespace

NextSymbols::NextSymbols() {
  ObjectsAfterUs after;
  dl_iterate_phdr(collect, &after);
  if (!after.seen_self) return;
  // The provider is the first object after us that defines execve; the ones before it may shadow
  // a name (find() checks). One dlsym confirms the choice: an object loaded privately
  // (RTLD_LOCAL) is not in RTLD_NEXT's scope and must not be taken for it.
  const std::uint32_t execve_hash = gnu_hash("execve");
  for (unsigned i = 0; i < after.count; ++i) {
    if (!defines_symbol(after.objects[i], "execve", execve_hash)) {
      if (i == kMaxBetween) return;
      between_[between_count_++] = after.objects[i];
      continue;
    }
    provider_ = after.objects[i];
    void* expected = dlsym(RTLD_NEXT, "execve");
    fast_ = expected != nullptr && find_default_symbol(provider_, "execve", execve_hash) == expected;
    return;
  }
}

void* NextSymbols::find(const char* name) const {
  if (fast_) {
    const std::uint32_t hash = gnu_hash(name);
    bool shadowed = false;
    for (unsigned i = 0; i < between_count_ && !shadowed; ++i) shadowed = defines_symbol(between_[i], name, hash);
    if (!shadowed) {
      if (void* fn = find_default_symbol(provider_, name, hash)) return fn;
    }
  }
  return dlsym(RTLD_NEXT, name);
}

}  // namespace agentguard::preload
