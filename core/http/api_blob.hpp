#pragma once
// The compiled API rules: one contiguous, position-independent blob of plain data. `agentguard run`
// writes it to a file; the preload maps it read-only and decides with no parsing at load. All
// offsets are from the start of the blob; the reader validates every one before use.
// Written by agentguard::policy::compile_api_rules (policy/src/api_compile.cpp).
#include <cstdint>

namespace agentguard::core::http::blob {

inline constexpr char kMagic[8] = {'A', 'G', 'A', 'P', 'I', 'R', 'L', 'S'};
inline constexpr std::uint32_t kVersion = 2;  // 2: patterns carry kExcept

struct StringRef {
  std::uint32_t offset;  // from the start of the blob
  std::uint32_t length;
};

struct Header {
  char magic[8];
  std::uint32_t version;
  std::uint32_t total_size;
  std::uint32_t rule_count;
  std::uint32_t rules_offset;
  std::uint32_t pattern_count;
  std::uint32_t patterns_offset;
  std::uint32_t condition_count;
  std::uint32_t conditions_offset;
  std::uint32_t strings_offset;
  std::uint32_t strings_size;
};

// Actions in the blob: the precedence numbers of agentguard/model.hpp (policy::precedence), so a
// higher code wins; api_compile.cpp checks they agree.
enum ActionCode : std::uint8_t { kLog = 1, kAsk = 2, kAllow = 3, kDeny = 4 };

struct Rule {
  std::uint8_t action;  // ActionCode
  std::uint8_t reserved[3];
  StringRef id;
  StringRef message;
  std::uint32_t pattern_first;  // index into the pattern table
  std::uint32_t pattern_count;
  std::uint32_t condition_first;
  std::uint32_t condition_count;
};

enum PatternKind : std::uint32_t { kMatch = 0, kExcept = 1 };

// "service:Operation" split at the colon, both IAM-style globs (case-insensitive `*`, `?`).
// kExcept patterns (`except = [...]`) take a named operation out of the rule's match.
struct Pattern {
  StringRef service;
  StringRef operation;
  std::uint32_t kind;  // PatternKind
};

enum ConditionKind : std::uint8_t { kWhen = 0, kUnless = 1 };

// One glob for one fact. Several conditions on the same fact and kind are alternatives (OR);
// different facts must all hold (AND).
struct Condition {
  std::uint8_t fact;  // core::http::Fact
  std::uint8_t kind;  // ConditionKind
  std::uint8_t reserved[2];
  StringRef glob;
};

}  // namespace agentguard::core::http::blob
