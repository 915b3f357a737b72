#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/launch/guard_env.hpp"
#include "core_test_support.hpp"

namespace agentguard::core {
namespace {

constexpr const char* kLib = "/opt/agentguard/lib/agentguard/libagentguard.so";

struct Env {
  explicit Env(std::vector<std::string> entries) : strings(std::move(entries)) {
    for (auto& s : strings) pointers.push_back(s.c_str());
    pointers.push_back(nullptr);
  }
  const char* const* get() const { return pointers.data(); }
  std::vector<std::string> strings;
  std::vector<const char*> pointers;
};

std::vector<std::string> to_vector(const char* const* envp) {
  std::vector<std::string> out;
  for (; *envp != nullptr; ++envp) out.emplace_back(*envp);
  return out;
}

int count_prefix(const std::vector<std::string>& env, const std::string& prefix) {
  int n = 0;
  for (const auto& e : env) n += e.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

bool has(const std::vector<std::string>& env, const std::string& entry) {
  for (const auto& e : env) {
    if (e == entry) return true;
  }
  return false;
}

// The guard as `agentguard run` sets it (session and state dir set, policy unset).
class GuardEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cache.capture(load_env.get(), "/ignored/self.so"));
  }
  Env load_env{{"HOME=/root", std::string("LD_PRELOAD=") + kLib, std::string("AGENTGUARD_LIB=") + kLib,
                "AGENTGUARD_GATE=/opt/agentguard/lib/agentguard/agentguard-gate",
                "AGENTGUARD_WATCH=v1;p=terraform", "AGENTGUARD_STATE_DIR=/var/state",
                "AGENTGUARD_SESSION=s-123", "PATH=/usr/bin"}};
  GuardEnvCache cache;  // 64 KiB; gtest fixtures live on the heap
  const char* slots[64];
  char text[1024];
  EnvpBuffers buffers() { return EnvpBuffers{slots, 64, text, sizeof text}; }

  std::vector<std::string> rebuild(const Env& env, EnvpMode mode, EnvpStatus expected) {
    const char* const* result = nullptr;
    EXPECT_EQ(build_guarded_envp(env.get(), cache.env(), mode, buffers(), &result), expected);
    return result != nullptr ? to_vector(result) : std::vector<std::string>{};
  }
};

TEST_F(GuardEnvTest, CaptureKeepsLoadTimeValues) {
  const GuardEnv& g = cache.env();
  EXPECT_STREQ(g.library, kLib);
  EXPECT_STREQ(g.value(kVarGate), "/opt/agentguard/lib/agentguard/agentguard-gate");
  EXPECT_STREQ(g.value(kVarWatch), "v1;p=terraform");
  EXPECT_EQ(g.forced[3], nullptr);  // AGENTGUARD_POLICY was unset
  EXPECT_STREQ(g.forced[5], "AGENTGUARD_SESSION=s-123");
}

TEST_F(GuardEnvTest, CaptureFallsBackToOwnPathWithoutAgentguardLib) {
  GuardEnvCache other;
  Env env({"LD_PRELOAD=/x/libagentguard.so"});
  EXPECT_TRUE(other.capture(env.get(), "/x/libagentguard.so"));
  EXPECT_STREQ(other.env().library, "/x/libagentguard.so");
  EXPECT_EQ(other.env().forced[kVarGate], nullptr);
}

TEST_F(GuardEnvTest, LongValuesAreKeptBeyondTheInlineBuffer) {
  std::string watch = "AGENTGUARD_WATCH=v1;p=terraform";
  while (watch.size() < 3 * GuardEnvCache::kInlineStorage) watch += ";f=copy:123:0123456789abcdef";
  Env env({watch, std::string("AGENTGUARD_LIB=") + kLib, "AGENTGUARD_GATE=/gate"});
  GuardEnvCache big;
  EXPECT_TRUE(big.capture(env.get(), nullptr));
  EXPECT_EQ(std::string(big.env().forced[kVarWatch]), watch);
  EXPECT_STREQ(big.env().value(kVarGate), "/gate");
  EXPECT_STREQ(big.env().library, kLib);
}

// The intact check compares the long values word by word: one changed byte anywhere (first,
// middle, last), a truncation or an extension must each be seen, whatever the entry's alignment.
TEST_F(GuardEnvTest, IntactSeesEveryByteOfALongValueAtAnyAlignment) {
  std::string watch = "AGENTGUARD_WATCH=v1;p=terraform";
  while (watch.size() < 301) watch += ";f=copy:123:0123456789abcdef";
  Env load({watch, std::string("AGENTGUARD_LIB=") + kLib, std::string("LD_PRELOAD=") + kLib});
  GuardEnvCache long_cache;
  ASSERT_TRUE(long_cache.capture(load.get(), nullptr));
  for (std::size_t shift = 0; shift < 8; ++shift) {
    auto check = [&](const std::string& value, bool expected) {
      std::vector<char> storage(shift + value.size() + 1 + 16, 'x');
      std::copy(value.begin(), value.end(), storage.begin() + static_cast<long>(shift));
      storage[shift + value.size()] = '\0';
      const std::string lib = std::string("AGENTGUARD_LIB=") + kLib, preload = std::string("LD_PRELOAD=") + kLib;
      const char* envp[] = {storage.data() + shift, lib.c_str(), preload.c_str(), nullptr};
      EXPECT_EQ(guard_env_intact(envp, long_cache.env()), expected) << "shift " << shift << " value " << value.size();
    };
    check(watch, true);
    for (std::size_t at : {std::size_t{17}, watch.size() / 2, watch.size() - 1}) {
      std::string changed = watch;
      changed[at] = changed[at] == 'z' ? 'y' : 'z';
      check(changed, false);
    }
    check(watch.substr(0, watch.size() - 1), false);
    check(watch.substr(0, watch.size() - 9), false);
    check(watch + "0", false);
    check(watch + ";f=more:1:2", false);
  }
}

TEST_F(GuardEnvTest, FastPathCopiesNothing) {
  Env env({"A=1", std::string("LD_PRELOAD=/other.so:") + kLib + " /third.so", std::string("AGENTGUARD_LIB=") + kLib,
           "AGENTGUARD_GATE=/opt/agentguard/lib/agentguard/agentguard-gate", "AGENTGUARD_WATCH=v1;p=terraform",
           "AGENTGUARD_STATE_DIR=/var/state", "AGENTGUARD_SESSION=s-123"});
  const char* const* result = nullptr;
  EXPECT_EQ(build_guarded_envp(env.get(), cache.env(), EnvpMode::child, buffers(), &result), EnvpStatus::unchanged);
  EXPECT_EQ(result, env.get());
  EXPECT_TRUE(guard_env_intact(env.get(), cache.env()));
}

TEST_F(GuardEnvTest, EnvMissingEverythingGetsTheGuardBack) {
  Env env({"FOO=bar", "PATH=/bin"});
  const auto out = rebuild(env, EnvpMode::child, EnvpStatus::rewritten);
  EXPECT_TRUE(has(out, "FOO=bar"));
  EXPECT_TRUE(has(out, "PATH=/bin"));
  EXPECT_TRUE(has(out, std::string("LD_PRELOAD=") + kLib));
  EXPECT_TRUE(has(out, std::string("AGENTGUARD_LIB=") + kLib));
  EXPECT_TRUE(has(out, "AGENTGUARD_GATE=/opt/agentguard/lib/agentguard/agentguard-gate"));
  EXPECT_TRUE(has(out, "AGENTGUARD_WATCH=v1;p=terraform"));
  EXPECT_TRUE(has(out, "AGENTGUARD_STATE_DIR=/var/state"));
  EXPECT_TRUE(has(out, "AGENTGUARD_SESSION=s-123"));
  EXPECT_EQ(count_prefix(out, "AGENTGUARD_POLICY="), 0);
  EXPECT_EQ(out.size(), 8U);
}

TEST_F(GuardEnvTest, EmptyAndNullEnvp) {
  Env empty({});
  EXPECT_EQ(rebuild(empty, EnvpMode::child, EnvpStatus::rewritten).size(), 6U);
  const char* const* result = nullptr;
  EXPECT_EQ(build_guarded_envp(nullptr, cache.env(), EnvpMode::child, buffers(), &result), EnvpStatus::rewritten);
  EXPECT_EQ(to_vector(result).size(), 6U);
}

TEST_F(GuardEnvTest, OtherPreloadsAreKeptAfterOurs) {
  Env env({"LD_PRELOAD=/usr/lib/libfaketime.so /usr/lib/other.so", "X=1"});
  const auto out = rebuild(env, EnvpMode::child, EnvpStatus::rewritten);
  EXPECT_TRUE(has(out, std::string("LD_PRELOAD=") + kLib + ":/usr/lib/libfaketime.so /usr/lib/other.so"));
  EXPECT_EQ(count_prefix(out, "LD_PRELOAD="), 1);
}

TEST_F(GuardEnvTest, PreloadContainingAPrefixOfOurPathDoesNotCount) {
  EXPECT_FALSE(preload_list_contains("/opt/agentguard/lib/agentguard/libagentguard.so.bak", kLib));
  EXPECT_TRUE(preload_list_contains(" :/a.so::/opt/agentguard/lib/agentguard/libagentguard.so", kLib));
}

TEST_F(GuardEnvTest, TamperedValuesAreForcedBackAndDuplicatesDropped) {
  Env env({"AGENTGUARD_WATCH=v1", std::string("LD_PRELOAD=") + kLib, "AGENTGUARD_WATCH=v1;p=terraform",
           "AGENTGUARD_GATE=/tmp/fake-gate", std::string("AGENTGUARD_LIB=") + kLib, "AGENTGUARD_STATE_DIR=/var/state",
           "AGENTGUARD_SESSION=s-123", "AGENTGUARD_POLICY=/tmp/allow-all.toml"});
  EXPECT_FALSE(guard_env_intact(env.get(), cache.env()));
  const auto out = rebuild(env, EnvpMode::child, EnvpStatus::rewritten);
  EXPECT_EQ(count_prefix(out, "AGENTGUARD_WATCH="), 1);
  EXPECT_TRUE(has(out, "AGENTGUARD_WATCH=v1;p=terraform"));
  EXPECT_TRUE(has(out, "AGENTGUARD_GATE=/opt/agentguard/lib/agentguard/agentguard-gate"));
  EXPECT_FALSE(has(out, "AGENTGUARD_GATE=/tmp/fake-gate"));
  EXPECT_EQ(count_prefix(out, "AGENTGUARD_POLICY="), 0);  // unset at load time: removed
  EXPECT_TRUE(has(out, std::string("LD_PRELOAD=") + kLib));
}

TEST_F(GuardEnvTest, VariableSetOnlyLaterBreaksTheFastPath) {
  Env env({std::string("LD_PRELOAD=") + kLib, std::string("AGENTGUARD_LIB=") + kLib,
           "AGENTGUARD_GATE=/opt/agentguard/lib/agentguard/agentguard-gate", "AGENTGUARD_WATCH=v1;p=terraform",
           "AGENTGUARD_STATE_DIR=/var/state", "AGENTGUARD_SESSION=s-123", "AGENTGUARD_POLICY=/tmp/p.toml"});
  EXPECT_FALSE(guard_env_intact(env.get(), cache.env()));
}

TEST_F(GuardEnvTest, GateVariantMovesLdPreload) {
  Env env({"LD_PRELOAD=/other.so", "AGENTGUARD_CALLER_LD_PRELOAD=/evil.so", "TF_LOG=1"});
  const auto out = rebuild(env, EnvpMode::gate, EnvpStatus::rewritten);
  EXPECT_EQ(count_prefix(out, "LD_PRELOAD="), 0);
  EXPECT_EQ(count_prefix(out, "AGENTGUARD_CALLER_LD_PRELOAD="), 1);
  EXPECT_TRUE(has(out, std::string("AGENTGUARD_CALLER_LD_PRELOAD=") + kLib + ":/other.so"));
  EXPECT_TRUE(has(out, "TF_LOG=1"));
  EXPECT_TRUE(has(out, "AGENTGUARD_WATCH=v1;p=terraform"));

  // Even an intact environment is rewritten for the gate.
  Env intact({std::string("LD_PRELOAD=") + kLib, std::string("AGENTGUARD_LIB=") + kLib,
              "AGENTGUARD_GATE=/opt/agentguard/lib/agentguard/agentguard-gate", "AGENTGUARD_WATCH=v1;p=terraform",
              "AGENTGUARD_STATE_DIR=/var/state", "AGENTGUARD_SESSION=s-123"});
  const auto gate_env = rebuild(intact, EnvpMode::gate, EnvpStatus::rewritten);
  EXPECT_TRUE(has(gate_env, std::string("AGENTGUARD_CALLER_LD_PRELOAD=") + kLib));
  EXPECT_EQ(count_prefix(gate_env, "LD_PRELOAD="), 0);
}

TEST_F(GuardEnvTest, TooSmallBuffersSayNoRoom) {
  Env env({"A=1", "B=2", "C=3"});
  const char* few[4];
  char small_text[8];
  const char* const* result = nullptr;
  EXPECT_EQ(build_guarded_envp(env.get(), cache.env(), EnvpMode::child, EnvpBuffers{few, 4, text, sizeof text}, &result),
            EnvpStatus::no_room);
  EXPECT_EQ(build_guarded_envp(env.get(), cache.env(), EnvpMode::child, EnvpBuffers{slots, 64, small_text, 8}, &result),
            EnvpStatus::no_room);
  EXPECT_EQ(result, nullptr);
  EXPECT_GE(envp_slots_needed(env.get()), 3U + 6U + 1U);
  EXPECT_GE(envp_text_needed(env.get(), cache.env()), std::string(kLib).size() + 12);
}

TEST_F(GuardEnvTest, ViewPointsIntoTheEnvironment) {
  const GuardEnv view = guard_env_view(load_env.get());
  EXPECT_STREQ(view.library, kLib);
  EXPECT_EQ(view.forced[kVarWatch], load_env.strings[4].c_str());
}

// The rewritten system() command, run by a real /bin/sh with an empty environment, must give
// the inner shell the guard's values, including ones with quotes and spaces in them.
TEST(GuardShellCommand, OuterShellRestoresTheGuard) {
  testing::ScratchDir dir;
  Env load({"LD_PRELOAD=/lib/it's here.so", "AGENTGUARD_LIB=/lib/it's here.so", "AGENTGUARD_WATCH=v1;p=a b",
            "AGENTGUARD_GATE=/g"});
  GuardEnvCache cache;
  ASSERT_TRUE(cache.capture(load.get(), nullptr));
  const std::string command = "printf '%s|%s|%s|%s|%s\\n' \"$LD_PRELOAD\" \"$AGENTGUARD_WATCH\" \"$AGENTGUARD_GATE\" "
                              "\"${AGENTGUARD_SESSION-unset}\" \"$0\" > " + dir / "out";
  const std::size_t size = build_guard_shell_command(command.c_str(), cache.env(), "/pre.so", nullptr, 0);
  std::string wrapped(size, '\0');
  ASSERT_EQ(build_guard_shell_command(command.c_str(), cache.env(), "/pre.so", wrapped.data(), size), size);
  wrapped.resize(size - 1);
  std::ofstream(dir / "script.sh") << wrapped;
  const std::string run = "env -i AGENTGUARD_SESSION=tampered /bin/sh " + dir / "script.sh";
  ASSERT_EQ(std::system(run.c_str()), 0) << wrapped;
  std::ifstream in(dir / "out");
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_EQ(got.str(), "/lib/it's here.so:/pre.so|v1;p=a b|/g|unset|/bin/sh\n") << wrapped;
}

}  // namespace
}  // namespace agentguard::core
