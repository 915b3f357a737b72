#pragma once
// The word splitter terraform applies to TF_CLI_ARGS and TF_CLI_ARGS_<cmd>: github.com/mattn/go-shellwords
// v1.0.12 (the version terraform 1.11 vendors), Parser.Parse with ParseEnv and ParseBacktick off, as
// terraform's mergeEnvArgs calls it. Ported behaviour, not a POSIX shell:
//  - separators are space, tab, CR and LF;
//  - a backslash escapes the next character everywhere except inside single quotes, also inside
//    double quotes (`"a\b"` is `ab`);
//  - an unquoted ; & | < > ends the line: the rest is silently ignored (terraform never sees it), and
//    before `>` a word starting with a digit is dropped (`2>x`);
//  - backquotes and `$(`...`)` are kept literally, but group their contents into one word; a bare
//    `)` opens such a group too, and a `(` not preceded by `$` is an error;
//  - invalid UTF-8 bytes become U+FFFD, as Go's range-over-string decoding makes them.
#include <string>
#include <string_view>
#include <vector>

namespace agentguard::policy::detail {

struct GoShellwordsResult {
  std::vector<std::string> words;
  std::string error;     // non-empty: go-shellwords fails, and terraform refuses to run
  bool stopped = false;  // an unquoted ; & | < > ended the line before its end
};

GoShellwordsResult go_shellwords_parse(std::string_view line);

}  // namespace agentguard::policy::detail
