#include "agentguard/terraform_call.hpp"

#include "terraform/options.hpp"

namespace agentguard::policy {

namespace {

std::string flag_name(const std::string& arg) {
  const std::size_t start = arg.rfind("--", 0) == 0 ? 2 : 1;
  const std::size_t end = arg.find('=');
  return arg.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

TerraformCall split_terraform_call(const std::vector<std::string>& argv) {
  TerraformCall call;
  std::size_t i = 1;
  for (; i < argv.size() && !argv[i].empty() && argv[i][0] == '-'; ++i) call.globals.push_back(argv[i]);
  if (i < argv.size()) call.subcommand = argv[i++];
  bool flags_done = false;  // Go's flag package stops at the first non-flag argument or `--`
  for (; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (!flags_done && a == "--") {
      call.args.push_back(a);
      flags_done = true;
      continue;
    }
    if (!flags_done && a.size() > 1 && a[0] == '-') {
      call.args.push_back(a);
      if (a.find('=') == std::string::npos && detail::terraform_takes_value(flag_name(a)) && i + 1 < argv.size())
        call.args.push_back(argv[++i]);
      continue;
    }
    flags_done = true;
    call.args.push_back(a);
    if (!call.plan_arg) call.plan_arg = call.args.size() - 1;
  }
  return call;
}

}  // namespace agentguard::policy
