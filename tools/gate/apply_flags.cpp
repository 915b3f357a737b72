#include "apply_flags.hpp"

#include <stdexcept>
#include <string_view>

namespace agentguard::gate {
namespace {

enum class Goes { plan, apply, both };

struct Known {
  std::string_view name;
  bool boolean;
  Goes goes;
};

// Every flag `terraform apply` accepts (plus tofu's -exclude), and where it belongs. The variables,
// targets and modes shape the plan and are refused by `apply PLANFILE`; state locations, locking,
// parallelism and output style apply to both; -auto-approve, -state-out and -backup only to the apply.
constexpr Known kFlags[] = {
    {"var", false, Goes::plan},        {"var-file", false, Goes::plan},     {"target", false, Goes::plan},
    {"replace", false, Goes::plan},    {"exclude", false, Goes::plan},      {"destroy", true, Goes::plan},
    {"refresh-only", true, Goes::plan}, {"refresh", true, Goes::plan},      {"allow-deferral", true, Goes::plan},
    {"state", false, Goes::both},      {"lock", true, Goes::both},          {"lock-timeout", false, Goes::both},
    {"parallelism", false, Goes::both}, {"input", true, Goes::both},        {"json", true, Goes::both},
    {"no-color", true, Goes::both},    {"compact-warnings", true, Goes::both},
    {"auto-approve", true, Goes::apply}, {"state-out", false, Goes::apply}, {"backup", false, Goes::apply},
};

// Go's strconv.ParseBool.
std::optional<bool> go_bool(std::string_view t) {
  if (t == "1" || t == "t" || t == "T" || t == "TRUE" || t == "true" || t == "True") return true;
  if (t == "0" || t == "f" || t == "F" || t == "FALSE" || t == "false" || t == "False") return false;
  return std::nullopt;
}

}  // namespace

ApplyFlags split_apply_flags(const std::vector<std::string>& args) {
  ApplyFlags out;
  bool destroy = false, refresh_only = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      if (i + 1 != args.size()) throw std::runtime_error("arguments after `--` (a saved plan?) in a plain apply");
      break;
    }
    if (arg.size() < 2 || arg[0] != '-')
      throw std::runtime_error("the argument `" + arg + "` is not an option of a plain apply");
    const std::size_t dashes = arg.rfind("--", 0) == 0 ? 2 : 1;
    const std::size_t eq = arg.find('=');
    const std::string name = arg.substr(dashes, eq == std::string::npos ? std::string::npos : eq - dashes);
    const Known* known = nullptr;
    for (const auto& k : kFlags)
      if (k.name == name) known = &k;
    if (!known)
      throw std::runtime_error("agentguard does not know where apply's option `" + arg +
                               "` belongs (the plan or the apply of it)");
    std::string value;
    std::vector<std::string> words{arg};
    if (known->boolean) {
      if (eq == std::string::npos) {
        value = "true";
      } else {
        value = arg.substr(eq + 1);
        if (!go_bool(value)) throw std::runtime_error("`" + arg + "` is not a boolean option value");
      }
    } else if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else {
      if (i + 1 >= args.size()) throw std::runtime_error("the option `" + arg + "` has no value");
      value = args[++i];
      words.push_back(value);
    }
    const bool on = known->boolean && *go_bool(value);
    if (name == "auto-approve") out.auto_approve = on;
    else if (name == "json") out.json = on;
    else if (name == "no-color") out.no_color = true;  // stripped by terraform before flag parsing
    else if (name == "destroy") destroy = on;
    else if (name == "refresh-only") refresh_only = on;
    else if (name == "state") out.state = value;
    else if (name == "state-out") out.state_out = value;
    else if (name == "backup") out.backup = value;
    if (known->goes != Goes::apply) out.plan_args.insert(out.plan_args.end(), words.begin(), words.end());
    if (known->goes != Goes::plan && name != "auto-approve")
      out.apply_args.insert(out.apply_args.end(), words.begin(), words.end());
  }
  if (destroy) out.mode = PlanMode::destroy;
  else if (refresh_only) out.mode = PlanMode::refresh_only;
  return out;
}

}  // namespace agentguard::gate
