#include "scratch.hpp"

#include <errno.h>
#include <sys/mman.h>

namespace agentguard::preload {

void* ScratchMapping::allocate(std::size_t size) {
  release();
  const int saved = errno;
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  errno = saved;
  if (p == MAP_FAILED) return nullptr;
  base_ = p;
  size_ = size;
  return p;
}

void ScratchMapping::release() {
  if (base_ == nullptr) return;
  const int saved = errno;
  munmap(base_, size_);
  errno = saved;
  base_ = nullptr;
  size_ = 0;
}

}  // namespace agentguard::preload
