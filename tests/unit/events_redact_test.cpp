#include <gtest/gtest.h>

#include "events/redact.hpp"

namespace agentguard::events {
namespace {

using Argv = std::vector<std::string>;

TEST(EventsRedact, SecretNames) {
  for (const char* name : {"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GITHUB_TOKEN", "DB_PASSWORD", "db_password",
                           "client-secret", "MYSQL_PWD", "STRIPE_API_KEY", "TF_VAR_admin_password", "SECRET", "ENCRYPTION_KEY"})
    EXPECT_TRUE(is_secret_name(name)) << name;
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_REGION", "PWD", "OLDPWD", "HOME", "TF_LOG", "region", "PATH"})
    EXPECT_FALSE(is_secret_name(name)) << name;
}

TEST(EventsRedact, EnvAssignmentsInArgv) {
  Argv in = {"env", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "AWS_REGION=us-east-1", "GITLAB_TOKEN=glpat-123",
             "MY_PASSWORD=hunter2", "terraform", "destroy"};
  Argv out = redact_argv(in);
  EXPECT_EQ(out, (Argv{"env", "AWS_SECRET_ACCESS_KEY=[REDACTED]", "AWS_REGION=us-east-1", "GITLAB_TOKEN=[REDACTED]",
                       "MY_PASSWORD=[REDACTED]", "terraform", "destroy"}));
}

TEST(EventsRedact, LongFlagsSeparateAndJoined) {
  Argv out = redact_argv({"tool", "--password", "hunter2", "--password=hunter3", "--secret-key", "abc", "--token", "t0k",
                          "--api-key=k3y", "--region", "eu-west-1", "--token-file", "/run/token"});
  EXPECT_EQ(out, (Argv{"tool", "--password", "[REDACTED]", "--password=[REDACTED]", "--secret-key", "[REDACTED]", "--token",
                       "[REDACTED]", "--api-key=[REDACTED]", "--region", "eu-west-1", "--token-file", "/run/token"}));
}

TEST(EventsRedact, TerraformVarAssignment) {
  Argv out = redact_argv({"terraform", "apply", "-var", "db_password=hunter2", "-var=admin_token=abc", "-var", "size=3"});
  EXPECT_EQ(out, (Argv{"terraform", "apply", "-var", "db_password=[REDACTED]", "-var=admin_token=[REDACTED]", "-var",
                       "size=3"}));
}

TEST(EventsRedact, ShortPasswordFlagsOnlyWhereSafe) {
  EXPECT_EQ(redact_argv({"mysql", "-uroot", "-phunter2", "db"}), (Argv{"mysql", "-uroot", "-p[REDACTED]", "db"}));
  EXPECT_EQ(redact_argv({"sudo", "/usr/bin/mysql", "-pX"}), (Argv{"sudo", "/usr/bin/mysql", "-p[REDACTED]"}));
  EXPECT_EQ(redact_argv({"sshpass", "-p", "hunter2", "ssh", "host"}), (Argv{"sshpass", "-p", "[REDACTED]", "ssh", "host"}));
  EXPECT_EQ(redact_argv({"redis-cli", "-a", "pw", "FLUSHALL"}), (Argv{"redis-cli", "-a", "[REDACTED]", "FLUSHALL"}));
  EXPECT_EQ(redact_argv({"docker", "login", "-u", "me", "-p", "pw"}), (Argv{"docker", "login", "-u", "me", "-p", "[REDACTED]"}));
  EXPECT_EQ(redact_argv({"curl", "-u", "me:pw", "https://x"}), (Argv{"curl", "-u", "me:[REDACTED]", "https://x"}));
  // -p is a port (or a path) elsewhere: left alone.
  EXPECT_EQ(redact_argv({"docker", "run", "-p", "80:80", "img"}), (Argv{"docker", "run", "-p", "80:80", "img"}));
  EXPECT_EQ(redact_argv({"ssh", "-p", "2222", "host"}), (Argv{"ssh", "-p", "2222", "host"}));
  EXPECT_EQ(redact_argv({"mkdir", "-p", "/tmp/x"}), (Argv{"mkdir", "-p", "/tmp/x"}));
}

TEST(EventsRedact, AuthorizationHeadersKeepTheScheme) {
  EXPECT_EQ(redact_text("Authorization: Bearer eyJhbGciOi.abc"), "Authorization: Bearer [REDACTED]");
  EXPECT_EQ(redact_text("authorization:Basic dXNlcjpwYXNz"), "authorization:Basic [REDACTED]");
  EXPECT_EQ(redact_text("X-Api-Key: 12345"), "X-Api-Key: [REDACTED]");
  EXPECT_EQ(redact_argv({"curl", "-H", "Authorization: token ghp_abc", "https://api.github.com"}),
            (Argv{"curl", "-H", "Authorization: token [REDACTED]", "https://api.github.com"}));
}

TEST(EventsRedact, UrlPasswords) {
  EXPECT_EQ(redact_text("postgres://admin:s3cr3t@db.internal:5432/app"), "postgres://admin:[REDACTED]@db.internal:5432/app");
  EXPECT_EQ(redact_text("https://x.example/path?token=abc&page=2"), "https://x.example/path?token=[REDACTED]&page=2");
  EXPECT_EQ(redact_text("https://example.com/a:b@c"), "https://example.com/a:b@c");  // not userinfo
}

TEST(EventsRedact, InsideShellScripts) {
  Argv out = redact_argv({"bash", "-c", "export AWS_SECRET_ACCESS_KEY=abc; DB_PASSWORD='two words' terraform destroy --password hunter2"});
  EXPECT_EQ(out[2], "export AWS_SECRET_ACCESS_KEY=[REDACTED]; DB_PASSWORD='[REDACTED]' terraform destroy --password [REDACTED]");
}

TEST(EventsRedact, JsonArgumentsAndAwsConfigure) {
  EXPECT_EQ(redact_text(R"({"MasterUserPassword": "hunter2", "DBInstanceIdentifier": "prod"})"),
            R"({"MasterUserPassword": "[REDACTED]", "DBInstanceIdentifier": "prod"})");
  EXPECT_EQ(redact_text(R"({"client_secret":"a\"b","page":2})"), R"({"client_secret":"[REDACTED]","page":2})");
  EXPECT_EQ(redact_argv({"aws", "configure", "set", "aws_secret_access_key", "wJalr", "--profile", "prod"}),
            (Argv{"aws", "configure", "set", "aws_secret_access_key", "[REDACTED]", "--profile", "prod"}));
  EXPECT_EQ(redact_argv({"aws", "configure", "set", "region", "eu-west-1"}),
            (Argv{"aws", "configure", "set", "region", "eu-west-1"}));
}

TEST(EventsRedact, IsIdempotentAndLeavesOrdinaryCommandsAlone) {
  Argv plain = {"terraform", "destroy", "-auto-approve", "-target=module.db", "--region=eu-west-1"};
  EXPECT_EQ(redact_argv(plain), plain);
  Argv once = redact_argv({"x", "--password=a", "TOKEN=b", "Authorization: Bearer c"});
  EXPECT_EQ(redact_argv(once), once);
}

TEST(EventsRedact, EventMessageAndEndpoint) {
  Event event;
  event.argv = {"aws", "s3", "rb", "s3://b", "--profile", "prod"};
  event.message = "blocked; the caller had AWS_SESSION_TOKEN=FQoGZX set";
  event.endpoint = "https://user:pw@s3.amazonaws.com";
  Event clean = redact_event(event);
  EXPECT_EQ(clean.argv, event.argv);
  EXPECT_EQ(clean.message, "blocked; the caller had AWS_SESSION_TOKEN=[REDACTED] set");
  EXPECT_EQ(clean.endpoint, "https://user:[REDACTED]@s3.amazonaws.com");
}

}  // namespace
}  // namespace agentguard::events
