#pragma once
// Memory for a launch whose envp or argv does not fit the stack buffers: anonymous mmap, which
// is a plain syscall and therefore safe in a vfork child (malloc is not).
#include <cstddef>

namespace agentguard::preload {

class ScratchMapping {
 public:
  ScratchMapping() = default;
  ScratchMapping(const ScratchMapping&) = delete;
  ScratchMapping& operator=(const ScratchMapping&) = delete;
  ~ScratchMapping() { release(); }

  // Returns nullptr on failure. One mapping per object; a second call replaces the first.
  void* allocate(std::size_t size);
  // Unmaps; preserves errno (it runs after the real function has set it).
  void release();

 private:
  void* base_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace agentguard::preload
