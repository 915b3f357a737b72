#include "cli_output.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace agentguard::cli::output {
namespace {
ColorMode g_mode = ColorMode::automatic;
}  // namespace

void set_color_mode(const std::string& word) {
  if (word == "auto" || word.empty()) g_mode = ColorMode::automatic;
  else if (word == "always") g_mode = ColorMode::always;
  else if (word == "never") g_mode = ColorMode::never;
  else throw std::invalid_argument("--color must be auto, always or never, not '" + word + "'");
}

bool color(int fd) {
  if (g_mode != ColorMode::automatic) return g_mode == ColorMode::always;
  if (const char* no = std::getenv("NO_COLOR"); no && *no) return false;
  if (const char* term = std::getenv("TERM"); term && std::strcmp(term, "dumb") == 0) return false;
  return isatty(fd) == 1;
}

std::string paint(int fd, const char* sgr, const std::string& text) {
  if (!color(fd)) return text;
  return std::string("\033[") + sgr + "m" + text + "\033[0m";
}

std::string decision_word(const std::string& word) {
  if (word == "deny") return paint(1, "1;31", word);
  if (word == "ask") return paint(1, "1;33", word);
  if (word == "allow") return paint(1, "32", word);
  return word;
}

}  // namespace agentguard::cli::output
