"""Policy layering in use: edits take effect at the next launch without restarting the agent; a
broken edit keeps the last good policy in force and tells the human; a project's .agentguard.toml
can only tighten."""
import os
import shutil
import tempfile
import unittest

from harness import (AGENTGUARD, BLOCKED, REFUSED, TERRAFORM, TerraformWorkspace, audit_records, clean_env, guarded,
                     guarded_with_human_edits, require_build, run)

TF_ENV = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
DENY_VERSION = """
[[exec]]
id = "no-version-today"
action = "deny"
program = ["terraform"]
command = ["version"]
message = "Not today."
examples.match = ["terraform version"]
examples.no_match = ["terraform plan"]
"""


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class PolicyEditsMidSession(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.dir = tempfile.mkdtemp(prefix="ag-layers-")
        self.state_dir = os.path.join(self.dir, "state")
        self.policy = os.path.join(self.dir, "policy.toml")
        with open(self.policy, "w") as f:
            f.write("schema = 1\n")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_an_edit_changes_the_next_decision_and_a_broken_edit_opens_nothing(self):
        script = f"""
terraform version >/dev/null; echo first=$?
human_edit deny-version
terraform version >/dev/null; echo second=$?
human_edit break-it
terraform version >/dev/null; echo third=$?
terraform destroy -auto-approve >/dev/null; echo fourth=$?
"""
        # The human edits the policy mid-session (the agent may not: it is one of the guard's files).
        edits = {"deny-version": (self.policy, DENY_VERSION), "break-it": (self.policy, "garbage = [\n")}
        r = guarded_with_human_edits(script, edits, cwd=self.dir, state_dir=self.state_dir, policy=self.policy,
                                     extra_env=TF_ENV)
        out = dict(line.split("=") for line in r.stdout.split() if "=" in line)
        self.assertEqual(out.get("first"), "0", r)             # allowed at the start
        self.assertEqual(out.get("second"), str(REFUSED), r)   # the edit took effect at the next launch
        self.assertEqual(out.get("third"), str(REFUSED), r)    # broken edit: the last good policy stays
        self.assertEqual(out.get("fourth"), str(REFUSED), r)   # and the default still refuses destroy
        self.assertIn("the last good policy stays in force", r.stderr)
        records = audit_records(self.state_dir)
        broken = [e for e in records if e["rule_id"] == "policy-broken"]
        self.assertEqual(len(broken), 1, records)               # the human is told, once
        self.assertIn(self.policy, broken[0]["policy_file"])
        self.assertIn("no-version-today", [e["rule_id"] for e in records])

    def test_policy_check_in_a_session_names_what_only_a_new_session_obeys(self):
        # The watch list and the compiled API rules are fixed at session start; a rule for a new
        # program or a new [[api]] rule needs a new `agentguard run`, and `policy check` says so.
        script = f"""
{AGENTGUARD} policy check; echo before=$?
human_edit new-rules
{AGENTGUARD} policy check; echo after=$?
"""
        new_rules = """
[[exec]]
id = "kubectl-delete"
action = "deny"
program = ["kubectl"]
command = ["delete"]
message = "Ask a human."

[[api]]
id = "sqs-delete"
action = "deny"
match = ["sqs:DeleteQueue"]
message = "Ask a human."
"""
        r = guarded_with_human_edits(script, {"new-rules": (self.policy, new_rules)}, cwd=self.dir,
                                     state_dir=self.state_dir, policy=self.policy)
        self.assertIn("before=0", r.stdout, r)
        self.assertIn("after=0", r.stdout, r)
        notes = [line for line in r.stderr.splitlines() if line.startswith("note: this session")]
        self.assertEqual(len(notes), 2, r)
        self.assertIn("does not watch kubectl", notes[0])
        self.assertIn("[[api]] rules it started with", notes[1])
        # A session started after the edit watches kubectl and has the new API rules: no note.
        r = guarded(f"{AGENTGUARD} policy check", cwd=self.dir, state_dir=self.state_dir, policy=self.policy)
        self.assertEqual(r.status, 0, r)
        self.assertNotIn("note: this session", r.stderr)
        # Outside any session there is nothing to compare with.
        r = run([AGENTGUARD, "policy", "check", self.policy], cwd=self.dir)
        self.assertEqual(r.status, 0, r)
        self.assertNotIn("note:", r.stderr)


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class PolicySnapshots(unittest.TestCase):
    """The gate decides from a precompiled snapshot of the policy (<state>/policy-cache) that
    `agentguard run` writes at the start; an edit is a new snapshot, never the old one."""

    def setUp(self):
        require_build(self)
        self.dir = tempfile.mkdtemp(prefix="ag-snap-")
        self.state_dir = os.path.join(self.dir, "state")
        self.cache = os.path.join(self.state_dir, "policy-cache")
        self.policy = os.path.join(self.dir, "policy.toml")
        with open(self.policy, "w") as f:
            f.write("schema = 1\n")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_the_session_snapshot_is_used_and_an_edit_replaces_it(self):
        snaps = f"ls {self.cache} | grep -c '\\.snap$'"
        script = f"""
echo warm=$({snaps})
terraform destroy -auto-approve >/dev/null 2>&1; echo destroy=$?
terraform version >/dev/null 2>&1; echo before=$?
echo after_launches=$({snaps})
human_edit deny-version
terraform version >/dev/null 2>&1; echo edited=$?
terraform destroy -auto-approve >/dev/null 2>&1; echo destroy_again=$?
echo after_edit=$({snaps})
"""
        r = guarded_with_human_edits(script, {"deny-version": (self.policy, DENY_VERSION)}, cwd=self.dir,
                                     state_dir=self.state_dir, policy=self.policy, extra_env=TF_ENV)
        out = dict(line.split("=") for line in r.stdout.split() if "=" in line)
        self.assertEqual(out.get("warm"), "1", r)               # agentguard run wrote it before the agent started
        self.assertEqual(out.get("destroy"), str(REFUSED), r)
        self.assertEqual(out.get("before"), "0", r)
        self.assertEqual(out.get("after_launches"), "1", r)     # the gate found the session's snapshot
        self.assertEqual(out.get("edited"), str(REFUSED), r)    # the edit is obeyed at the next launch
        self.assertEqual(out.get("destroy_again"), str(REFUSED), r)
        self.assertEqual(out.get("after_edit"), "2", r)         # the gate parsed the edit and kept a snapshot of it
        self.assertIn("no-version-today", [e["rule_id"] for e in audit_records(self.state_dir)])


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class ProjectPolicy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_build(cls)
        cls.ws = TerraformWorkspace()
        os.mkdir(os.path.join(cls.ws.dir, ".git"))  # the project's root

    @classmethod
    def tearDownClass(cls):
        cls.ws.cleanup()

    def setUp(self):
        self.state_dir = tempfile.mkdtemp(prefix="ag-proj-")
        self.project = os.path.join(self.ws.dir, ".agentguard.toml")

    def tearDown(self):
        shutil.rmtree(self.state_dir, ignore_errors=True)
        if os.path.exists(self.project):
            os.remove(self.project)

    def write(self, text):
        with open(self.project, "w") as f:
            f.write("schema = 1\n" + text)

    def test_a_project_policy_that_allows_terraform_destroy_is_rejected(self):
        self.write('\n[[exec]]\nid = "let-me"\naction = "allow"\nprogram = ["terraform"]\ncommand = ["destroy"]\n'
                   'examples.match = ["terraform destroy"]\nexamples.no_match = ["terraform plan"]\n')
        r = run([AGENTGUARD, "policy", "check"], cwd=self.ws.dir)
        self.assertEqual(r.status, 1, r)
        self.assertIn(f"{self.project}:3:1", r.stdout + r.stderr)
        self.assertIn("can only tighten", r.stdout + r.stderr)
        r = guarded("terraform destroy -auto-approve", cwd=self.ws.dir, state_dir=self.state_dir,
                    default_only=False, extra_env=TF_ENV)
        self.assertEqual(r.status, 2, r)  # the session does not even start on a loosening project policy
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def test_disable_in_a_project_policy_is_rejected(self):
        self.write('disable = ["terraform-destroy"]\n')
        r = run([AGENTGUARD, "policy", "check"], cwd=self.ws.dir)
        self.assertEqual(r.status, 1, r)
        self.assertIn("can only tighten", r.stdout + r.stderr)

    def test_a_project_policy_can_tighten(self):
        self.write('\n[[exec]]\nid = "humans-apply-here"\naction = "deny"\nprogram = ["terraform"]\ncommand = ["apply"]\n'
                   'message = "In this repository only humans apply."\n'
                   'examples.match = ["terraform apply"]\nexamples.no_match = ["terraform plan"]\n')
        r = run([AGENTGUARD, "policy", "show"], cwd=self.ws.dir)
        self.assertIn("humans-apply-here", r.stdout, r)
        self.assertIn(self.project, r.stdout)
        r = guarded("terraform apply -auto-approve -input=false", cwd=self.ws.dir, state_dir=self.state_dir,
                    default_only=False, extra_env=TF_ENV)
        self.assertEqual(r.status, REFUSED, r)
        self.assertIn("humans-apply-here", r.stderr)
        r = guarded("terraform plan -input=false -no-color", cwd=self.ws.dir, state_dir=self.state_dir,
                    default_only=False, extra_env=TF_ENV)
        self.assertEqual(r.status, 0, r)


if __name__ == "__main__":
    unittest.main()


class PolicyCommands(unittest.TestCase):
    """`agentguard policy explain` as a person types it: the command after `--`, or a saved request."""

    def setUp(self):
        require_build(self)

    def test_explain_a_command(self):
        r = run([AGENTGUARD, "policy", "explain", "--", "terraform", "destroy", "-auto-approve"])
        self.assertEqual(r.status, 1, r)
        self.assertIn("decision:  deny (rule terraform-destroy", r.stdout)
        r = run([AGENTGUARD, "policy", "explain", "terraform", "plan", "-destroy"])
        self.assertEqual(r.status, 0, r)

    def test_explain_a_saved_http_request(self):
        with tempfile.NamedTemporaryFile("w", suffix=".http", delete=False) as f:
            body = "Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=prod"
            f.write("POST / HTTP/1.1\r\nHost: rds.us-east-1.amazonaws.com\r\n"
                    "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/rds/aws4_request, "
                    "SignedHeaders=host, Signature=0\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n{body}")
        try:
            r = run([AGENTGUARD, "policy", "explain", "--http", f.name])
            self.assertEqual(r.status, 1, r)
            self.assertIn("rds:DeleteDBInstance", r.stdout)
            self.assertIn("AccessDenied", r.stdout)
        finally:
            os.remove(f.name)
