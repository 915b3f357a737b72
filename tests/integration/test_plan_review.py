"""Plan review at `terraform apply`, and approvals the agent cannot grant itself.

Real terraform, terraform_data resources, resource ids checked in the state afterwards. The test
plays both sides: the agent (a guarded shell) and the human (this process, outside the tree, who
reads the one-time code from the webhook and runs `agentguard approve`)."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from tf_support import no_stateless_default_policy
from harness import (AGENTGUARD, BLOCKED, REFUSED, TERRAFORM, RecordingHTTPServer, TerraformWorkspace, audit_records,
                     clean_env, guarded, require_build, run)

TF_ENV = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}


def find_key(obj, key):
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            found = find_key(v, key)
            if found is not None:
                return found
    if isinstance(obj, list):
        for v in obj:
            found = find_key(v, key)
            if found is not None:
                return found
    return None


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class PlanReview(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.ws = TerraformWorkspace()
        self.state_dir = tempfile.mkdtemp(prefix="ag-state-")
        self.webhook = RecordingHTTPServer(body=b"ok", content_type="text/plain")

    def tearDown(self):
        self.webhook.stop()
        self.ws.cleanup()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def env(self, **extra):
        e = dict(TF_ENV, AGENTGUARD_WEBHOOK_URL=self.webhook.url)
        e.update(extra)
        return e

    def start_guarded(self, script, **extra_env):
        policy = no_stateless_default_policy(self.state_dir)  # terraform_data stands in for a database
        argv = [AGENTGUARD, "run", "--policy", policy, "--state-dir", self.state_dir, "--", "bash", "-c", script]
        return subprocess.Popen(argv, cwd=self.ws.dir, env=clean_env(**self.env(**extra_env)), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def wait_for_approval_request(self, timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for req in self.webhook.requests:
                try:
                    body = json.loads(req["body"])
                except ValueError:
                    continue
                approval = find_key(body, "approval")
                if approval and approval.get("code"):
                    return approval
            time.sleep(0.1)
        self.fail(f"no approval request reached the webhook; got {self.webhook.requests}")

    def human(self, *args):
        """The human's own terminal: outside the guarded tree, same state directory."""
        return run([AGENTGUARD, *args], env=clean_env(AGENTGUARD_STATE_DIR=self.state_dir))

    def remove_from_config(self, name):
        path = os.path.join(self.ws.dir, "main.tf")
        with open(path) as f:
            lines = [l for l in f if f'"{name}"' not in l]
        with open(path, "w") as f:
            f.writelines(lines)

    def test_apply_after_a_resource_left_the_config_is_held_then_approved_runs_once(self):
        self.remove_from_config("website")
        proc = self.start_guarded("terraform apply -auto-approve -input=false -no-color")
        approval = self.wait_for_approval_request()
        # Held: nothing has happened yet.
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)
        # The code never reaches the agent's side.
        r = self.human("approve", approval["id"], approval["code"])
        self.assertEqual(r.status, 0, r)
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 0, (out, err))
        self.assertNotIn(approval["code"], out + err)
        ids = self.ws.ids()
        self.assertNotIn("terraform_data.website", ids)
        for name in ("terraform_data.database", "terraform_data.snapshots"):
            self.assertEqual(ids[name], self.ws.initial_ids[name])
        self.assertEqual(out.count("Apply complete!"), 1, "the approved apply must run exactly once")
        decisions = [r["decision"] for r in audit_records(self.state_dir)]
        self.assertEqual(decisions.count("ask"), 1, decisions)
        self.assertEqual(decisions.count("approved"), 1, decisions)
        for path in os.listdir(self.state_dir):
            self.assertFalse(self.file_contains(os.path.join(self.state_dir, path), approval["code"]),
                             f"the approval code was written to {path}")

    def file_contains(self, path, text):
        if os.path.isdir(path):
            return any(self.file_contains(os.path.join(path, p), text) for p in os.listdir(path)
                       if not p.endswith(".response.json"))
        with open(path, errors="replace") as f:
            return text in f.read()

    def test_replace_is_held_and_a_denial_refuses_it(self):
        proc = self.start_guarded("terraform apply -replace=terraform_data.database -auto-approve -input=false -no-color")
        approval = self.wait_for_approval_request()
        self.assertIn("replace terraform_data.database", json.dumps(self.webhook.requests[-1]["body"].decode()))
        r = self.human("deny", approval["id"])
        self.assertEqual(r.status, 0, r)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, REFUSED, (out, err))
        self.assertIn(BLOCKED, err)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def test_taint_then_apply_times_out_into_a_refusal(self):
        proc = self.start_guarded("terraform taint terraform_data.database && terraform apply -auto-approve -input=false",
                                  AGENTGUARD_APPROVAL_TIMEOUT="3")
        out, err = proc.communicate(timeout=90)
        self.assertEqual(proc.returncode, REFUSED, (out, err))
        self.assertIn("No human approved", err)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def test_saved_plan_swapped_after_the_request_runs_the_reviewed_copy(self):
        r = run(["terraform", "plan", "-replace=terraform_data.website", "-out=r.tfplan", "-input=false"],
                cwd=self.ws.dir, env=clean_env(**TF_ENV))
        self.assertEqual(r.status, 0, r)
        proc = self.start_guarded("terraform apply -no-color r.tfplan")
        approval = self.wait_for_approval_request()
        # The agent swaps the reviewed plan for a destroy plan before the human answers.
        r = run(["terraform", "plan", "-destroy", "-out=r.tfplan", "-input=false"], cwd=self.ws.dir, env=clean_env(**TF_ENV))
        self.assertEqual(r.status, 0, r)
        self.human("approve", approval["id"], approval["code"])
        out, err = proc.communicate(timeout=60)
        # What runs is the copy the human approved: website replaced, nothing destroyed.
        self.assertEqual(proc.returncode, 0, (out, err))
        ids = self.ws.ids()
        self.assertNotEqual(ids["terraform_data.website"], self.ws.initial_ids["terraform_data.website"])
        for name in ("terraform_data.database", "terraform_data.snapshots"):
            self.assertEqual(ids[name], self.ws.initial_ids[name])

    def test_approval_from_inside_the_guarded_tree_is_refused(self):
        self.remove_from_config("snapshots")
        proc = self.start_guarded("terraform apply -auto-approve -input=false -no-color")
        approval = self.wait_for_approval_request()
        # Even with the right code, an approval from inside any guarded tree is refused.
        r = guarded(f"{AGENTGUARD} approve {approval['id']} {approval['code']}; echo status=$?",
                    state_dir=self.state_dir, extra_env=TF_ENV)
        self.assertIn("status=3", r.stdout, r)
        self.assertIn("cannot be given from inside", r.stderr)
        r = run(["env", "-i", f"PATH={os.environ['PATH']}", f"AGENTGUARD_STATE_DIR={self.state_dir}",
                 "bash", "-c", f"LD_PRELOAD= {AGENTGUARD} approve {approval['id']} {approval['code']}"],
                env=clean_env(LD_PRELOAD=os.path.join(os.path.dirname(AGENTGUARD), "..", "lib", "agentguard",
                                                      "libagentguard.so"), AGENTGUARD_SESSION="s_test"))
        self.assertNotEqual(r.status, 0, r)
        self.human("deny", approval["id"])
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, REFUSED, (out, err))
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def test_a_wrong_code_is_refused_and_the_human_can_try_again(self):
        self.remove_from_config("website")
        proc = self.start_guarded("terraform apply -auto-approve -input=false -no-color")
        approval = self.wait_for_approval_request()
        r = self.human("approve", approval["id"], "AAAA-AAAA")
        self.assertEqual(r.status, 1, r)
        self.assertIn("not the code that was sent", r.stderr)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)
        # A typo does not close the request: the right code still approves it, and it runs once.
        r = self.human("approve", approval["id"], approval["code"])
        self.assertEqual(r.status, 0, r)
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 0, (out, err))
        self.assertNotIn("terraform_data.website", self.ws.ids())

    def save_plan(self, *args):
        r = run(["terraform", "plan", "-input=false", *args], cwd=self.ws.dir, env=clean_env(**TF_ENV))
        self.assertEqual(r.status, 0, r)

    def test_saved_plan_that_deletes_one_resource_is_held_like_the_plain_apply(self):
        # The same deletion as test_apply_after_a_resource_left_the_config...: spelled as a saved plan,
        # it is held for a human too, not denied outright as a destroy plan.
        self.remove_from_config("website")
        self.save_plan("-out=cache.tfplan")
        proc = self.start_guarded("terraform apply -no-color cache.tfplan")
        approval = self.wait_for_approval_request()
        self.assertIn("delete terraform_data.website", json.dumps(self.webhook.requests[-1]["body"].decode()))
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)  # held: nothing has happened yet
        r = self.human("approve", approval["id"], approval["code"])
        self.assertEqual(r.status, 0, r)
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 0, (out, err))
        self.assertEqual(out.count("Apply complete!"), 1, (out, err))
        ids = self.ws.ids()
        self.assertNotIn("terraform_data.website", ids)
        for name in ("terraform_data.database", "terraform_data.snapshots"):
            self.assertEqual(ids[name], self.ws.initial_ids[name])
        rules = [(r["decision"], r.get("rule_id")) for r in audit_records(self.state_dir)]
        self.assertIn(("ask", "plan-any-delete"), rules)
        self.assertNotIn("terraform-apply-destroy-plan", [rule for _, rule in rules])

    def test_only_a_destroy_plan_is_denied_outright(self):
        self.save_plan("-destroy", "-out=all.tfplan")
        proc = self.start_guarded("terraform apply -no-color all.tfplan")
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, REFUSED, (out, err))
        self.assertIn(BLOCKED, err)
        self.assertIn("terraform-apply-destroy-plan", err)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)
        self.assertFalse(any(b'"approval"' in req["body"] for req in self.webhook.requests), "a destroy plan is not held")

    def test_apply_that_only_adds_is_not_held(self):
        with open(os.path.join(self.ws.dir, "more.tf"), "w") as f:
            f.write('resource "terraform_data" "queue" { input = "jobs" }\n')
        r = guarded("terraform apply -auto-approve -input=false -no-color", cwd=self.ws.dir, state_dir=self.state_dir,
                    extra_env=self.env())
        self.assertEqual(r.status, 0, r)
        self.assertIn("terraform_data.queue", self.ws.ids())
        self.assertEqual(self.webhook.requests, [])


if __name__ == "__main__":
    unittest.main()
