// A plain `terraform apply [flags]` split into the gate's `plan -out` and `apply PLAN` (tools/gate/apply_flags).
#include <gtest/gtest.h>

#include <stdexcept>

#include "gate/apply_flags.hpp"

namespace agentguard::gate {
namespace {

using V = std::vector<std::string>;

TEST(GateApplyFlags, EachFlagGoesWhereTerraformAcceptsIt) {
  const auto f = split_apply_flags({"-auto-approve", "-var", "n=1", "-var-file=x.tfvars", "--target=a.b", "-replace",
                                    "a.c", "-state=s.tfstate", "-state-out", "o.tfstate", "-backup=-", "-lock=false",
                                    "-lock-timeout=5s", "-parallelism", "3", "-input=false", "-no-color",
                                    "-compact-warnings"});
  EXPECT_EQ(f.plan_args, (V{"-var", "n=1", "-var-file=x.tfvars", "--target=a.b", "-replace", "a.c", "-state=s.tfstate",
                            "-lock=false", "-lock-timeout=5s", "-parallelism", "3", "-input=false", "-no-color",
                            "-compact-warnings"}));
  EXPECT_EQ(f.apply_args, (V{"-state=s.tfstate", "-state-out", "o.tfstate", "-backup=-", "-lock=false", "-lock-timeout=5s",
                             "-parallelism", "3", "-input=false", "-no-color", "-compact-warnings"}));
  EXPECT_TRUE(f.auto_approve);
  EXPECT_TRUE(f.no_color);
  EXPECT_EQ(f.state, "s.tfstate");
  EXPECT_EQ(f.state_out, "o.tfstate");
  EXPECT_EQ(f.backup, "-");
  EXPECT_EQ(f.mode, PlanMode::normal);
}

TEST(GateApplyFlags, BooleansAndModesAsGoReadsThem) {
  EXPECT_FALSE(split_apply_flags({"-auto-approve=false"}).auto_approve);
  EXPECT_TRUE(split_apply_flags({"-auto-approve=f", "--auto-approve=T"}).auto_approve);  // the last one wins
  EXPECT_EQ(split_apply_flags({"-destroy=1"}).mode, PlanMode::destroy);
  EXPECT_EQ(split_apply_flags({"-destroy=0"}).mode, PlanMode::normal);
  EXPECT_EQ(split_apply_flags({"-refresh-only"}).mode, PlanMode::refresh_only);
  EXPECT_TRUE(split_apply_flags({"-json", "-auto-approve"}).json);
  EXPECT_EQ(split_apply_flags({"-auto-approve", "--"}).plan_args, V{});
}

TEST(GateApplyFlags, WhatItCannotPlaceIsAnError) {
  EXPECT_THROW(split_apply_flags({"-frobnicate"}), std::runtime_error);
  EXPECT_THROW(split_apply_flags({"-auto-approve=maybe"}), std::runtime_error);
  EXPECT_THROW(split_apply_flags({"-var"}), std::runtime_error);
  EXPECT_THROW(split_apply_flags({"plan.tfplan"}), std::runtime_error);
  EXPECT_THROW(split_apply_flags({"--", "plan.tfplan"}), std::runtime_error);
}

}  // namespace
}  // namespace agentguard::gate
