"""`agentguard setup claude-code|codex|aider`: what it prints, what --write writes and merges, and
the result checked against the real tools from npm (Claude Code 2.1.197, Codex CLI 0.171.0):
the wrapper starts the real program under the guard, Claude Code reads the timeout variables that
are set, and Codex's own sandbox, configured as written, lets the guard write its state directory
and keeps the guard's variables, so a `terraform destroy` inside it is refused and recorded."""
import json
import os
import shutil
import stat
import subprocess
import tempfile
import tomllib
import unittest

from harness import (AGENTGUARD, BLOCKED, BUILD_DIR, REFUSED, TERRAFORM, TerraformWorkspace, audit_records,
                     clean_env, require_build, run)

NPM_TOOLS = {"claude": "@anthropic-ai/claude-code@2.1.197", "codex": "@openai/codex@0.171.0"}


def npm_bin():
    """node_modules/.bin with the real agents, installed once per build tree (npm's cache serves repeats)."""
    prefix = os.path.join(BUILD_DIR, "test-tools", "npm")
    bin_dir = os.path.join(prefix, "node_modules", ".bin")
    if all(os.path.exists(os.path.join(bin_dir, name)) for name in NPM_TOOLS):
        return bin_dir
    if not shutil.which("npm"):
        return None
    os.makedirs(prefix, exist_ok=True)
    r = run(["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", "--prefix", prefix,
             *NPM_TOOLS.values()], timeout=900)
    return bin_dir if r.status == 0 else None


class Setup(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.home = tempfile.mkdtemp(prefix="ag-home-")
        self.state = os.path.join(self.home, "state")

    def tearDown(self):
        shutil.rmtree(self.home, ignore_errors=True)

    def env(self, **extra):
        return clean_env(HOME=self.home, AGENTGUARD_STATE_DIR=self.state, XDG_CONFIG_HOME=os.path.join(self.home, ".config"),
                         **extra)

    def setup(self, *args, **extra):
        return run([AGENTGUARD, "setup", *args], env=self.env(**extra))

    def wrapper(self, name):
        return os.path.join(self.home, ".local", "bin", f"{name}-guarded")

    def test_without_write_it_prints_and_changes_nothing(self):
        for agent, program in (("claude-code", "claude"), ("codex", "codex"), ("aider", "aider")):
            r = self.setup(agent)
            self.assertEqual(r.status, 0, r)
            self.assertIn(f"run -- {program} \"$@\"", r.stdout)
            self.assertIn("Nothing was written", r.stdout)
        self.assertEqual(os.listdir(self.home), [])
        r = self.setup("claude-code")
        self.assertIn('"BASH_DEFAULT_TIMEOUT_MS": "150000"', r.stdout)  # the 90 s hold plus room for the plan
        r = self.setup("codex")
        self.assertIn(f'writable_roots = ["{self.state}"]', r.stdout)
        self.assertIn("AGENTGUARD_APPROVAL_HOLD=8", r.stdout)
        r = self.setup("gemini")
        self.assertNotEqual(r.status, 0, r)

    def test_claude_code_write_merges_into_existing_settings(self):
        settings = os.path.join(self.home, ".claude", "settings.json")
        os.makedirs(os.path.dirname(settings))
        with open(settings, "w") as f:
            json.dump({"model": "opus", "env": {"FOO": "1"}, "permissions": {"allow": ["Bash(ls)"]}}, f)
        r = self.setup("claude-code", "--write")
        self.assertEqual(r.status, 0, r)
        with open(settings) as f:
            merged = json.load(f)
        self.assertEqual(merged["model"], "opus")
        self.assertEqual(merged["permissions"], {"allow": ["Bash(ls)"]})
        self.assertEqual(merged["env"], {"FOO": "1", "BASH_DEFAULT_TIMEOUT_MS": "150000", "BASH_MAX_TIMEOUT_MS": "600000"})
        mode = os.stat(self.wrapper("claude")).st_mode
        self.assertTrue(mode & stat.S_IXUSR)
        with open(self.wrapper("claude")) as f:
            self.assertIn(f"exec '{AGENTGUARD}' run -- claude \"$@\"", f.read())
        # Again: nothing changes.
        r = self.setup("claude-code", "--write")
        self.assertIn("already has these settings", r.stdout)

    def test_a_longer_hold_gets_longer_timeouts_and_a_short_timeout_is_named_not_changed(self):
        r = self.setup("claude-code", AGENTGUARD_APPROVAL_HOLD="300")
        self.assertIn('"BASH_DEFAULT_TIMEOUT_MS": "360000"', r.stdout)
        settings = os.path.join(self.home, ".claude", "settings.json")
        os.makedirs(os.path.dirname(settings))
        with open(settings, "w") as f:
            json.dump({"env": {"BASH_DEFAULT_TIMEOUT_MS": "30000"}}, f)
        r = self.setup("claude-code", "--write")
        self.assertEqual(r.status, 1, r)
        self.assertIn("NOT changed: BASH_DEFAULT_TIMEOUT_MS is 30000", r.stdout)
        with open(settings) as f:
            self.assertEqual(json.load(f)["env"]["BASH_DEFAULT_TIMEOUT_MS"], "30000")
        with open(settings, "w") as f:
            f.write("{ not json")
        r = self.setup("claude-code", "--write")
        self.assertEqual(r.status, 2, r)
        with open(settings) as f:
            self.assertEqual(f.read(), "{ not json")

    def test_codex_write_appends_tables_and_keeps_the_file(self):
        config = os.path.join(self.home, ".codex", "config.toml")
        os.makedirs(os.path.dirname(config))
        with open(config, "w") as f:
            f.write('# mine\nmodel = "o3"\n\n[mcp_servers.docs]\ncommand = "docs-server"\n')
        r = self.setup("codex", "--write")
        self.assertEqual(r.status, 0, r)
        with open(config) as f:
            text = f.read()
        self.assertTrue(text.startswith('# mine\nmodel = "o3"\n'), text)
        parsed = tomllib.loads(text)
        self.assertEqual(parsed["model"], "o3")
        self.assertEqual(parsed["shell_environment_policy"], {"inherit": "all"})
        self.assertEqual(parsed["sandbox_workspace_write"]["writable_roots"], [self.state])
        with open(self.wrapper("codex")) as f:
            self.assertIn("AGENTGUARD_APPROVAL_HOLD=8", f.read())
        # A table that is there with other values is named and left alone.
        with open(config, "w") as f:
            f.write('[shell_environment_policy]\ninherit = "core"\n')
        r = self.setup("codex", "--write")
        self.assertEqual(r.status, 1, r)
        self.assertIn('must have inherit = "all"', r.stdout)
        self.assertTrue(tomllib.loads(open(config).read())["shell_environment_policy"] == {"inherit": "core"})

    def test_aider_needs_only_the_wrapper(self):
        r = self.setup("aider", "--write")
        self.assertEqual(r.status, 0, r)
        self.assertTrue(os.access(self.wrapper("aider"), os.X_OK))
        self.assertEqual(sorted(os.listdir(self.home)), [".local"])


class AgainstTheRealTools(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin = npm_bin()

    def setUp(self):
        require_build(self)
        if not self.bin:
            self.skipTest("npm could not install the agents (no registry and nothing cached)")
        # Not under /tmp: Codex's workspace-write sandbox lets every command write /tmp anyway (and a
        # clean checkout's build tree may itself be under /tmp): under the real home directory.
        parent = os.path.join(os.path.expanduser("~"), ".cache", "agentguard-tests")
        os.makedirs(parent, exist_ok=True)
        self.home = tempfile.mkdtemp(prefix="ag-home-", dir=parent)
        self.state = os.path.join(self.home, "state")

    def tearDown(self):
        shutil.rmtree(self.home, ignore_errors=True)

    def env(self, **extra):
        path = os.pathsep.join([os.path.join(self.home, ".local", "bin"), self.bin, os.environ["PATH"]])
        return clean_env(HOME=self.home, AGENTGUARD_STATE_DIR=self.state, PATH=path, **extra)

    def test_claude_code_wrapper_runs_the_real_claude_guarded_and_claude_reads_those_variables(self):
        r = run([AGENTGUARD, "setup", "claude-code", "--write"], env=self.env())
        self.assertEqual(r.status, 0, r)
        r = run(["claude-guarded", "--version"], env=self.env(), timeout=120)
        self.assertEqual(r.status, 0, r)
        self.assertIn("2.1.197 (Claude Code)", r.stdout)
        # The variables written are the ones the real binary reads.
        real = os.path.realpath(os.path.join(self.bin, "claude"))
        with open(real, "rb") as f:
            binary = f.read()
        for name in ("BASH_DEFAULT_TIMEOUT_MS", "BASH_MAX_TIMEOUT_MS"):
            self.assertIn(name.encode(), binary, name)

    @unittest.skipUnless(TERRAFORM, "terraform is not installed")
    def test_codex_sandbox_as_configured_keeps_the_guard_and_its_state_directory(self):
        r = run([AGENTGUARD, "setup", "codex", "--write"], env=self.env())
        self.assertEqual(r.status, 0, r)
        os.makedirs(self.state, exist_ok=True)
        ws = TerraformWorkspace()
        try:
            # Codex's own sandbox (workspace-write, as its agent runs commands), started through the wrapper.
            # The agent itself may not write the state directory (the guard protects its own files);
            # the gate, which runs inside Codex's sandbox too, must be able to: the audit record shows it.
            line = 'terraform destroy -auto-approve; echo "status=$?"'
            r = run(["codex-guarded", "sandbox", "-c", 'sandbox_mode="workspace-write"', "--", "bash", "-c", line],
                    cwd=ws.dir, env=self.env(TF_IN_AUTOMATION="1"), timeout=240)
            self.assertIn(f"status={REFUSED}", r.stdout, r)
            self.assertIn(BLOCKED, r.stderr)
            self.assertEqual(ws.ids(), ws.initial_ids)
            recorded = audit_records(self.state)
            self.assertIn("terraform-destroy", [e["rule_id"] for e in recorded], r)
            # The control: without the written config, Codex's sandbox makes the state directory
            # read-only, so the same refusal cannot be recorded.
            os.remove(os.path.join(self.home, ".codex", "config.toml"))
            r = run(["codex-guarded", "sandbox", "-c", 'sandbox_mode="workspace-write"', "--", "bash", "-c", line],
                    cwd=ws.dir, env=self.env(TF_IN_AUTOMATION="1"), timeout=240)
            self.assertIn(f"status={REFUSED}", r.stdout, r)
            self.assertEqual(ws.ids(), ws.initial_ids)
            self.assertEqual(len(audit_records(self.state)), len(recorded), r)
        finally:
            ws.cleanup()


if __name__ == "__main__":
    unittest.main()
