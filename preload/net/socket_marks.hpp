#pragma once
// One bit per file descriptor: set when the process connected it to a TCP peer while API
// inspection is on (docs/https-guard.md §1b). Every write/read hook asks this first, so an
// unmarked descriptor costs a load, a compare and a bit test. The bits live in an anonymous
// mapping made on the first mark: a process that never connects over TCP has none.
#include <atomic>
#include <cstdint>

namespace agentguard::preload {

inline constexpr unsigned kMarkableFds = 1u << 20;  // descriptors beyond are never inspected

extern std::atomic<std::uint64_t*> g_fd_marks;

inline bool fd_marked(int fd) {
  std::uint64_t* words = g_fd_marks.load(std::memory_order_acquire);
  if (words == nullptr || static_cast<unsigned>(fd) >= kMarkableFds) return false;
  return (__atomic_load_n(&words[static_cast<unsigned>(fd) >> 6], __ATOMIC_RELAXED) >> (fd & 63)) & 1u;
}

// False when the table cannot be made (no memory): the descriptor stays unmarked.
bool mark_fd(int fd);
void unmark_fd(int fd);

// Whether this process made the marks (the last mark_fd ran here). A vfork child shares the
// parent's memory but not its descriptor table: its close()/dup2() (CPython's subprocess closes
// every descriptor in one) must neither clear the parent's bits nor free its state. A child
// that is not the owner leaves both alone. One getpid() system call; only marked descriptors ask.
bool in_marking_process();

// The connection-table key of a plain descriptor: the top of the address space, where no SSL*
// or gnutls session can live, so both kinds share one table.
inline const void* fd_key(int fd) {
  return reinterpret_cast<const void*>(~static_cast<std::uintptr_t>(static_cast<unsigned>(fd)));
}

}  // namespace agentguard::preload
