#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "events_test_support.hpp"
#include "notify/notify.hpp"

namespace agentguard::notify {
namespace {

class NotifyConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"AGENTGUARD_WEBHOOK_URL", "AGENTGUARD_WEBHOOK_SECRET", "AGENTGUARD_WEBHOOK_SECRET_FILE",
                             "AGENTGUARD_WEBHOOK_FORMAT"})
      ::unsetenv(name);
  }
  void TearDown() override { SetUp(); }
};

TEST_F(NotifyConfig, NoUrlMeansNoWebhooks) { EXPECT_TRUE(config_from_environment().webhooks.empty()); }

TEST_F(NotifyConfig, SeveralUrlsWithFormats) {
  ::setenv("AGENTGUARD_WEBHOOK_URL",
           "http://127.0.0.1:9/a, https://hooks.slack.com/services/T/B/x discord:https://example.org/d "
           "https://discord.com/api/webhooks/1/2,slack:http://127.0.0.1:9/s",
           1);
  ::setenv("AGENTGUARD_WEBHOOK_SECRET", "k", 1);
  auto config = config_from_environment();
  ASSERT_EQ(config.webhooks.size(), 5u);
  EXPECT_EQ(config.webhooks[0].format, "json");
  EXPECT_EQ(config.webhooks[1].format, "slack");
  EXPECT_EQ(config.webhooks[2].format, "discord");
  EXPECT_EQ(config.webhooks[2].url, "https://example.org/d");
  EXPECT_EQ(config.webhooks[3].format, "discord");
  EXPECT_EQ(config.webhooks[4].format, "slack");
  EXPECT_EQ(config.webhooks[4].url, "http://127.0.0.1:9/s");
  for (const auto& hook : config.webhooks) EXPECT_EQ(hook.secret, "k");
}

TEST_F(NotifyConfig, SecretFromFileIsTrimmed) {
  testing::TempStateDir dir;
  auto file = dir.path() / "secret";
  std::ofstream(file) << "  s3cret\n";
  ::setenv("AGENTGUARD_WEBHOOK_URL", "http://127.0.0.1:9/", 1);
  ::setenv("AGENTGUARD_WEBHOOK_SECRET_FILE", file.c_str(), 1);
  EXPECT_EQ(config_from_environment().webhooks.at(0).secret, "s3cret");
  ::setenv("AGENTGUARD_WEBHOOK_SECRET_FILE", (dir.path() / "missing").c_str(), 1);
  EXPECT_THROW(config_from_environment(), std::runtime_error);
}

TEST_F(NotifyConfig, BadUrlOrFormatIsAnError) {
  ::setenv("AGENTGUARD_WEBHOOK_URL", "ftp://example.org/", 1);
  EXPECT_THROW(config_from_environment(), std::runtime_error);
  ::setenv("AGENTGUARD_WEBHOOK_URL", "http://127.0.0.1:9/", 1);
  ::setenv("AGENTGUARD_WEBHOOK_FORMAT", "xml", 1);
  EXPECT_THROW(config_from_environment(), std::runtime_error);
}

}  // namespace
}  // namespace agentguard::notify
