#pragma once
// Seeing through the dynamic loader and script interpreters: which argv entry is the program
// they will actually run. Pure argv parsing, no syscalls.
#include <cstdint>

namespace agentguard::core {

enum class InterpreterKind : std::uint8_t { none, loader, python, node, perl, ruby };

// Classifies a launched file by its (symlink-resolved) basename.
InterpreterKind interpreter_kind(const char* base);

// `argv[at]` is the loader itself. Returns the index of the program path after the loader's
// options (--library-path X, --preload X, --audit X, ...), or -1 if there is none.
int loader_program_index(const char* const* argv, int at);

// What an interpreter at argv[at] runs: a script file (index of its path), a module
// (python -m: module name and its index), or nothing we can name (-c/-e code, stdin): index -1.
struct InterpreterTarget {
  int index = -1;
  const char* module = nullptr;
};
InterpreterTarget interpreter_target(InterpreterKind kind, const char* const* argv, int at);

}  // namespace agentguard::core
