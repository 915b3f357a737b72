#include "socket_marks.hpp"

#include <sys/mman.h>
#include <unistd.h>

namespace agentguard::preload {

std::atomic<std::uint64_t*> g_fd_marks{nullptr};

namespace {

std::atomic<pid_t> g_marking_pid{0};

std::uint64_t* marks_or_create() {
  std::uint64_t* words = g_fd_marks.load(std::memory_order_acquire);
  if (words != nullptr) return words;
  // 128 KiB of address space; only the pages of descriptors really marked are ever touched.
  void* map = mmap(nullptr, kMarkableFds / 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return nullptr;
  std::uint64_t* expected = nullptr;
  if (g_fd_marks.compare_exchange_strong(expected, static_cast<std::uint64_t*>(map), std::memory_order_acq_rel))
    return static_cast<std::uint64_t*>(map);
  munmap(map, kMarkableFds / 8);  // another thread made it first
  return expected;
}

}  // namespace

bool mark_fd(int fd) {
  if (static_cast<unsigned>(fd) >= kMarkableFds) return false;
  std::uint64_t* words = marks_or_create();
  if (words == nullptr) return false;
  g_marking_pid.store(getpid(), std::memory_order_relaxed);
  __atomic_fetch_or(&words[static_cast<unsigned>(fd) >> 6], std::uint64_t{1} << (fd & 63), __ATOMIC_RELEASE);
  return true;
}

void unmark_fd(int fd) {
  std::uint64_t* words = g_fd_marks.load(std::memory_order_acquire);
  if (words == nullptr || static_cast<unsigned>(fd) >= kMarkableFds) return;
  __atomic_fetch_and(&words[static_cast<unsigned>(fd) >> 6], ~(std::uint64_t{1} << (fd & 63)), __ATOMIC_RELEASE);
}

bool in_marking_process() { return g_marking_pid.load(std::memory_order_relaxed) == getpid(); }

}  // namespace agentguard::preload
