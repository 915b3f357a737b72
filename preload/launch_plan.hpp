#pragma once
// The decision for one launch, shared by every hook: identify the program, then either keep the
// launch (with the guard re-injected into its envp) or hand it to the gate. Everything lives in
// LaunchBuffers on the hook's stack (or an mmap for very large environments): no heap, no
// globals written, so it is safe in a vfork child.
#include <cstddef>
#include <new>

#include "core/launch/guard_env.hpp"
#include "core/launch/identity.hpp"
#include "scratch.hpp"

namespace agentguard::preload {

// Room for an Identity that is not zeroed first: identify() sets every field it reports, and in
// a forked child each stack page written costs a page fault, so 4 KiB of zeroes are not free.
// (Identity is an aggregate, an implicit-lifetime type: the byte array provides its storage.)
struct IdentitySlot {
  alignas(core::Identity) unsigned char raw[sizeof(core::Identity)];
  core::Identity& get() { return *std::launder(reinterpret_cast<core::Identity*>(raw)); }
};

enum class LaunchKind : unsigned char {
  plain,    // not watched, and envp already carries the guard: the original call as it is
  missing,  // nothing is at examine_path (identity.missing is the errno); only reported when
            // the caller asked for it (exec hooks whose examine_path is the caller's own path)
  rewrite,  // the slow path: rebuild the envp, or hand the launch to the gate
};

// The common launch is plain: nothing is copied and the original call goes ahead with the
// caller's own envp. Touches no errno.
LaunchKind classify_launch(const char* examine_path, bool report_missing, char* const* argv, char* const* envp,
                           core::Identity& identity, core::GuardEnv& guard);

// Buffers for the rest (a rewritten envp, the gate's argv), sized for this launch. The slow
// path carves them out of its own stack frame (alloca) up to kStackLimit, else out of an mmap.
// Not the heap (vfork children), and preferably not mmap either: an mmap made in a vfork child
// lands in the parent's address space and outlives the exec.
struct LaunchBuffers {
  static constexpr std::size_t kStackLimit = 64 * 1024;
  static std::size_t bytes_needed(char* const* argv, char* const* envp, const core::GuardEnv& guard);
  // Lays the arrays out in `memory` (at least bytes_needed(...) bytes, pointer-aligned).
  void assign(void* memory, char* const* argv, char* const* envp, const core::GuardEnv& guard);

  const char** env_slots = nullptr;
  std::size_t env_slot_count = 0;
  const char** argv_slots = nullptr;
  std::size_t argv_slot_count = 0;
  char* env_text = nullptr;
  std::size_t env_text_size = 0;
  ScratchMapping mapping;
};

struct LaunchPlan {
  bool watched = false;             // handed to the gate: a watched program, or one that needs its supervisor
  bool refused = false;             // watched but no usable gate: do not launch anything
  const char* gate = nullptr;       // watched: the gate's path
  char* const* argv = nullptr;      // watched: the gate's argv; else the caller's
  char* const* envp = nullptr;      // the envp to hand to the kernel
};

// After classify_launch said rewrite: `identity` is its verdict on `examine_path` (the file the kernel
// will run, after any PATH search). Never fails an unwatched launch: if the envp cannot be
// rebuilt, the caller's is used.
void plan_launch(const core::Identity& identity, const core::GuardEnv& guard, const char* examine_path,
                 char* const* argv, char* const* envp, LaunchBuffers& buffers, LaunchPlan& plan);

// The one line on stderr for a watched launch that could not reach the gate. Preserves errno.
void report_gate_unusable(const core::Identity& identity, const LaunchPlan& plan);

}  // namespace agentguard::preload
