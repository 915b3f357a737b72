#include "core/files/protected_paths.hpp"

namespace agentguard::core {
namespace {

enum class PatternKind : std::uint8_t {
  name,       // a glob on the final name
  directory,  // a directory name: the directory itself and everything under it
};

// The built-in patterns. Names are globbed against the final component, so they protect the file
// wherever it is reached from; `.terraform/terraform.tfstate` (the backend record) is one of the
// `*.tfstate` files. The timestamped backups are what `terraform state rm/mv/replace-provider`
// write before changing local state (terraform's command/state_meta.go): the agent deleting them
// removes the way back. (Inline arrays, not pointers: nothing to relocate at load time.)
struct BuiltinPattern {
  PatternKind kind;
  Protection protection;
  char text[24];
};

constexpr BuiltinPattern kBuiltin[] = {
    {PatternKind::name, Protection::terraform_state, "*.tfstate"},
    {PatternKind::name, Protection::terraform_backup, "*.tfstate.backup"},
    {PatternKind::name, Protection::terraform_backup, "*.tfstate.*.backup"},
    {PatternKind::directory, Protection::terraform_workspaces, "terraform.tfstate.d"},
};

// The shortest name any name pattern matches (".tfstate"), for the quick reject.
constexpr std::size_t kShortestProtectedName = 8;

bool equal_slice(const char* a, std::size_t a_len, const char* b) {
  std::size_t i = 0;
  for (; i < a_len; ++i) {
    if (b[i] == '\0' || b[i] != a[i]) return false;
  }
  return b[i] == '\0';
}

bool is_normalised_absolute(const char* path, std::size_t length) {
  if (length < 2 || path[0] != '/' || path[length - 1] == '/') return false;
  std::size_t start = 1;
  for (std::size_t i = 1; i <= length; ++i) {
    if (i < length && path[i] != '/') continue;
    const std::size_t part = i - start;
    if (part == 0) return false;
    if (part == 1 && path[start] == '.') return false;
    if (part == 2 && path[start] == '.' && path[start + 1] == '.') return false;
    start = i + 1;
  }
  return true;
}

}  // namespace

const char* protection_rule_id(Protection protection) {
  switch (protection) {
    case Protection::terraform_state:
      return "protected-paths.terraform-state";
    case Protection::terraform_backup:
      return "protected-paths.terraform-state-backup";
    case Protection::terraform_workspaces:
      return "protected-paths.terraform-workspaces";
    case Protection::guard_file:
      return "protected-paths.guard";
    case Protection::none:
      break;
  }
  return "";
}

const char* protection_reason(Protection protection) {
  switch (protection) {
    case Protection::terraform_state:
      return "this is Terraform state, which only terraform itself may change";
    case Protection::terraform_backup:
      return "this is a backup of Terraform state, which only terraform itself may change";
    case Protection::terraform_workspaces:
      return "this is Terraform's workspace state (terraform.tfstate.d), which only terraform itself may change";
    case Protection::guard_file:
      return "this is one of agentguard's own files";
    case Protection::none:
      break;
  }
  return "";
}

const char* protection_advice(Protection protection) {
  switch (protection) {
    case Protection::terraform_state:
    case Protection::terraform_backup:
    case Protection::terraform_workspaces:
      return "Change state only through terraform's own commands; if it really must be edited, ask a human.";
    case Protection::guard_file:
      return "The guard's files are changed only by agentguard itself; ask a human.";
    case Protection::none:
      break;
  }
  return "";
}

bool glob_match_name(const char* pattern, const char* name, std::size_t length) {
  // Iterative '*' matching with one backtrack point: linear in practice, no recursion.
  std::size_t p = 0;
  std::size_t n = 0;
  std::size_t star = static_cast<std::size_t>(-1);
  std::size_t resume = 0;
  while (n < length) {
    if (pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (pattern[p] != '\0' && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != static_cast<std::size_t>(-1)) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] == '*') ++p;
  return pattern[p] == '\0';
}

Protection protected_name(const char* name, std::size_t length) {
  // Quick reject, the common case: every name pattern ends in "tfstate" or "backup".
  if (length < kShortestProtectedName) return Protection::none;
  const char last = name[length - 1];
  if (last != 'e' && last != 'p') return Protection::none;
  for (const BuiltinPattern& pattern : kBuiltin) {
    if (pattern.kind == PatternKind::name && glob_match_name(pattern.text, name, length)) return pattern.protection;
  }
  return Protection::none;
}

bool ProtectedPaths::add_prefix(const char* path, std::size_t length) {
  if (path == nullptr || prefix_count_ >= kMaxPrefixes || !is_normalised_absolute(path, length)) return false;
  prefixes_[prefix_count_++] = {path, length};
  return true;
}

Protection ProtectedPaths::match(const char* path, std::size_t length) const {
  std::size_t name_start = 0;
  for (std::size_t i = 0; i < length; ++i) {
    if (path[i] == '/') name_start = i + 1;
  }
  const Protection by_name = protected_name(path + name_start, length - name_start);
  if (by_name != Protection::none) return by_name;

  // Directory patterns: any component, the final one included (renaming or removing the
  // directory itself loses what is under it).
  std::size_t start = 0;
  for (std::size_t i = 0; i <= length; ++i) {
    if (i < length && path[i] != '/') continue;
    if (i > start) {
      for (const BuiltinPattern& pattern : kBuiltin) {
        if (pattern.kind == PatternKind::directory && equal_slice(path + start, i - start, pattern.text))
          return pattern.protection;
      }
    }
    start = i + 1;
  }

  for (std::size_t k = 0; k < prefix_count_; ++k) {
    const Prefix& prefix = prefixes_[k];
    if (length < prefix.length) continue;
    bool same = true;
    for (std::size_t i = 0; i < prefix.length && same; ++i) same = path[i] == prefix.text[i];
    if (same && (length == prefix.length || path[prefix.length] == '/')) return Protection::guard_file;
  }
  return Protection::none;
}

}  // namespace agentguard::core
