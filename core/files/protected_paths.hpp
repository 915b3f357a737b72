#pragma once
// The protected-paths table: files and directories that no guarded process may create, write,
// truncate, rename, link or unlink (docs/architecture.md, "Protected paths"). The preload asks it
// about every write-intent file call; the tools ask it to explain a refusal.
//
// Built in: Terraform's local state (issue 12). The agent is refused `terraform state rm` and
// `workspace delete` by the gate; without this table it reaches the same end with `rm`, `cp`, a
// Python one-liner or `sed -i`, which orphans every resource in the state. Terraform itself is a
// static Go binary, so the preload never runs inside it and its own writes are untouched.
//
// Added at run time: absolute directory (or file) prefixes, for the guard's own files (issue 15).
//
// Allocation-free and async-signal-safe, like the rest of the core: the table is a static
// object, prefixes point at strings owned by the caller (the preload's cached environment).
#include <cstddef>
#include <cstdint>

namespace agentguard::core {

// Why a path is protected. Each has a rule id for the audit log and a sentence for the refusal.
enum class Protection : std::uint8_t {
  none,
  terraform_state,       // *.tfstate (this includes .terraform/terraform.tfstate, the backend record)
  terraform_backup,      // *.tfstate.backup, and *.tfstate.<unix time>.backup from `terraform state rm/mv`
  terraform_workspaces,  // a directory named terraform.tfstate.d, and everything under it
  guard_file,            // under a prefix added at run time (the guard's own files)
};

// "protected-paths.terraform-state", ...; "" for none.
const char* protection_rule_id(Protection protection);
// Completes "agentguard: blocked removing PATH: ..." (no trailing period); "" for none.
const char* protection_reason(Protection protection);
// What to do instead, one sentence; "" for none.
const char* protection_advice(Protection protection);

// The fast test on a final name alone (no '/'): does one of the built-in name patterns match?
// A few byte comparisons: every protected name ends in "tfstate" or "backup".
Protection protected_name(const char* name, std::size_t length);

class ProtectedPaths {
 public:
  static constexpr std::size_t kMaxPrefixes = 8;

  // Protects `path` (absolute, normalised: no "//", "." or ".." parts, no trailing '/') and
  // everything under it. The text is not copied: it must outlive the table. Returns false, and
  // adds nothing, if the path is not absolute and normalised or the table is full.
  bool add_prefix(const char* path, std::size_t length);
  std::size_t prefix_count() const { return prefix_count_; }

  // The verdict on a physical path: absolute and normalised as above (see physical_path.hpp).
  // Built-in patterns first (by name, then by directory), then the prefixes.
  Protection match(const char* path, std::size_t length) const;

 private:
  struct Prefix {
    const char* text;
    std::size_t length;
  };
  Prefix prefixes_[kMaxPrefixes] = {};
  std::size_t prefix_count_ = 0;
};

// A name-only glob: '*' matches any run of characters (none included), everything else itself.
// Exposed for the unit tests of the built-in patterns.
bool glob_match_name(const char* pattern, const char* name, std::size_t length);

}  // namespace agentguard::core
