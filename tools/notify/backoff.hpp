#pragma once
// Retry schedule: exponential backoff with jitter. Attempt n (1 = first failure) waits
// base * 2^(n-1), capped, scaled by a jitter factor in [0.5, 1.0] so that many senders that failed
// together do not retry together.
#include <cstdint>

namespace agentguard::notify {
inline constexpr int64_t kBackoffBaseSeconds = 5;
inline constexpr int64_t kBackoffCapSeconds = 1800;
// jitter01 in [0, 1): 0 gives half the delay, values near 1 the full delay.
int64_t backoff_delay_seconds(int failed_attempts, double jitter01);
double random_jitter();
}  // namespace agentguard::notify
