// `agentguard demo`: the guard on its built-in default policy, with no cloud. A scratch Terraform
// workspace of terraform_data resources, a guarded shell that tries to destroy it in several
// spellings, and proof that the state is intact afterwards. Exits non-zero if anything got through.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli_output.hpp"
#include "commands.hpp"
#include "demo_receiver.hpp"
#include "support/paths.hpp"
#include "terraform_state.hpp"

namespace agentguard::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kConfig = R"(# Three stand-ins for real infrastructure: terraform_data needs no cloud and no network.
resource "terraform_data" "database"  { input = "orders-db" }
resource "terraform_data" "website"   { input = "www.example.com" }
resource "terraform_data" "snapshots" { input = "nightly-backups" }
)";

// What the "agent" does inside the guarded shell. Every destructive spelling must be refused.
// {B} and {R} become the bold and reset codes when stdout gets colour. The python line passes its
// child's status on, so the refusal's 126 shows (subprocess.run alone would exit 0).
constexpr const char* kAgentScript = R"SH(try() { printf '\n{B}$ %s{R}\n' "$1"; bash -c "$1"; echo "-> exit status $?"; }
try 'terraform destroy -auto-approve'
try 'terraform apply -destroy -auto-approve'
try 'TF_CLI_ARGS="destroy -auto-approve" terraform'
try 'env -i PATH="$PATH" terraform -chdir=. destroy -auto-approve'
try 'python3 -c "import subprocess, sys; sys.exit(subprocess.run([\"terraform\", \"destroy\", \"-auto-approve\"]).returncode)"'
try 'ln -sf "$(command -v terraform)" ./tf && ./tf destroy -auto-approve'
try 'echo yes | terraform destroy'
printf '\n{B}Harmless work still runs:{R}\n'
try 'terraform plan -destroy -no-color | grep -E "^Plan:"'
try 'terraform state list'
)SH";

int shell(const std::string& command) {
  std::fflush(nullptr);
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

void heading(const std::string& text) { std::printf("\n%s\n", output::paint(1, "1;36", "== " + text).c_str()); }

std::string bold(const std::string& text) { return output::paint(1, "1", text); }

std::string agent_script() {
  std::string script = kAgentScript;
  const bool color = output::color(1);
  using Mark = std::pair<std::string, std::string>;
  for (const auto& [mark, code] : {Mark{"{B}", "\033[1m"}, Mark{"{R}", "\033[0m"}})
    for (std::size_t at; (at = script.find(mark)) != std::string::npos;) script.replace(at, mark.size(), color ? code : "");
  return script;
}

// Quietly removes one resource block from main.tf: the next plain apply would delete it.
void remove_resource(const fs::path& workspace, const std::string& name) {
  std::ifstream in(workspace / "main.tf");
  std::string kept, line;
  while (std::getline(in, line))
    if (line.find("\"" + name + "\"") == std::string::npos) kept += line + "\n";
  std::ofstream(workspace / "main.tf") << kept;
}

// The quieter danger: a plain `terraform apply` deletes what the configuration no longer names. The
// gate plans it privately, holds it, and a human approves from a second terminal with the one-time
// code the webhook brought them.
bool plan_review(const fs::path& workspace, const fs::path& state_dir, const std::string& self,
                 const std::map<std::string, std::string>& before) {
  heading("5. Plan review: a plain `terraform apply` that would delete something is held for a human");
  remove_resource(workspace, "website");
  std::printf("main.tf no longer names terraform_data.website; the agent runs `terraform apply -auto-approve`.\n");
  // terraform_data holds nothing, and by default the guard lets an agent delete such resources. Here
  // it stands in for a database, so the demo switches that default off, and says so.
  const fs::path policy = state_dir / "demo-policy.toml";
  std::ofstream(policy) << "schema = 1\n# terraform_data stands in for a database in this demo\n"
                           "disable = [\"plan-stateless-changes\"]\n";
  std::printf("terraform_data stands in for a database here, so this step adds %s, which switches off the\n"
              "default that lets an agent delete resources that hold nothing (terraform_data, random_*, ...).\n",
              policy.c_str());
  DemoReceiver phone;
  std::thread agent([&] {
    shell("cd '" + workspace.string() + "' && AGENTGUARD_WEBHOOK_URL='" + phone.url() + "' '" + self +
          "' run --policy '" + policy.string() + "' --state-dir '" + state_dir.string() +
          "' -- bash -c 'terraform apply -auto-approve -input=false -no-color | tail -n 1; echo \"-> exit status ${PIPESTATUS[0]}\"'");
  });
  const std::string body = phone.wait_for("\"approval\"", 120);
  const auto request = nlohmann::json::parse(body, nullptr, false);
  if (body.empty() || request.is_discarded()) {
    std::printf("no approval request reached the webhook\n");
    agent.join();
    return false;
  }
  const auto approval = request["approval"];
  const std::string id = approval.value("id", ""), code = approval.value("code", "");
  std::printf("\n%s %s\n  resources: %s\n  approve with: agentguard approve %s %s\n",
              bold("The human's phone (webhook) shows:").c_str(), request.value("message", "").c_str(), request.value("resources", nlohmann::json::array()).dump().c_str(),
              id.c_str(), code.c_str());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  std::printf("\n%s $ agentguard approve %s %s\n", bold("A second terminal, outside the guarded tree:").c_str(), id.c_str(),
              code.c_str());
  shell("AGENTGUARD_STATE_DIR='" + state_dir.string() + "' '" + self + "' approve " + id + " " + code);
  agent.join();

  const auto after = read_state_ids(workspace);
  bool ok = !after.count("terraform_data.website");
  for (const auto& [address, rid] : before)
    if (address != "terraform_data.website") ok = ok && after.count(address) && after.at(address) == rid;
  for (const auto& [address, rid] : after) std::printf("  %-28s id %s\n", address.c_str(), rid.c_str());
  std::printf("%s\n", ok ? output::paint(1, "1;32", "the approved apply ran once: website deleted, everything else unchanged").c_str()
                         : output::paint(1, "1;31", "the state is not what was approved").c_str());
  return ok;
}

int demo() {
  if (shell("command -v terraform >/dev/null 2>&1") != 0) {
    std::fprintf(stderr, "agentguard demo needs the terraform CLI on PATH (any recent version; it runs offline).\n");
    return 2;
  }
  char tmpl[] = "/tmp/agentguard-demo-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (!dir) {
    std::perror("agentguard demo: mkdtemp");
    return 2;
  }
  const fs::path workspace = fs::path(dir) / "infra";
  const fs::path state_dir = fs::path(dir) / "state";
  fs::create_directories(workspace);
  std::ofstream(workspace / "main.tf") << kConfig;
  std::ofstream(fs::path(dir) / "agent.sh") << agent_script();

  heading("1. A Terraform workspace with three resources (set up without the guard)");
  std::printf("workspace: %s\n", workspace.c_str());
  if (shell("cd '" + workspace.string() + "' && terraform init -input=false -no-color >/dev/null && "
            "terraform apply -auto-approve -input=false -no-color | tail -n 1") != 0) {
    std::fprintf(stderr, "agentguard demo: terraform init/apply failed in %s\n", workspace.c_str());
    return 2;
  }
  const auto before = read_state_ids(workspace);
  for (const auto& [address, id] : before) std::printf("  %-28s id %s\n", address.c_str(), id.c_str());

  heading("2. An agent's shell under `agentguard run` tries to destroy it");
  const std::string self = paths::cli_program().string();
  shell("cd '" + workspace.string() + "' && '" + self + "' run --default-only --state-dir '" + state_dir.string() +
        "' -- bash '" + (fs::path(dir) / "agent.sh").string() + "'");

  heading("3. The state afterwards");
  const auto after = read_state_ids(workspace);
  const bool intact = !before.empty() && before == after;
  for (const auto& [address, id] : after) std::printf("  %-28s id %s\n", address.c_str(), id.c_str());
  const std::string verdict = intact ? "intact: " + std::to_string(after.size()) + " resources, every id unchanged"
                                     : "CHANGED: " + std::to_string(after.size()) + " resources left";
  std::printf("%s\n", output::paint(1, intact ? "1;32" : "1;31", verdict).c_str());

  heading("4. What the human sees: the audit log");
  shell("AGENTGUARD_STATE_DIR='" + state_dir.string() + "' '" + self + "' log -n 20");

  const bool reviewed = plan_review(workspace, state_dir, self, after);
  std::printf("\nworkspace and state kept in %s\n", dir);
  return intact && reviewed ? 0 : 1;
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Show the guard stopping a real `terraform destroy` (offline, no cloud)");
  cmd->footer("Example:\n  agentguard demo\nNeeds terraform on PATH. Uses the built-in default policy; its plan-review step adds a one-line\n"
              "policy that treats terraform_data as a database.");
  cmd->callback([] { throw CLI::RuntimeError(demo()); });
}

}  // namespace agentguard::cli
