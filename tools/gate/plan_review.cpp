#include "plan_review.hpp"

#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "common/paths.hpp"
#include "common/subprocess.hpp"
#include "agentguard/terraform_plan_inspector.hpp"

namespace agentguard::gate {

namespace fs = std::filesystem;

namespace {

// Terraform's apply flags that take a value; with Go's flag package "-var x=y" (two words) is legal.
const std::set<std::string> kValueFlags = {"var", "var-file", "target", "replace", "state", "state-out", "backup",
                                           "lock-timeout", "parallelism", "exclude"};
// Flags that only make sense for apply and must not be passed to plan.
const std::set<std::string> kApplyOnlyFlags = {"auto-approve", "backup", "state-out"};

std::string flag_name(const std::string& arg) {
  size_t start = arg.find_first_not_of('-');
  size_t end = arg.find('=');
  return arg.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string tail(const std::string& s, size_t n = 600) { return s.size() > n ? "..." + s.substr(s.size() - n) : s; }

// The environment for the gate's own terraform runs: TF_CLI_ARGS* are already merged into argv.
std::vector<std::string> planning_env(const policy::ExecRequest& request) {
  std::vector<std::string> env;
  for (const auto& e : request.env)
    if (e.rfind("TF_CLI_ARGS", 0) != 0 && e.rfind("AGENTGUARD_CALLER_LD_PRELOAD=", 0) != 0) env.push_back(e);
  env.push_back("TF_IN_AUTOMATION=1");
  return env;
}

subprocess::Options planning_options(const policy::ExecRequest& request, std::chrono::milliseconds timeout) {
  subprocess::Options options;
  options.cwd = request.cwd;
  options.env = planning_env(request);
  options.inherit_env = false;
  options.timeout = timeout;
  return options;
}

policy::PlanSummary show_plan(const policy::ExecRequest& request, const TerraformCall& call, const std::string& plan) {
  std::vector<std::string> argv{request.resolved_path};
  argv.insert(argv.end(), call.globals.begin(), call.globals.end());
  argv.insert(argv.end(), {"show", "-json", "-no-color", plan});
  const auto r = subprocess::run(argv, planning_options(request, std::chrono::minutes(2)));
  if (r.status != 0 || r.timed_out)
    throw std::runtime_error("`terraform show -json " + plan + "` failed: " + tail(r.err.empty() ? r.out : r.err));
  return policy::TerraformPlanInspector::parse_show_json(r.out);
}

}  // namespace

TerraformCall parse_terraform_call(const std::vector<std::string>& argv) {
  TerraformCall call;
  size_t i = 1;
  for (; i < argv.size() && !argv[i].empty() && argv[i][0] == '-'; ++i) call.globals.push_back(argv[i]);
  if (i < argv.size()) call.subcommand = argv[i++];
  for (; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    call.args.push_back(a);
    if (!a.empty() && a[0] == '-') {
      if (a.find('=') == std::string::npos && kValueFlags.count(flag_name(a)) && i + 1 < argv.size())
        call.args.push_back(argv[++i]);
    } else if (call.plan_file.empty()) {
      call.plan_file = a;
    }
  }
  return call;
}

bool is_apply_to_review(const policy::Decision& decision) {
  if (decision.program != "terraform" && decision.program != "tofu") return false;
  return parse_terraform_call(decision.effective_argv).subcommand == "apply";
}

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) EVP_DigestUpdate(ctx, buf, static_cast<size_t>(in.gcount()));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

PlanReview review_apply(const policy::ExecRequest& request, const policy::Decision& decision) {
  const TerraformCall call = parse_terraform_call(decision.effective_argv);
  PlanReview review;
  if (!call.plan_file.empty()) {
    // A saved plan path is relative to -chdir when given, else to the cwd.
    fs::path base = request.cwd;
    for (const auto& g : call.globals)
      if (g.rfind("-chdir=", 0) == 0 || g.rfind("--chdir=", 0) == 0) base = base / g.substr(g.find('=') + 1);
    review.plan_file = fs::absolute(base / call.plan_file).lexically_normal().string();
    review.plan_sha256 = sha256_file(review.plan_file);
    if (review.plan_sha256.empty()) throw std::runtime_error("cannot read the saved plan " + review.plan_file);
    review.plan = show_plan(request, call, review.plan_file);
    return review;
  }

  // No saved plan: plan the same apply privately, in a directory only we use.
  const fs::path scratch_root = paths::ensure_state_dir() / "plans";
  fs::create_directories(scratch_root);
  std::string tmpl = (scratch_root / "plan-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot make a private directory for the plan");
  const std::string plan_path = tmpl + "/review.tfplan";
  std::vector<std::string> argv{request.resolved_path};
  argv.insert(argv.end(), call.globals.begin(), call.globals.end());
  argv.push_back("plan");
  for (size_t i = 0; i < call.args.size(); ++i) {
    const std::string& a = call.args[i];
    if (!a.empty() && a[0] == '-' && kApplyOnlyFlags.count(flag_name(a))) {
      if (a.find('=') == std::string::npos && kValueFlags.count(flag_name(a))) ++i;  // skip its value too
      continue;
    }
    argv.push_back(a);
  }
  argv.insert(argv.end(), {"-input=false", "-no-color", "-out=" + plan_path});
  const auto r = subprocess::run(argv, planning_options(request, std::chrono::minutes(10)));
  try {
    if (r.status != 0 || r.timed_out)
      throw std::runtime_error("could not plan this apply to review it (`terraform plan` " +
                               (r.timed_out ? std::string("timed out") : "failed") + "): " + tail(r.err.empty() ? r.out : r.err));
    review.plan = show_plan(request, call, plan_path);
  } catch (...) {
    fs::remove_all(tmpl);
    throw;
  }
  fs::remove_all(tmpl);
  return review;
}

}  // namespace agentguard::gate
