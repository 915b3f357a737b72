#pragma once
// execl, execle, execlp take their arguments as a NULL-terminated variadic list; glibc turns them
// into an array internally and calls its hidden execve, which no hook sees. So we collect them
// ourselves: into a stack array, or an mmap for very long lists (never the heap).
#include <cstdarg>
#include <cstddef>

#include "scratch.hpp"

namespace agentguard::preload {

class CollectedArgv {
 public:
  // `first` is the named argument (argv[0]); `args` holds the rest up to the NULL. With
  // `envp_out`, the pointer after the NULL is read as execle's envp. False if out of memory.
  bool collect(const char* first, va_list args, char* const** envp_out);
  char* const* argv() const { return const_cast<char* const*>(slots_); }

 private:
  static constexpr std::size_t kStackSlots = 512;
  const char* stack_slots_[kStackSlots];
  const char** slots_ = stack_slots_;
  ScratchMapping mapping_;
};

}  // namespace agentguard::preload
