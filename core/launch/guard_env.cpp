#include "core/launch/guard_env.hpp"
#include "core/base/hot_path.hpp"

#include <sys/mman.h>

#include <cstdint>

#include "core/base/text.hpp"

namespace agentguard::core {
namespace {

constexpr char kPreloadPrefix[] = "LD_PRELOAD=";
constexpr std::size_t kPreloadPrefixLen = sizeof kPreloadPrefix - 1;
constexpr std::size_t kCallerPrefixLen = sizeof kCallerPreloadVar - 1 + 1;  // "NAME="

// Length of "NAME=" if entry is NAME=..., else 0.
std::size_t name_prefix(const char* entry, const char* name) {
  std::size_t i = 0;
  for (; name[i] != '\0'; ++i) {
    if (entry[i] != name[i]) return 0;
  }
  return entry[i] == '=' ? i + 1 : 0;
}

constexpr std::size_t name_length(const char* name) {
  std::size_t n = 0;
  while (name[n] != '\0') ++n;
  return n;
}

// The forced names' lengths, so an entry is compared with the one name of its length and first
// letter after the common prefix at most twice, not with all eleven.
struct ForcedNameLengths {
  std::size_t length[kForcedVarCount] = {};
  constexpr ForcedNameLengths() {
    for (std::size_t k = 0; k < kForcedVarCount; ++k) length[k] = name_length(kForcedVarNames[k]);
  }
};
constexpr ForcedNameLengths kForcedNameLengths;
constexpr std::size_t kCommonPrefixLen = name_length(protocol::kEnvPrefix);

// Index of the forced variable this entry sets, or -1. Cheap reject on the first letter:
// this runs for every entry of every envp, and twice per launch in a guarded process.
AGENTGUARD_HOT int forced_index(const char* entry) {
  if (entry[0] != 'A' || !text::starts_with(entry, protocol::kEnvPrefix)) return -1;
  std::size_t length = kCommonPrefixLen;
  while (entry[length] != '=' && entry[length] != '\0') ++length;
  if (entry[length] != '=') return -1;
  for (std::size_t k = 0; k < kForcedVarCount; ++k) {
    if (kForcedNameLengths.length[k] != length || kForcedVarNames[k][kCommonPrefixLen] != entry[kCommonPrefixLen]) continue;
    if (name_prefix(entry, kForcedVarNames[k]) != 0) return static_cast<int>(k);
  }
  return -1;
}

bool is_preload_entry(const char* entry) {
  return entry[0] == 'L' && text::starts_with(entry, kPreloadPrefix);
}

// Writes the LD_PRELOAD value the child must have (library first unless already listed).
// Returns the length written (no NUL), or 0 if it does not fit.
std::size_t write_preload_value(const char* current, const char* library, char* out, std::size_t cap) {
  std::size_t n = 0;
  auto put = [&](const char* s) {
    for (; *s != '\0'; ++s) {
      if (n + 1 >= cap) return false;
      out[n++] = *s;
    }
    return true;
  };
  bool ok = true;
  if (current != nullptr && preload_list_contains(current, library)) {
    ok = put(current);
  } else {
    ok = put(library);
    if (ok && current != nullptr && current[0] != '\0') ok = put(":") && put(current);
  }
  if (!ok) return 0;
  out[n] = '\0';
  return n;
}

}  // namespace

AGENTGUARD_HOT const char* GuardEnv::value(std::size_t index) const {
  const char* entry = forced[index];
  if (entry == nullptr) return nullptr;
  while (*entry != '=') ++entry;
  return entry + 1;
}

const char* GuardEnvCache::store(const char* s, std::size_t len) {
  if (used_ + len + 1 > capacity_) return nullptr;
  char* dst = storage_ + used_;
  for (std::size_t i = 0; i < len; ++i) dst[i] = s[i];
  dst[len] = '\0';
  used_ += len + 1;
  return dst;
}

bool GuardEnvCache::capture(const char* const* envp, const char* self_path) {
  env_ = GuardEnv{};
  used_ = 0;
  // Room needed: first occurrence of each variable, plus our own path.
  const char* first[kForcedVarCount] = {};
  std::size_t needed = self_path != nullptr ? text::length(self_path) + 1 : 0;
  for (const char* const* e = envp; e != nullptr && *e != nullptr; ++e) {
    const int k = forced_index(*e);
    if (k < 0 || first[k] != nullptr) continue;  // first occurrence wins, as with getenv
    first[k] = *e;
    needed += text::length(*e) + 1;
  }
  if (storage_ == nullptr || needed > capacity_) {
    storage_ = inline_storage_;
    capacity_ = kInlineStorage;
    if (needed > kInlineStorage) {
      void* mapped = mmap(nullptr, needed, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (mapped != MAP_FAILED) {
        storage_ = static_cast<char*>(mapped);
        capacity_ = needed;
      }
    }
  }
  bool complete = true;
  for (std::size_t k = 0; k < kForcedVarCount; ++k) {
    if (first[k] == nullptr) continue;
    const std::size_t length = text::length(first[k]);
    env_.forced[k] = store(first[k], length);
    if (env_.forced[k] != nullptr) env_.forced_length[k] = length;
    if (env_.forced[k] == nullptr) complete = false;
  }
  const char* lib = env_.value(kVarLib);
  if (lib != nullptr && lib[0] != '\0') {
    env_.library = lib;
  } else if (self_path != nullptr) {
    env_.library = store(self_path, text::length(self_path));
  }
  if (env_.library == nullptr) complete = false;
  return complete;
}

GuardEnv guard_env_view(const char* const* envp) {
  GuardEnv view;
  for (const char* const* e = envp; e != nullptr && *e != nullptr; ++e) {
    const int k = forced_index(*e);
    if (k >= 0 && view.forced[k] == nullptr) view.forced[k] = *e;
  }
  const char* lib = view.value(kVarLib);
  if (lib != nullptr && lib[0] != '\0') view.library = lib;
  return view;
}

AGENTGUARD_HOT bool preload_list_contains(const char* value, const char* library) {
  if (value == nullptr || library == nullptr || library[0] == '\0') return false;
  const std::size_t lib_len = text::length(library);
  const char* p = value;
  while (*p != '\0') {
    while (*p == ':' || *p == ' ') ++p;
    const char* start = p;
    while (*p != '\0' && *p != ':' && *p != ' ') ++p;
    if (static_cast<std::size_t>(p - start) == lib_len) {
      bool same = true;
      for (std::size_t i = 0; i < lib_len && same; ++i) same = start[i] == library[i];
      if (same) return true;
    }
  }
  return false;
}

namespace {

// entry == expected, where expected is `length` bytes and a NUL. Word by word where it can: this
// runs on every launch, and the watch list and the protected paths are long. Loads from `entry`
// are 8-byte aligned (an aligned load never crosses into the next page, so it cannot fault even
// past the entry's NUL: a NUL there differs from `expected`, which has none before `length`);
// loads from `expected` stay inside its `length` + 1 bytes.
AGENTGUARD_HOT bool same_entry(const char* entry, const char* expected, std::size_t length) {
  std::size_t i = 0;
  for (; i <= length && (reinterpret_cast<std::uintptr_t>(entry + i) & 7u) != 0; ++i) {
    if (entry[i] != expected[i]) return false;
  }
  for (; i + 8 <= length; i += 8) {
    std::uint64_t a;
    std::uint64_t b;
    __builtin_memcpy(&a, entry + i, 8);
    __builtin_memcpy(&b, expected + i, 8);
    if (a != b) return false;
  }
  for (; i <= length; ++i) {
    if (entry[i] != expected[i]) return false;
  }
  return true;
}

}  // namespace

AGENTGUARD_HOT bool guard_env_intact(const char* const* envp, const GuardEnv& guard) {
  bool preload_seen = false;
  bool preload_ok = false;
  bool seen[kForcedVarCount] = {};
  bool ok[kForcedVarCount] = {};
  for (const char* const* e = envp; e != nullptr && *e != nullptr; ++e) {
    const char* entry = *e;
    if (!preload_seen && is_preload_entry(entry)) {
      preload_seen = true;
      preload_ok = preload_list_contains(entry + kPreloadPrefixLen, guard.library);
      continue;
    }
    const int k = forced_index(entry);
    if (k < 0 || seen[k]) continue;
    seen[k] = true;
    ok[k] = guard.forced[k] != nullptr && (guard.forced_length[k] != 0 ? same_entry(entry, guard.forced[k], guard.forced_length[k])
                                                                         : text::equal(entry, guard.forced[k]));
  }
  if (!preload_ok) return false;
  for (std::size_t k = 0; k < kForcedVarCount; ++k) {
    const bool wanted = guard.forced[k] != nullptr;
    if (wanted ? !(seen[k] && ok[k]) : seen[k]) return false;
  }
  return true;
}

std::size_t envp_slots_needed(const char* const* envp) {
  std::size_t n = 0;
  for (const char* const* e = envp; e != nullptr && *e != nullptr; ++e) ++n;
  return n + kForcedVarCount + 2;  // + LD_PRELOAD (or CALLER_LD_PRELOAD) + terminating nullptr
}

std::size_t envp_text_needed(const char* const* envp, const GuardEnv& guard) {
  const char* current = text::env_value(envp, "LD_PRELOAD");
  std::size_t n = kCallerPrefixLen + 1;  // the longer of the two prefixes, and ':'
  n += guard.library != nullptr ? text::length(guard.library) : 0;
  n += current != nullptr ? text::length(current) : 0;
  return n + 1;
}

EnvpStatus build_guarded_envp(const char* const* envp, const GuardEnv& guard, EnvpMode mode,
                              const EnvpBuffers& buffers, const char* const** result) {
  if (mode == EnvpMode::child && guard_env_intact(envp, guard)) {
    *result = envp;
    return EnvpStatus::unchanged;
  }
  if (guard.library == nullptr) return EnvpStatus::no_room;
  const char* current_preload = nullptr;
  const char* current_entry = nullptr;
  std::size_t n = 0;
  for (const char* const* e = envp; e != nullptr && *e != nullptr; ++e) {
    const char* entry = *e;
    if (is_preload_entry(entry)) {
      if (current_preload == nullptr) {
        current_entry = entry;
        current_preload = entry + kPreloadPrefixLen;
      }
      continue;
    }
    if (forced_index(entry) >= 0) continue;
    if (mode == EnvpMode::gate && name_prefix(entry, kCallerPreloadVar) != 0) continue;
    if (n + 1 >= buffers.slot_count) return EnvpStatus::no_room;
    buffers.slots[n++] = entry;
  }
  if (n + kForcedVarCount + 2 > buffers.slot_count) return EnvpStatus::no_room;

  // The one string we may have to build: our LD_PRELOAD (child) or CALLER_LD_PRELOAD (gate).
  if (mode == EnvpMode::child && current_preload != nullptr &&
      preload_list_contains(current_preload, guard.library)) {
    buffers.slots[n++] = current_entry;  // already right: reuse the caller's string
  } else {
    const char* prefix = mode == EnvpMode::child ? kPreloadPrefix : kCallerPreloadVar;
    std::size_t used = 0;
    for (const char* p = prefix; *p != '\0'; ++p) {
      if (used + 1 >= buffers.text_size) return EnvpStatus::no_room;
      buffers.text[used++] = *p;
    }
    if (mode == EnvpMode::gate) {
      if (used + 1 >= buffers.text_size) return EnvpStatus::no_room;
      buffers.text[used++] = '=';
    }
    if (write_preload_value(current_preload, guard.library, buffers.text + used,
                            buffers.text_size - used) == 0) {
      return EnvpStatus::no_room;
    }
    buffers.slots[n++] = buffers.text;
  }
  for (std::size_t k = 0; k < kForcedVarCount; ++k) {
    if (guard.forced[k] != nullptr) buffers.slots[n++] = guard.forced[k];
  }
  buffers.slots[n] = nullptr;
  *result = buffers.slots;
  return EnvpStatus::rewritten;
}

std::size_t build_guard_shell_command(const char* command, const GuardEnv& guard,
                                      const char* environ_ld_preload, char* out, std::size_t cap) {
  // Counts every byte; writes only while it fits, so one function gives both size and text.
  std::size_t n = 0;
  auto put_char = [&](char c) {
    if (n < cap) out[n] = c;
    ++n;
  };
  auto put = [&](const char* s) {
    for (; *s != '\0'; ++s) put_char(*s);
  };
  auto put_quoted = [&](const char* s) {
    put_char('\'');
    for (; *s != '\0'; ++s) {
      if (*s == '\'') {
        put("'\\''");
      } else {
        put_char(*s);
      }
    }
    put_char('\'');
  };
  bool any_unset = false;
  for (std::size_t k = 0; k < kForcedVarCount; ++k) {
    if (guard.forced[k] != nullptr) continue;
    put(any_unset ? " " : "unset ");
    put(kForcedVarNames[k]);
    any_unset = true;
  }
  if (any_unset) put("; ");
  put(kPreloadPrefix);
  // The new LD_PRELOAD value, built in place: library first unless already listed.
  if (environ_ld_preload != nullptr && preload_list_contains(environ_ld_preload, guard.library)) {
    put_quoted(environ_ld_preload);
  } else {
    put_char('\'');
    for (const char* s = guard.library; s != nullptr && *s != '\0'; ++s) {
      if (*s == '\'') {
        put("'\\''");
      } else {
        put_char(*s);
      }
    }
    if (environ_ld_preload != nullptr && environ_ld_preload[0] != '\0') {
      put_char(':');
      for (const char* s = environ_ld_preload; *s != '\0'; ++s) {
        if (*s == '\'') {
          put("'\\''");
        } else {
          put_char(*s);
        }
      }
    }
    put_char('\'');
  }
  for (std::size_t k = 0; k < kForcedVarCount; ++k) {
    if (guard.forced[k] == nullptr) continue;
    put_char(' ');
    put(kForcedVarNames[k]);
    put_char('=');
    put_quoted(guard.value(k));
  }
  put(" exec /bin/sh -c ");
  put_quoted(command);
  put_char('\0');
  if (n > cap && cap > 0) out[0] = '\0';
  return n;
}

}  // namespace agentguard::core
