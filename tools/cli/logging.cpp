#include "logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "cli_output.hpp"
#include "core/protocol.hpp"
#include "support/log.hpp"

namespace agentguard::logging {

void init(const std::string& level) {
  std::string wanted = level;
  if (wanted.empty()) {
    const char* env = std::getenv(protocol::kEnvLogLevel);
    wanted = env ? env : "warn";
  }
  // Colour only where the rest of the CLI would use it (--color, NO_COLOR, a terminal).
  auto logger = spdlog::stderr_color_mt("agentguard", agentguard::cli::output::color(2) ? spdlog::color_mode::always
                                                                                        : spdlog::color_mode::never);
  logger->set_pattern("agentguard [%l] %v");
  logger->set_level(spdlog::level::from_str(wanted));
  spdlog::set_default_logger(logger);
  // The events library's messages (support/log.hpp) go to the same logger.
  log::set_sink([](log::Level at, const std::string& message) {
    if (at == log::Level::warn) spdlog::warn("{}", message);
    else spdlog::debug("{}", message);
  });
}

}  // namespace agentguard::logging
