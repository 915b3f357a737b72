#include "core/launch/interpreter_args.hpp"
#include "core/base/hot_path.hpp"

#include "core/base/string_table.hpp"
#include "core/base/text.hpp"

namespace agentguard::core {
namespace {

// The option lists are pointer-free tables (core/base/string_table.hpp): nothing to relocate at load.
template <typename Table>
bool in_list(const char* arg, const Table& list) {
  for (std::size_t i = 0; i < list.rows(); ++i) {
    const char* option = list.at(i);
    if (option != nullptr && text::equal(arg, option)) return true;
  }
  return false;
}

// glibc 2.36 rtld options; anything else ends the option list and is the program path.
constexpr const char* kLoaderValueOptions[] = {
    "--library-path", "--preload", "--audit", "--argv0", "--inhibit-rpath",
    "--glibc-hwcaps-prepend", "--glibc-hwcaps-mask"};
constexpr const char* kLoaderFlags[] = {"--inhibit-cache", "--verify", "--list", "--list-tunables",
                                        "--list-diagnostics", "--help", "--version"};

constexpr const char* kPythonLongValueOptions[] = {"--check-hash-based-pycs"};
constexpr const char* kNodeValueOptions[] = {
    "-r", "--require", "--import", "--loader", "--experimental-loader", "-C", "--conditions",
    "--title", "--env-file", "--input-type", "--inspect-port", "--debug-port", "--stack-trace-limit",
    "--experimental-policy", "--icu-data-dir", "--openssl-config", "--redirect-warnings",
    "--secure-heap", "--secure-heap-min", "--unhandled-rejections", "--dns-result-order"};
constexpr const char* kNodeInlineOptions[] = {"-e", "--eval", "-p", "--print"};
constexpr const char* kRubyLongValueOptions[] = {"--enable", "--disable", "--encoding",
                                                 "--external-encoding", "--internal-encoding"};
constexpr const char* kNoLongOptions[] = {nullptr};

constexpr auto kLoaderValueOptionTable = AGENTGUARD_STRING_TABLE(kLoaderValueOptions);
constexpr auto kLoaderFlagTable = AGENTGUARD_STRING_TABLE(kLoaderFlags);
constexpr auto kPythonLongValueOptionTable = AGENTGUARD_STRING_TABLE(kPythonLongValueOptions);
constexpr auto kNodeValueOptionTable = AGENTGUARD_STRING_TABLE(kNodeValueOptions);
constexpr auto kNodeInlineOptionTable = AGENTGUARD_STRING_TABLE(kNodeInlineOptions);
constexpr auto kRubyLongValueOptionTable = AGENTGUARD_STRING_TABLE(kRubyLongValueOptions);
constexpr auto kNoLongOptionTable = AGENTGUARD_STRING_TABLE(kNoLongOptions);  // one null row

bool contains(const char* set, char c) {
  for (; *set != '\0'; ++set) {
    if (*set == c) return true;
  }
  return false;
}

InterpreterTarget script_at(const char* const* argv, int i) {
  InterpreterTarget t;
  if (argv[i] != nullptr) t.index = i;
  return t;
}

// Short-option clusters shared by python, perl and ruby: `inline_chars` mean inline code
// (no script), `value_chars` take the rest of the argument or, if empty, the next argument,
// `attached_chars` take only the rest of the argument.
// (Arrays, not pointers: no load-time relocations.)
struct ShortOptions {
  char inline_chars[4];
  char value_chars[8];
  char attached_chars[16];
  char module_char;  // python's -m; 0 for none
};

// python: -c CODE is inline; -m MODULE; -W ARG and -X ARG take a value.
constexpr ShortOptions kPython{"c", "WX", "", 'm'};
// perl: -e/-E CODE inline; -I DIR may be separate; -0 -C -d -D -F -i -l -m -M -x -V take attached values.
constexpr ShortOptions kPerl{"eE", "I", "0CdDFilmMxV", 0};
// ruby: -e CODE inline; -I -r -C -E take a value; the rest attach theirs.
constexpr ShortOptions kRuby{"e", "IrCE", "0FiKTWx", 0};

template <typename LongValueOptions>
InterpreterTarget parse_generic(const char* const* argv, int at, const ShortOptions& opts,
                                const LongValueOptions& long_value_options) {
  InterpreterTarget none;
  for (int i = at + 1; argv[i] != nullptr; ++i) {
    const char* a = argv[i];
    if (a[0] != '-') return script_at(argv, i);
    if (a[1] == '\0') return none;  // "-": the script comes from stdin
    if (a[1] == '-') {
      if (a[2] == '\0') return script_at(argv, i + 1);  // "--" ends the options
      if (in_list(a, long_value_options)) {
        if (argv[i + 1] == nullptr) return none;
        ++i;
      }
      continue;  // other long options are flags or carry "=value"
    }
    for (int j = 1; a[j] != '\0'; ++j) {
      const char c = a[j];
      if (contains(opts.inline_chars, c)) return none;
      if (opts.module_char != 0 && c == opts.module_char) {
        InterpreterTarget t;
        if (a[j + 1] != '\0') {
          t.index = i;
          t.module = a + j + 1;
        } else if (argv[i + 1] != nullptr) {
          t.index = i + 1;
          t.module = argv[i + 1];
        }
        return t;
      }
      if (contains(opts.value_chars, c)) {
        if (a[j + 1] == '\0') {
          if (argv[i + 1] == nullptr) return none;
          ++i;
        }
        break;
      }
      if (contains(opts.attached_chars, c)) break;
    }
  }
  return none;
}

InterpreterTarget parse_node(const char* const* argv, int at) {
  InterpreterTarget none;
  for (int i = at + 1; argv[i] != nullptr; ++i) {
    const char* a = argv[i];
    if (a[0] != '-') return script_at(argv, i);
    if (a[1] == '\0') return none;
    if (a[1] == '-' && a[2] == '\0') return script_at(argv, i + 1);
    if (in_list(a, kNodeInlineOptionTable)) return none;
    if (text::starts_with(a, "--eval=") || text::starts_with(a, "--print=")) return none;
    if (in_list(a, kNodeValueOptionTable)) {
      if (argv[i + 1] == nullptr) return none;
      ++i;
      continue;
    }
    if (a[1] != '-') {
      // A cluster such as -pe: any e or p means inline code.
      for (int j = 1; a[j] != '\0'; ++j) {
        if (a[j] == 'e' || a[j] == 'p') return none;
      }
    }
  }
  return none;
}

}  // namespace

AGENTGUARD_HOT InterpreterKind interpreter_kind(const char* base) {
  if (text::starts_with(base, "ld-") || text::starts_with(base, "ld.so")) {
    for (const char* p = base; *p != '\0'; ++p) {
      if (p[0] == '.' && p[1] == 's' && p[2] == 'o') return InterpreterKind::loader;
    }
    return InterpreterKind::none;
  }
  if (text::starts_with(base, "python")) return InterpreterKind::python;
  if (text::starts_with(base, "node")) return InterpreterKind::node;
  if (text::starts_with(base, "perl")) return InterpreterKind::perl;
  if (text::starts_with(base, "ruby")) return InterpreterKind::ruby;
  return InterpreterKind::none;
}

int loader_program_index(const char* const* argv, int at) {
  if (argv == nullptr || argv[at] == nullptr) return -1;
  int i = at + 1;
  while (argv[i] != nullptr) {
    if (in_list(argv[i], kLoaderValueOptionTable)) {
      if (argv[i + 1] == nullptr) return -1;
      i += 2;
    } else if (in_list(argv[i], kLoaderFlagTable)) {
      i += 1;
    } else {
      return i;
    }
  }
  return -1;
}

InterpreterTarget interpreter_target(InterpreterKind kind, const char* const* argv, int at) {
  if (argv == nullptr || argv[at] == nullptr) return {};
  switch (kind) {
    case InterpreterKind::python: {
      return parse_generic(argv, at, kPython, kPythonLongValueOptionTable);
    }
    case InterpreterKind::perl: {
      return parse_generic(argv, at, kPerl, kNoLongOptionTable);
    }
    case InterpreterKind::ruby: {
      return parse_generic(argv, at, kRuby, kRubyLongValueOptionTable);
    }
    case InterpreterKind::node:
      return parse_node(argv, at);
    case InterpreterKind::none:
    case InterpreterKind::loader:
      break;
  }
  return {};
}

}  // namespace agentguard::core
