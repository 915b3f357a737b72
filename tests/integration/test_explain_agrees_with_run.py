"""`agentguard policy explain` says what `agentguard run` does: a corpus of spellings (destroys,
applies that delete, saved plans, shell lines with `cd`, wrappers, harmless work) goes through
`explain --json --shell LINE` and through a real `agentguard run -- bash -c LINE`, and both must
reach the expected outcome: deny (refused at once), ask (held for a human: "pending approval") or
allow (it ran). Real terraform; the state is checked after every refused or held line."""
import json
import os
import shutil
import tempfile
import unittest

from harness import AGENTGUARD, BLOCKED, REFUSED, TERRAFORM, TerraformWorkspace, clean_env, require_build, run
from tf_support import TF_ENV, no_stateless_default_policy


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class ExplainAgreesWithRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ws = TerraformWorkspace()
        cls.parent = os.path.dirname(cls.ws.dir)
        cls.name = os.path.basename(cls.ws.dir)
        cls.state_dir = tempfile.mkdtemp(prefix="ag-state-")
        cls.policy = no_stateless_default_policy(cls.state_dir)  # terraform_data stands in for a database
        env = clean_env(**TF_ENV)
        # A destroy plan, then "website" leaves the config: every plain apply from now on deletes it,
        # and so does the saved plan made afterwards.
        r = run(["terraform", "plan", "-destroy", "-input=false", "-out=all.tfplan"], cwd=cls.ws.dir, env=env)
        assert r.status == 0, r
        path = os.path.join(cls.ws.dir, "main.tf")
        with open(path) as f:
            kept = [line for line in f if '"website"' not in line]
        with open(path, "w") as f:
            f.writelines(kept)
        r = run(["terraform", "plan", "-input=false", "-out=website.tfplan"], cwd=cls.ws.dir, env=env)
        assert r.status == 0, r

    @classmethod
    def tearDownClass(cls):
        cls.ws.cleanup()
        shutil.rmtree(cls.state_dir, ignore_errors=True)

    def setUp(self):
        require_build(self)

    def corpus(self):
        ws, name = self.ws.dir, self.name
        here, above = ws, self.parent
        return [
            # (directory, shell line, expected)
            (here, "terraform destroy -auto-approve", "deny"),
            (above, f"cd {name} && terraform destroy", "deny"),
            (above, f"cd {name}; echo yes | terraform destroy", "deny"),
            (here, "terraform apply -destroy -auto-approve", "deny"),
            (here, "TF_CLI_ARGS_apply=-destroy terraform apply -auto-approve", "deny"),
            (here, "bash -c 'terraform apply -destroy -auto-approve'", "deny"),
            (here, "env -i PATH=\"$PATH\" terraform state rm terraform_data.database", "deny"),
            (here, "terraform apply all.tfplan", "deny"),
            (here, "terraform apply -auto-approve -input=false", "ask"),
            (above, f"cd {name} && terraform apply -auto-approve -input=false", "ask"),
            (above, f"terraform -chdir={name} apply -auto-approve -input=false", "ask"),
            (here, "timeout 120 terraform apply -auto-approve -input=false", "ask"),
            (here, "terraform apply -input=false website.tfplan", "ask"),
            (here, "terraform apply -auto-approve -input=false -replace=terraform_data.database", "ask"),
            (here, "terraform plan -destroy -input=false -no-color", "allow"),
            (here, "terraform state list", "allow"),
            (above, f"cd {name} && terraform plan -input=false -no-color", "allow"),
            (here, "ls -la && echo done", "allow"),
        ]

    def explain(self, cwd, line):
        r = run([AGENTGUARD, "policy", "explain", "--policy", self.policy, "--json", "--shell", line], cwd=cwd,
                env=clean_env(AGENTGUARD_STATE_DIR=self.state_dir, **TF_ENV), timeout=180)
        self.assertIn(r.status, (0, 1), r)
        return json.loads(r.stdout)

    def run_guarded(self, cwd, line):
        r = run([AGENTGUARD, "run", "--policy", self.policy, "--state-dir", self.state_dir, "--", "bash", "-c", line],
                cwd=cwd, env=clean_env(AGENTGUARD_APPROVAL_HOLD="1", **TF_ENV), timeout=240)
        if "pending approval" in r.stderr:
            return "ask", r
        if r.status == REFUSED and BLOCKED in r.stderr:
            return "deny", r
        return ("allow" if r.status == 0 else f"exit {r.status}"), r

    def test_explain_and_run_agree_on_every_spelling(self):
        for cwd, line, expected in self.corpus():
            with self.subTest(line=line):
                explained = self.explain(cwd, line)
                self.assertEqual(explained["decision"], expected, json.dumps(explained, indent=1)[-3000:])
                before = self.ws.ids()
                outcome, r = self.run_guarded(cwd, line)
                self.assertEqual(outcome, expected, r)
                if expected != "allow":
                    self.assertEqual(self.ws.ids(), before, f"{line} changed the state")
                # Where explain names a rule, the refusal or hold names the same one.
                rules = [c["rule"] for c in explained["commands"] if c["decision"] == expected and c["rule"]]
                if expected != "allow":
                    self.assertTrue(rules, explained)
                    self.assertTrue(any(rule in r.stderr for rule in rules) or expected == "ask", (rules, r))

    def test_the_plan_review_is_what_makes_an_apply_ask(self):
        # --no-plan skips the review, and says so: the exec rules alone let the apply through.
        r = run([AGENTGUARD, "policy", "explain", "--policy", self.policy, "--no-plan", "--", "terraform", "apply",
                 "-auto-approve"], cwd=self.ws.dir, env=clean_env(AGENTGUARD_STATE_DIR=self.state_dir, **TF_ENV))
        self.assertEqual(r.status, 0, r)
        self.assertIn("plan review skipped (--no-plan)", r.stdout)
        r = run([AGENTGUARD, "policy", "explain", "--policy", self.policy, "--", "terraform", "apply", "-auto-approve"],
                cwd=self.ws.dir, env=clean_env(AGENTGUARD_STATE_DIR=self.state_dir, **TF_ENV), timeout=180)
        self.assertEqual(r.status, 1, r)
        self.assertIn("delete terraform_data.website", r.stdout)
        self.assertIn("decision:  ask (rule plan-any-delete", r.stdout)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def test_unknown_options_are_errors(self):
        r = run([AGENTGUARD, "policy", "explain", "--jsn", "--", "terraform", "destroy"], cwd=self.ws.dir)
        self.assertNotEqual(r.status, 0, r)
        self.assertIn("--jsn", r.stderr)
        self.assertNotIn("launch:", r.stdout)


if __name__ == "__main__":
    unittest.main()
