#pragma once
// What kind of file an exec runs, read from the file itself: a dynamically linked ELF (the preload
// will be inside it), a static one (no program interpreter: nothing of ours runs inside it, so
// its launches need the gate's supervisor), or a script. For a static Go executable also which
// protected program its Go build info names: every terraform, tofu, terragrunt or pulumi build
// carries the module path of its main package, so a renamed, patched or version-managed copy
// (~/.terraform.versions/terraform_1.6.0) is still that program.
//
// Freestanding: allocation-free, async-signal-safe (open/pread/close/fstat only), every read
// bounded. Answers are cached per process by (device, inode, size, mtime).
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>

namespace agentguard::core {

enum class ExecutableKind : std::uint8_t {
  unreadable,   // a regular file we cannot read (mode --x): only the kernel knows; treated as static
  dynamic_elf,  // has a PT_INTERP: the dynamic loader runs first, and the preload with it
  static_elf,   // ELF without PT_INTERP (static, static-pie): no preload can run inside it
  script,       // starts with "#!": its interpreter plus the script run; never fingerprinted
  other,        // not a regular file, or a format the kernel runs through binfmt_misc or not at all
};

struct ExecutableFacts {
  ExecutableKind kind = ExecutableKind::other;
  // Canonical program name from the Go build info ("terraform"), empty if none is recognised.
  char go_program[16] = {};
  // Setuid, setgid (with group execute) or file capabilities (security.capability): running it may
  // change credentials, and then the loader's secure mode drops LD_PRELOAD, so no preload runs inside.
  bool privileged = false;
};

// Examines the file at `path` (symlinks followed). Returns false if it cannot be stat'ed.
bool examine_executable(const char* path, ExecutableFacts& out);
// The same, with the caller's stat of `path` (identify stats the file once for both questions).
bool examine_executable(const char* path, const struct ::stat& st, ExecutableFacts& out);

// Parses Go build info (the 32-byte "\xff Go buildinf:" header and what follows, Go 1.18+
// inline format) in `blob`, copying the main package path into `path_out`. Exposed for tests.
bool go_main_package(const unsigned char* blob, std::size_t size, char* path_out, std::size_t cap);

// The protected program a Go main package path belongs to ("github.com/hashicorp/terraform" ->
// "terraform"), or nullptr.
const char* program_for_go_package(const char* package_path);

// True if the file at `fd` starts with "#!". Scripts are never content-fingerprinted.
bool fd_is_script(int fd);

}  // namespace agentguard::core
