#pragma once
// Which project policy governs a launch in the current directory, asked the way the preload can
// afford on every launch: no allocation, no libc, a getcwd and a couple of stat calls per directory
// level. The rule is the one of policy::find_project_policy (docs/policy.md, "Project policy"):
// the first .agentguard.toml from the directory upward, stopping at the directory that holds .git.
//
// The session's watch list says which project files its p= names already cover (the r= field,
// docs/architecture.md): a launch under another project file, or under a covered one that was
// edited since, goes to the gate, which reads that file and decides with it.
#include <cstdint>

namespace agentguard::core {

enum class ProjectScan : std::uint8_t {
  off,      // the watch list has no r= field: the session does not ask (an older session)
  none,     // no project policy applies here
  covered,  // the project policy here is one the session's watch list already covers, unchanged
  unknown,  // a project policy the watch list does not cover (new, edited, or unreadable): ask the gate
};

ProjectScan scan_project_policy(const char* watch_list);

// The r= item of a project file: "DEV:INO:SIZE:MTIME_NS" in decimal. Writes at most `cap` bytes
// (NUL included); false if the file cannot be stat'ed or `cap` is too small.
bool project_file_key(const char* path, char* out, unsigned long cap);

}  // namespace agentguard::core
