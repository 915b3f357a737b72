#pragma once
// Reading a stopped exec's arguments out of the target process (process_vm_readv): the path,
// argv and envp it passed to execve/execveat. Every read is bounded; an unreadable or oversized
// argument list is an error (the supervisor then refuses the exec), never a guess.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace agentguard::gate {

class TargetMemory {
 public:
  explicit TargetMemory(pid_t pid) : pid_(pid) {}

  // A NUL-terminated string at `address`, at most `max` bytes.
  std::optional<std::string> string_at(std::uint64_t address, std::size_t max) const;
  // A NULL-terminated array of string pointers (argv, envp). A null `address` is an empty list,
  // as the kernel treats it. Limits: `max_items` entries and `max_bytes` of text in total.
  std::optional<std::vector<std::string>> strings_at(std::uint64_t address, std::size_t max_items,
                                                     std::size_t max_bytes) const;

 private:
  bool read(std::uint64_t address, void* out, std::size_t size) const;
  pid_t pid_;
};

}  // namespace agentguard::gate
