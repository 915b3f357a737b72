#include "log.hpp"

#include <cstdio>

namespace agentguard::log {

namespace {
Sink g_sink = nullptr;
}

void set_sink(Sink sink) { g_sink = sink; }

void debug(const std::string& message) {
  if (g_sink) g_sink(Level::debug, message);
}

void warn(const std::string& message) {
  if (g_sink) g_sink(Level::warn, message);
  else std::fprintf(stderr, "agentguard: warning: %s\n", message.c_str());
}

}  // namespace agentguard::log
