#pragma once
// The decision for one launch, shared by every hook: identify the program, then either keep the
// launch (with the guard re-injected into its envp) or hand it to the gate. Everything lives in
// LaunchBuffers on the hook's stack (or an mmap for very large environments): no heap, no
// globals written, so it is safe in a vfork child.
#include <cstddef>

#include "core/identity.hpp"
#include "scratch.hpp"

namespace agentguard::preload {

struct LaunchBuffers {
  static constexpr std::size_t kSlots = 256;
  static constexpr std::size_t kText = 2048;
  core::Identity identity;
  const char* env_slots[kSlots];
  char env_text[kText];
  const char* argv_slots[kSlots];
  ScratchMapping env_mapping;
  ScratchMapping argv_mapping;
};

struct LaunchPlan {
  bool watched = false;
  bool refused = false;             // watched but no usable gate: do not launch anything
  const char* gate = nullptr;       // watched: the gate's path
  char* const* argv = nullptr;      // watched: the gate's argv; else the caller's
  char* const* envp = nullptr;      // the envp to hand to the kernel
};

// `examine_path` is the file the kernel will run (after any PATH search); `argv`/`envp` are the
// caller's. Never fails an unwatched launch: if the envp cannot be rebuilt, the caller's is used.
void plan_launch(const char* examine_path, char* const* argv, char* const* envp,
                 LaunchBuffers& buffers, LaunchPlan& plan);

// The one line on stderr for a watched launch that could not reach the gate. Preserves errno.
void report_gate_unusable(const LaunchBuffers& buffers, const LaunchPlan& plan);

}  // namespace agentguard::preload
