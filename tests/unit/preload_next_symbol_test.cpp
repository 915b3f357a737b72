// The preload's constructor finds the real libc functions by reading the C library's own symbol
// table (preload/next_symbol.hpp) instead of calling dlsym(RTLD_NEXT) for each. Its answers must be
// dlsym's, name for name; and where it cannot be sure it must say so (and dlsym decides).
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <link.h>

#include <string>
#include <vector>

#include "elf_symbols.hpp"
#include "next_symbol.hpp"

namespace agentguard::preload {
namespace {

std::vector<std::string> hook_names() {
  return {
#define AGENTGUARD_REAL_eager(id, symbol) #symbol,
#define AGENTGUARD_REAL_lazy(id, symbol) #symbol,
#define AGENTGUARD_REAL_socket(id, symbol) #symbol,
#include "hooks.def"
  };
}

ElfSymbols libc_symbols() {
  void* handle = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  struct link_map* map = nullptr;
  EXPECT_NE(handle, nullptr);
  EXPECT_EQ(dlinfo(handle, RTLD_DI_LINKMAP, &map), 0);
  ElfSymbols symbols;
  EXPECT_TRUE(read_elf_symbols(map->l_addr, map->l_ld, symbols));
  return symbols;
}

TEST(PreloadNextSymbol, AnswersLikeDlsymForEveryRealFunctionOfTheHooks) {
  const NextSymbols next;
  // This test binary loads libstdc++, libgtest and others before libc: they are checked for
  // shadowing names, and the fast path still applies.
  EXPECT_TRUE(next.fast());
  for (const std::string& name : hook_names()) {
    EXPECT_EQ(next.find(name.c_str()), dlsym(RTLD_NEXT, name.c_str())) << name;
  }
}

TEST(PreloadNextSymbol, FindsTheExecAndFileFunctionsInLibcWithoutDlsym) {
  const ElfSymbols libc = libc_symbols();
  for (const char* name : {"execve", "execvpe", "open", "openat", "fopen", "rename", "unlink", "write", "sendmsg"}) {
    void* fast = find_default_symbol(libc, name, gnu_hash(name));
    EXPECT_NE(fast, nullptr) << name;
    EXPECT_EQ(fast, dlsym(RTLD_DEFAULT, name)) << name;
  }
}

TEST(PreloadNextSymbol, LeavesUncertainNamesToDlsym) {
  const ElfSymbols libc = libc_symbols();
  // Two versions (posix_spawn@GLIBC_2.2.5 and @@GLIBC_2.15 on x86-64), an IFUNC (memcpy needs its
  // resolver), a name libc does not have.
  for (const char* name : {"posix_spawn", "memcpy", "agentguard_no_such_function"})
    EXPECT_EQ(find_default_symbol(libc, name, gnu_hash(name)), nullptr) << name;
  EXPECT_TRUE(defines_symbol(libc, "posix_spawn", gnu_hash("posix_spawn")));
  EXPECT_FALSE(defines_symbol(libc, "agentguard_no_such_function", gnu_hash("agentguard_no_such_function")));
}

TEST(PreloadNextSymbol, GnuHashIsTheElfOne) {
  EXPECT_EQ(gnu_hash(""), 5381u);
  EXPECT_EQ(gnu_hash("printf"), 0x156b2bb8u);
  EXPECT_EQ(gnu_hash("exit"), 0x7c967e3fu);
}

}  // namespace
}  // namespace agentguard::preload
