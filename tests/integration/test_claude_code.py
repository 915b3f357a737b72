"""The recipe of docs/integrations.md, checked against the real Claude Code binary: `agentguard run --
claude -p ...`, driven by a loopback stand-in for the Anthropic Messages API (fake_messages_api.py).

The "model" calls the Bash tool with a `terraform apply` that would delete a resource. The hold keeps
its default (90 seconds) and Claude Code its default Bash timeout (2 minutes), as a user has them:
the agent's tool result - what Claude Code sends back to the API - must carry agentguard's
`pending approval <id>` message, not a killed command, and the state must still hold every resource.
Then a human approves at their own terminal, outside the guarded tree; the "model" repeats the
command, which runs once.

Claude Code comes from npm (`@anthropic-ai/claude-code`, the version the docs cite), installed into
the build directory on first use. The test is skipped only when npm or the package is unavailable."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from fake_messages_api import FakeMessagesAPI, bash, text
from harness import AGENTGUARD, BUILD_DIR, TERRAFORM, TerraformWorkspace, audit_records, clean_env, require_build
from test_approvals import at_terminal
from tf_support import no_stateless_default_policy

CLAUDE_CODE_VERSION = "2.1.197"  # docs/integrations.md quotes its Bash timeouts
NPM_DIR = os.path.join(BUILD_DIR, "npm")
OUTPUT_DIR = os.path.join(BUILD_DIR, "test-output", "claude-code")
APPLY = "terraform apply -auto-approve -input=false -no-color"
PENDING = re.compile(r"agentguard: pending approval (ev_\S+); when a human approves, run the same command again")


def answers_version(path):
    try:
        r = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=120)
    except OSError:
        return False
    return r.returncode == 0 and "Claude Code" in r.stdout


def claude_code():
    """The Claude Code binary, installed with npm on first use. Returns (path, None) or (None, why)."""
    package = os.path.join(NPM_DIR, "node_modules", "@anthropic-ai")
    # bin/claude.exe is the native binary once npm ran the package's postinstall; without it, the
    # platform package's binary is the same program.
    candidates = [os.path.join(package, "claude-code", "bin", "claude.exe"), os.path.join(package, "claude-code-linux-x64", "claude")]
    for path in candidates:
        if os.path.exists(path) and answers_version(path):
            return path, None
    npm = shutil.which("npm")
    if not npm:
        return None, "npm is not installed (tools/install-deps.sh installs it)"
    os.makedirs(NPM_DIR, exist_ok=True)
    r = subprocess.run([npm, "install", "--prefix", NPM_DIR, "--no-audit", "--no-fund", "--no-save",
                        f"@anthropic-ai/claude-code@{CLAUDE_CODE_VERSION}"], capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        return None, f"npm install @anthropic-ai/claude-code@{CLAUDE_CODE_VERSION} failed: {r.stderr.strip()[-500:]}"
    for path in candidates:
        if os.path.exists(path) and answers_version(path):
            return path, None
    return None, f"@anthropic-ai/claude-code@{CLAUDE_CODE_VERSION} installed, but no binary of it runs here: {os.listdir(package)}"


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class ClaudeCodeHold(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.claude, why = claude_code()
        if not cls.claude:
            raise unittest.SkipTest(why)

    def setUp(self):
        require_build(self)
        self.ws = TerraformWorkspace()
        self.addCleanup(self.ws.cleanup)
        self.state_dir = tempfile.mkdtemp(prefix="ag-state-")
        self.addCleanup(shutil.rmtree, self.state_dir, True)
        self.home = tempfile.mkdtemp(prefix="ag-claude-home-")
        self.addCleanup(shutil.rmtree, self.home, True)
        # The configuration no longer has the website: a plain apply would delete it.
        main_tf = os.path.join(self.ws.dir, "main.tf")
        with open(main_tf) as f:
            lines = [line for line in f if '"website"' not in line]
        with open(main_tf, "w") as f:
            f.writelines(lines)

    def test_a_held_apply_returns_pending_to_the_model_then_runs_once_after_the_approval(self):
        approved = threading.Event()

        def model(turn):
            # 1: run the apply; 2: (having read "pending approval") wait for the human, then repeat
            # the same command, as the message tells it; 3: done.
            if turn.calls_so_far == 0:
                return bash(APPLY, "apply the configuration")
            if turn.calls_so_far == 1:
                approved.wait(timeout=600)
                return bash(APPLY, "the human approved: run the same command again")
            return text("done")

        api = FakeMessagesAPI(model)
        self.addCleanup(api.stop)
        self.addCleanup(approved.set)  # never leave the "model" waiting
        policy = no_stateless_default_policy(self.state_dir)  # terraform_data stands in for a database
        env = clean_env(TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", HOME=self.home, ANTHROPIC_BASE_URL=api.url,
                        ANTHROPIC_API_KEY="sk-ant-test-not-a-key", DISABLE_AUTOUPDATER="1", DISABLE_TELEMETRY="1",
                        DISABLE_ERROR_REPORTING="1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1")
        for name in [k for k in env if k.startswith(("ANTHROPIC_AUTH", "BASH_DEFAULT_TIMEOUT", "BASH_MAX_TIMEOUT", "CLAUDE_CODE_USE"))]:
            del env[name]  # Claude Code's own defaults, as a user has them
        agent = subprocess.Popen(
            [AGENTGUARD, "run", "--policy", policy, "--state-dir", self.state_dir, "--",
             self.claude, "-p", "Apply the terraform configuration in this directory.", "--allowedTools", "Bash",
             "--output-format", "json"],
            cwd=self.ws.dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.addCleanup(lambda: agent.poll() is None and (os.killpg(agent.pid, 9), agent.wait()))

        # The first tool result: agentguard's message reached the model.
        deadline = time.time() + 400
        while not api.tool_results() and agent.poll() is None and time.time() < deadline:
            time.sleep(0.5)
        results = api.tool_results()
        self.assertTrue(results, f"no tool result came back; claude: {agent.poll()} {agent.stderr.read() if agent.poll() is not None else ''}")
        first = results[0]
        m = PENDING.search(first)
        self.assertTrue(m, f"the model did not read agentguard's message: {first!r}")
        request_id = m.group(1)
        self.assertIn("126", first)  # Claude Code reports the exit status
        self.assertNotIn("timed out", first.lower())
        self.assertEqual(self.ws.ids(), self.ws.initial_ids, "nothing may happen while the request is pending")

        # The human, at their own terminal outside the tree: approved, nothing ran yet (exit 2).
        human_env = clean_env(AGENTGUARD_STATE_DIR=self.state_dir)
        status, screen = at_terminal([AGENTGUARD, "approve", request_id], human_env, [("Type yes to approve", "yes")])
        self.assertEqual(status, 2, screen)
        self.assertIn("delete terraform_data.website", screen)
        approved.set()

        out, err = agent.communicate(timeout=400)
        results = api.tool_results()
        # Kept as test output: what the model read, for the docs' example and for review.
        os.makedirs(OUTPUT_DIR, exist_ok=True)
        with open(os.path.join(OUTPUT_DIR, "tool-results.json"), "w") as f:
            json.dump({"claude_code": CLAUDE_CODE_VERSION, "tool_results": results, "claude_stdout": out}, f, indent=2)
        self.assertEqual(agent.returncode, 0, (out, err))
        self.assertEqual(len(results), 2, results)
        self.assertEqual(results[1].count("Apply complete!"), 1, results[1])
        self.assertIn(f"request {request_id}", results[1])
        ids = self.ws.ids()
        self.assertNotIn("terraform_data.website", ids)
        for address in ("terraform_data.database", "terraform_data.snapshots"):
            self.assertEqual(ids[address], self.ws.initial_ids[address])
        decisions = [e["decision"] for e in audit_records(self.state_dir)]
        self.assertEqual((decisions.count("ask"), decisions.count("approved")), (1, 1), decisions)
        r = subprocess.run([AGENTGUARD, "approvals", "--all"], env=human_env, capture_output=True, text=True, timeout=60)
        self.assertRegex(r.stdout, re.escape(request_id) + r"  \[ran\]")


if __name__ == "__main__":
    unittest.main()
