#pragma once
// dlsym(RTLD_NEXT, name) for the constructor's eager lookups, at a fraction of the cost: the
// object that answers RTLD_NEXT for execve (the C library) is read once (elf_symbols.hpp), and each
// name is looked up in its hash table, after checking that no object loaded between us and it
// defines the name too (that object would be RTLD_NEXT's answer). Anything uncertain is asked of
// dlsym itself, so the answers are dlsym's. Constructor only: dlsym must not run on exec paths.
#include "elf_symbols.hpp"

namespace agentguard::preload {

class NextSymbols {
 public:
  NextSymbols();
  void* find(const char* name) const;  // what dlsym(RTLD_NEXT, name) returns
  bool fast() const { return fast_; }

 private:
  static constexpr unsigned kMaxBetween = 16;
  bool fast_ = false;
  ElfSymbols provider_;
  ElfSymbols between_[kMaxBetween];
  unsigned between_count_ = 0;
};

}  // namespace agentguard::preload
