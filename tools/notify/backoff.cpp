#include "notify/backoff.hpp"

#include <algorithm>
#include <random>

namespace agentguard::notify {

int64_t backoff_delay_seconds(int failed_attempts, double jitter01) {
  if (failed_attempts < 1) return 0;
  int64_t delay = kBackoffBaseSeconds;
  for (int i = 1; i < failed_attempts && delay < kBackoffCapSeconds; ++i) delay *= 2;
  delay = std::min(delay, kBackoffCapSeconds);
  double factor = 0.5 + 0.5 * std::clamp(jitter01, 0.0, 1.0);
  return std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(delay) * factor));
}

double random_jitter() {
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace agentguard::notify
