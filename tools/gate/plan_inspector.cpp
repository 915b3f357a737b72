#include "gate/plan_inspector.hpp"

#include <sys/stat.h>

#include <stdexcept>

#include "agentguard/terraform_plan.hpp"
#include "gate/plan_review.hpp"
#include "support/subprocess.hpp"

namespace agentguard::gate {

namespace {

constexpr std::size_t kMaxOutput = 512u << 20;  // a plan's JSON can be large, but not unbounded

std::string full_path(const std::string& cwd, const std::string& file) {
  if (!file.empty() && file[0] == '/') return file;
  return (cwd.empty() ? "." : cwd) + "/" + file;
}

}  // namespace

ShowJsonPlanInspector::ShowJsonPlanInspector(std::chrono::milliseconds timeout) : timeout_(timeout) {}

std::optional<policy::PlanSummary> ShowJsonPlanInspector::inspect(const std::string& program_path,
                                                                  const std::string& plan_file,
                                                                  const policy::ExecRequest& request) const {
  struct stat st {};
  if (stat(full_path(request.cwd, plan_file).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;

  subprocess::Options options;
  options.cwd = request.cwd;
  options.env = terraform_env(request);
  options.inherit_env = false;
  options.timeout = timeout_;
  options.max_output = kMaxOutput;
  options.new_process_group = true;  // a timeout also ends the provider plugins it started
  const auto r = subprocess::run({program_path, "show", "-json", "-no-color", plan_file}, options);
  if (r.status < 0 && !r.timed_out) throw std::runtime_error(r.err);
  if (r.timed_out)
    throw std::runtime_error(program_path + " show -json did not finish within " + std::to_string(timeout_.count()) + " ms");
  if (r.truncated) throw std::runtime_error(program_path + " show -json printed more than 512 MiB");
  if (r.status != 0) {
    // terraform frames its errors with box-drawing lines; keep the words, on one line.
    std::string reason;
    for (char c : r.err.substr(0, 600)) reason += (c == '\n') ? ' ' : c;
    throw std::runtime_error(program_path + " show -json failed (status " + std::to_string(r.status) + ")" +
                             (reason.empty() ? "" : ": " + reason));
  }
  return policy::parse_plan_json(r.out);
}

}  // namespace agentguard::gate
