#pragma once
// Colour on the terminal, the way neighbouring tools do it: `--color=auto|always|never` (auto by
// default), NO_COLOR (https://no-color.org) turns auto off, and auto means colour only when the
// stream is a terminal (and TERM is not "dumb"). Pipes and files never get ANSI codes unless asked.
#include <string>

namespace agentguard::cli::output {

enum class ColorMode { automatic, always, never };

// Set once from --color (main.cpp). Throws std::invalid_argument for another word.
void set_color_mode(const std::string& word);
// Whether text written to fd (1 or 2) gets colour.
bool color(int fd);
// text wrapped in the SGR code (e.g. "1;31") when fd gets colour, else text as it is.
std::string paint(int fd, const char* sgr, const std::string& text);
// A decision word for stdout: deny red, ask yellow, allow green, log as it is.
std::string decision_word(const std::string& word);

}  // namespace agentguard::cli::output
