#include "go_shellwords.hpp"

#include <cstdint>

namespace agentguard::policy::detail {
namespace {

// One code point as Go's `for _, r := range s` decodes it: an invalid or truncated sequence is one
// byte of U+FFFD (RuneError). Returns the UTF-8 bytes to append and advances `i`.
std::string_view next_rune(std::string_view s, std::size_t& i) {
  static constexpr std::string_view kRuneError = "\xEF\xBF\xBD";
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::uint8_t b0 = byte(i);
  std::size_t n = 0;
  std::uint8_t lo = 0x80, hi = 0xBF;  // the accepted range of the second byte
  if (b0 < 0x80) n = 1;
  else if (b0 >= 0xC2 && b0 <= 0xDF) n = 2;
  else if (b0 == 0xE0) n = 3, lo = 0xA0;
  else if (b0 >= 0xE1 && b0 <= 0xEC) n = 3;
  else if (b0 == 0xED) n = 3, hi = 0x9F;  // no surrogates
  else if (b0 >= 0xEE && b0 <= 0xEF) n = 3;
  else if (b0 == 0xF0) n = 4, lo = 0x90;
  else if (b0 >= 0xF1 && b0 <= 0xF3) n = 4;
  else if (b0 == 0xF4) n = 4, hi = 0x8F;
  bool ok = n != 0 && i + n <= s.size();
  for (std::size_t k = 1; ok && k < n; ++k) {
    const std::uint8_t b = byte(i + k);
    ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
  }
  if (!ok) {
    ++i;
    return kRuneError;
  }
  std::string_view rune = s.substr(i, n);
  i += n;
  return rune;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

GoShellwordsResult go_shellwords_parse(std::string_view line) {
  enum class Got { no, single, quoted };
  GoShellwordsResult out;
  std::string buf;
  bool escaped = false, double_quoted = false, single_quoted = false, back_quote = false, dollar_quote = false;
  Got got = Got::no;

  std::size_t i = 0;
  while (i < line.size()) {
    const std::string_view rune = next_rune(line, i);
    const char r = rune.size() == 1 ? rune[0] : '\0';  // every special character is ASCII
    if (escaped) {
      buf += rune;
      escaped = false;
      got = Got::single;
      continue;
    }
    if (r == '\\') {
      if (single_quoted) buf += rune;
      else escaped = true;
      continue;
    }
    if (is_space(r)) {
      if (single_quoted || double_quoted || back_quote || dollar_quote) {
        buf += rune;
      } else if (got != Got::no) {
        out.words.push_back(std::move(buf));
        buf.clear();
        got = Got::no;
      }
      continue;
    }
    switch (r) {
      case '`':
        if (!single_quoted && !double_quoted && !dollar_quote) back_quote = !back_quote;
        break;  // kept in the word
      case ')':
        if (!single_quoted && !double_quoted && !back_quote) dollar_quote = !dollar_quote;
        break;  // kept in the word
      case '(':
        if (!single_quoted && !double_quoted && !back_quote) {
          if (!dollar_quote && buf.ends_with('$')) {
            dollar_quote = true;
            buf += '(';
            continue;
          }
          out.error = "invalid command line string";
          out.words.clear();
          return out;
        }
        break;
      case '"':
        if (!single_quoted && !dollar_quote) {
          if (double_quoted) got = Got::quoted;
          double_quoted = !double_quoted;
          continue;
        }
        break;
      case '\'':
        if (!double_quoted && !dollar_quote) {
          if (single_quoted) got = Got::quoted;
          single_quoted = !single_quoted;
          continue;
        }
        break;
      case ';':
      case '&':
      case '|':
      case '<':
      case '>':
        if (!(single_quoted || double_quoted || back_quote || dollar_quote)) {
          // `2>file`: a word starting with a digit before '>' is a file descriptor, dropped.
          if (r == '>' && !buf.empty() && buf[0] >= '0' && buf[0] <= '9') got = Got::no;
          out.stopped = true;
          goto done;
        }
        break;
      default:
        break;
    }
    got = Got::single;
    buf += rune;
  }
done:
  if (got != Got::no) out.words.push_back(std::move(buf));
  if (escaped || single_quoted || double_quoted || back_quote || dollar_quote) {
    out.error = "invalid command line string";
    out.words.clear();
  }
  return out;
}

}  // namespace agentguard::policy::detail
