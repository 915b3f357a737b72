"""Fail closed: a broken policy, a policy broken mid-session, or a missing gate never lets a
watched program run."""
import os
import shutil
import tempfile
import unittest

from harness import (AGENTGUARD, BLOCKED, LIBRARY, REFUSED, TERRAFORM, TerraformWorkspace, clean_env, guarded, run,
                     require_build)


class BrokenPolicy(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.dir = tempfile.mkdtemp(prefix="ag-fc-")
        self.state_dir = os.path.join(self.dir, "state")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write_policy(self, text):
        path = os.path.join(self.dir, "policy.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_run_refuses_to_start_with_a_broken_policy_and_says_where(self):
        path = self.write_policy("schema = 1\n\n[[exec]]\nid = \"x\"\nactoin = \"deny\"\n")
        marker = os.path.join(self.dir, "agent-started")
        r = run([AGENTGUARD, "run", "--policy", path, "--state-dir", self.state_dir, "--", "touch", marker])
        self.assertEqual(r.status, 2, r)
        self.assertIn(f"{path}:5:", r.stderr, r)
        self.assertFalse(os.path.exists(marker), "the agent was started despite a broken policy")

    def test_missing_policy_file_is_an_error(self):
        r = run([AGENTGUARD, "run", "--policy", os.path.join(self.dir, "nope.toml"), "--", "true"])
        self.assertEqual(r.status, 2, r)
        self.assertIn("nope.toml", r.stderr)

@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class MissingGate(unittest.TestCase):
    def test_preload_without_a_gate_refuses_watched_programs(self):
        require_build(self)
        ws = TerraformWorkspace()
        try:
            env = clean_env(LD_PRELOAD=LIBRARY, AGENTGUARD_GATE="/nonexistent/agentguard-gate")
            r = run(["bash", "-c", "terraform destroy -auto-approve; echo status=$?"], cwd=ws.dir, env=env)
            self.assertIn(BLOCKED, r.stderr, r)
            self.assertIn("status=126", r.stdout, r)
            self.assertEqual(ws.ids(), ws.initial_ids)
            # Unwatched programs are untouched.
            r = run(["bash", "-c", "echo fine"], env=env)
            self.assertEqual((r.status, r.stdout), (0, "fine\n"), r)
        finally:
            ws.cleanup()


if __name__ == "__main__":
    unittest.main()
