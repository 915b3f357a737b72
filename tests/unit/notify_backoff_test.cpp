#include <gtest/gtest.h>

#include "notify/backoff.hpp"

namespace agentguard::notify {
namespace {

TEST(NotifyBackoff, DoublesFromFiveSecondsUpToTheCap) {
  // jitter 1.0 (upper bound) gives the full delay
  EXPECT_EQ(backoff_delay_seconds(0, 1.0), 0);
  EXPECT_EQ(backoff_delay_seconds(1, 1.0), 5);
  EXPECT_EQ(backoff_delay_seconds(2, 1.0), 10);
  EXPECT_EQ(backoff_delay_seconds(3, 1.0), 20);
  EXPECT_EQ(backoff_delay_seconds(6, 1.0), 160);
  EXPECT_EQ(backoff_delay_seconds(10, 1.0), 1800);
  EXPECT_EQ(backoff_delay_seconds(1000, 1.0), 1800);
}

TEST(NotifyBackoff, JitterScalesBetweenHalfAndFull) {
  EXPECT_EQ(backoff_delay_seconds(3, 0.0), 10);
  EXPECT_EQ(backoff_delay_seconds(3, 0.5), 15);
  for (int i = 0; i < 200; ++i) {
    double jitter = random_jitter();
    ASSERT_GE(jitter, 0.0);
    ASSERT_LT(jitter, 1.0);
    int64_t delay = backoff_delay_seconds(4, jitter);
    EXPECT_GE(delay, 20);
    EXPECT_LE(delay, 40);
  }
}

}  // namespace
}  // namespace agentguard::notify
