#include "plan_review.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "agentguard/terraform_plan.hpp"
#include "support/digest.hpp"
#include "support/subprocess.hpp"
#include "gate/launch.hpp"

namespace agentguard::gate {

namespace {

std::string tail(const std::string& s, std::size_t n = 600) {
  return s.size() > n ? "..." + s.substr(s.size() - n) : s;
}

}  // namespace

bool is_apply_to_review(const policy::Decision& decision) {
  if (decision.program != "terraform" && decision.program != "tofu") return false;
  const TerraformCall call = policy::split_terraform_call(decision.effective_argv);
  if (call.subcommand != "apply") return false;
  // Terraform itself refuses flags before the subcommand, and only prints help when a help flag
  // comes before `--`: then there is no apply to make, and the launch runs as it is.
  for (const auto& g : call.globals)
    if (g.rfind("-chdir=", 0) != 0) return false;
  for (const auto& a : call.args) {
    if (a == "--") break;
    if (a == "-h" || a == "-help" || a == "--help" || a == "-install-autocomplete" ||
        a == "--install-autocomplete" || a == "-uninstall-autocomplete" || a == "--uninstall-autocomplete")
      return false;
  }
  return true;
}

std::string working_dir(const policy::ExecRequest& request, const TerraformCall& call) {
  std::string dir = request.cwd;
  for (const auto& g : call.globals) {
    if (g.rfind("-chdir=", 0) != 0) continue;
    const std::string d = g.substr(7);
    dir = d[0] == '/' ? d : dir + "/" + d;  // the kernel resolves it, as terraform's os.Chdir does
  }
  return dir;
}

SealedPlan seal_plan_file(const std::string& dir, const std::string& path) {
  const std::string full = path[0] == '/' ? path : dir + "/" + path;
  const int in = open(full.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) throw std::runtime_error("cannot open the saved plan " + full + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(in);
    throw std::runtime_error(full + " is not a regular file");
  }
  std::string bytes;
  char buf[65536];
  for (ssize_t n; (n = read(in, buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(in);
      throw std::runtime_error("cannot read the saved plan " + full + ": " + std::strerror(err));
    }
    bytes.append(buf, static_cast<std::size_t>(n));
  }
  close(in);
  // Not close-on-exec: the terraform the gate execs opens it as /dev/fd/N.
  SealedPlan plan{memfd_create("agentguard-plan", MFD_ALLOW_SEALING), full, ""};
  if (plan.fd < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
  for (std::size_t off = 0; off < bytes.size();) {
    const ssize_t n = write(plan.fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(plan.fd);
      throw std::runtime_error("cannot copy the saved plan");
    }
    off += static_cast<std::size_t>(n);
  }
  seal_memfd(plan);
  return plan;
}

std::string sealed_sha256(const SealedPlan& plan) {
  std::string bytes;
  char buf[65536];
  off_t off = 0;
  for (ssize_t n; (n = pread(plan.fd, buf, sizeof buf, off)) != 0; off += n) {
    if (n < 0) {
      if (errno == EINTR) {
        n = 0;
        continue;
      }
      return {};
    }
    bytes.append(buf, static_cast<std::size_t>(n));
  }
  return digest::sha256_hex(bytes);
}

void seal_memfd(SealedPlan& plan) {
  if (fcntl(plan.fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0 ||
      lseek(plan.fd, 0, SEEK_SET) != 0) {
    const int err = errno;
    close(plan.fd);
    throw std::runtime_error(std::string("cannot seal the plan in memory: ") + std::strerror(err));
  }
  plan.sha256 = sealed_sha256(plan);
  if (plan.sha256.empty()) throw std::runtime_error("cannot read the sealed plan back");
}

std::vector<std::string> terraform_env(const policy::ExecRequest& request) {
  std::vector<std::string> env;
  for (auto& e : environment_for_program(request.env))
    if (e.rfind("TF_CLI_ARGS", 0) != 0 && e.rfind("TF_IN_AUTOMATION=", 0) != 0) env.push_back(std::move(e));
  // No "run `terraform apply <the gate's private plan>`" hint after the plan: the gate applies it.
  env.push_back("TF_IN_AUTOMATION=1");
  return env;
}

PlanReview show_plan(const policy::ExecRequest& request, const TerraformCall& call, const SealedPlan& plan) {
  std::vector<std::string> argv{request.resolved_path};
  argv.insert(argv.end(), call.globals.begin(), call.globals.end());
  argv.insert(argv.end(), {"show", "-json", "-no-color", plan.fd_path()});
  subprocess::Options options;
  options.env = terraform_env(request);
  options.inherit_env = false;
  options.timeout = std::chrono::minutes(2);
  const auto r = subprocess::run(argv, options);
  if (r.status != 0 || r.timed_out)
    throw std::runtime_error("`terraform show -json " + plan.source + "` failed: " + tail(r.err.empty() ? r.out : r.err));
  PlanReview review;
  review.plan = policy::parse_plan_json(r.out);
  const auto json = nlohmann::json::parse(r.out, nullptr, false);
  if (json.is_object() && json.contains("applyable") && json["applyable"].is_boolean())
    review.applyable = json["applyable"].get<bool>();
  return review;
}

}  // namespace agentguard::gate
