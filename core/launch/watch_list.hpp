#pragma once
// Read-only queries on an AGENTGUARD_WATCH string (format: docs/architecture.md, "The watch list").
// The string is scanned in place on every query: it is short, and scanning needs no memory.
#include <cstddef>
#include <cstdint>

namespace agentguard::core {

// True if `list` is a version-1 watch list ("v1" or "v1;..."). Anything else is ignored by
// identify, which then falls back to the built-in default list (never to "watch nothing").
bool watch_list_valid(const char* list);

// Is name[0..len) listed in the comma-separated field `key` ('p' or 'w')?
bool watch_list_has_name(const char* list, char key, const char* name, std::size_t len);

// python -m MODULE: if an m=MODULE:NAME entry matches MODULE (or a submodule of it), copies NAME.
bool watch_list_module(const char* list, const char* module, char* name_out, std::size_t cap);

// True if some f=NAME:SIZE:HASH entry has this size (so the file is worth hashing).
bool watch_list_has_size(const char* list, std::uint64_t size);

// If an f= entry matches size and hash, copies its NAME.
bool watch_list_content(const char* list, std::uint64_t size, std::uint64_t hash, char* name_out,
                        std::size_t cap);

}  // namespace agentguard::core
