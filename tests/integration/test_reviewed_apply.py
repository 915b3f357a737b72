"""Apply what was reviewed (issue 12): a plain `terraform apply` is planned once by the gate, with the
caller's stdin, reviewed, and that very plan applied; a saved plan is applied from the sealed copy the
gate reviewed. Real terraform, real state, resource ids asserted afterwards."""
import json
import os
import unittest

from harness import BLOCKED, REFUSED, TERRAFORM, require_build
from tf_support import COUNT_CONFIG, Workspace

# count defaults to 1, the workspace is applied with n = 3: an apply that loses its variables destroys two.
LOW_DEFAULT = COUNT_CONFIG.replace("default = 3", "default = 1")


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class ReviewedApply(unittest.TestCase):
    def setUp(self):
        require_build(self)

    def workspace(self, config=COUNT_CONFIG, apply_args=()):
        ws = Workspace(config, apply_args)
        self.addCleanup(ws.cleanup)
        return ws

    def assert_kept(self, ws, ids=None):
        ids = ids if ids is not None else ws.ids()
        for address, id_ in ws.initial_ids.items():
            self.assertEqual(ids.get(address), id_, f"{address} was lost: {ids}")

    def test_process_substitution_var_file_is_read_once(self):
        ws = self.workspace(LOW_DEFAULT, ["-var", "n=3"])
        r = ws.guarded("terraform apply -auto-approve -input=false -no-color -var-file=<(echo 'n = 4')", strict=True)
        self.assertEqual(r.status, 0, r)
        self.assertEqual(len(ws.ids()), 4, r)
        self.assert_kept(ws)

    def test_fifo_var_file_is_read_once(self):
        ws = self.workspace(LOW_DEFAULT, ["-var", "n=3"])
        os.mkfifo(os.path.join(ws.dir, "vars.fifo"))
        r = ws.guarded("(echo 'n = 4' > vars.fifo &); terraform apply -auto-approve -input=false -no-color "
                       "-var-file=vars.fifo", strict=True)
        self.assertEqual(r.status, 0, r)
        self.assertEqual(len(ws.ids()), 4, r)
        self.assert_kept(ws)

    def test_config_reading_its_own_command_line_applies_what_was_planned(self):
        # count is var.n when terraform runs as `plan`, and 0 when its argv says "apply".
        config = LOW_DEFAULT.replace(
            "count = var.n", 'count = strcontains(file("/proc/self/cmdline"), "apply") ? 0 : var.n')
        twin = self.workspace(config)
        ws = self.workspace(config)
        for w in (ws, twin):
            self.assertEqual(w.terraform("plan", "-var", "n=3", "-out=s.tfplan", "-input=false").status, 0)
            self.assertEqual(w.terraform("apply", "s.tfplan").status, 0)
            w.initial_ids = w.ids()
            self.assertEqual(len(w.initial_ids), 3)
        # The trap: a plain apply plans again as "apply" and destroys all three.
        self.assertEqual(twin.terraform("apply", "-auto-approve", "-input=false", "-var", "n=3").status, 0)
        self.assertEqual(twin.ids(), {})
        # Guarded, the plan the gate reviews (no changes) is the plan that runs.
        r = ws.guarded("terraform apply -auto-approve -input=false -no-color -var n=3", strict=True)
        self.assertEqual(r.status, 0, r)
        self.assertEqual(ws.ids(), ws.initial_ids)

    def test_state_redirect_to_the_real_state_is_reviewed_against_it(self):
        ws = self.workspace()
        r = ws.guarded("terraform apply -auto-approve -input=false -no-color -state=empty.tfstate "
                       "-state-out=terraform.tfstate", strict=True)
        self.assertEqual(r.status, REFUSED, r)
        self.assertIn("forget terraform_data.r[0]", r.stderr)
        self.assertEqual(ws.ids(), ws.initial_ids)
        # With the default policy the forgotten resources need a human: held, then refused at the timeout.
        r = ws.guarded("terraform apply -auto-approve -input=false -no-color -state=empty.tfstate "
                       "-state-out=terraform.tfstate", env={"AGENTGUARD_APPROVAL_TIMEOUT": "2"})
        self.assertEqual(r.status, REFUSED, r)
        self.assertIn("No human approved", r.stderr)
        self.assertEqual(ws.ids(), ws.initial_ids)
        # Writing to a new file loses nothing: allowed.
        r = ws.guarded("terraform apply -auto-approve -input=false -no-color -state=empty.tfstate "
                       "-state-out=other.tfstate", strict=True)
        self.assertEqual(r.status, 0, r)
        self.assertEqual(len(ws.ids("other.tfstate")), 3)
        self.assertEqual(ws.ids(), ws.initial_ids)

    def test_saved_plan_through_a_symlink_and_dotdot_is_read_physically(self):
        ws = self.workspace()
        os.makedirs(os.path.join(ws.dir, "plans", "deep"))
        os.symlink(os.path.join(ws.dir, "plans", "deep"), os.path.join(ws.dir, "link"))
        # Lexically link/../d.tfplan is ./d.tfplan (harmless); physically it is plans/d.tfplan (destroy).
        self.assertEqual(ws.terraform("plan", "-out=d.tfplan", "-input=false").status, 0)
        self.assertEqual(ws.terraform("plan", "-destroy", "-out=plans/d.tfplan", "-input=false").status, 0)
        r = ws.guarded("terraform apply link/../d.tfplan", strict=True)
        self.assert_kept(ws)
        self.assertEqual(r.status, REFUSED, r)
        self.assertIn(BLOCKED, r.stderr)

    def test_variable_answered_on_stdin(self):
        config = 'variable "name" {}\nresource "terraform_data" "named" { input = var.name }\n'
        ws = self.workspace(config, ["-var", "name=x"])
        r = ws.guarded("echo y | terraform apply -auto-approve -no-color")
        self.assertEqual(r.status, 0, r)
        self.assertIn("Apply complete!", r.stdout)
        self.assert_kept(ws)
        with open(os.path.join(ws.dir, "terraform.tfstate")) as f:
            state = json.load(f)
        self.assertEqual(state["resources"][0]["instances"][0]["attributes"]["input"]["value"], "y")

    def test_the_apply_question_is_still_asked(self):
        config = COUNT_CONFIG
        ws = self.workspace(config)
        twin = self.workspace(config)
        for answer, status in (("no\n", 1), ("", 1), ("yes\n", 0)):
            with self.subTest(answer=answer):
                guarded = ws.guarded("terraform apply -no-color -var n=4", input=answer)
                plain = twin.terraform("apply", "-no-color", "-var", "n=4", input=answer)
                self.assertEqual(guarded.status, status, guarded)
                self.assertEqual(plain.status, status, plain)
                question = plain.stdout[plain.stdout.index("\nDo you want to perform these actions?"):]
                self.assertIn(question.split("Enter a value:")[0] + "Enter a value: ", guarded.stdout)
                if answer == "no\n":
                    self.assertIn("Apply cancelled.", guarded.stdout)
                if answer == "":
                    self.assertIn("Error: error asking for approval: EOF", guarded.stderr)
        self.assertEqual(len(ws.ids()), 4)
        self.assert_kept(ws)
        # -input=false does not skip the question either (terraform asks all the same).
        r = ws.guarded("terraform apply -no-color -input=false -var n=5", input="")
        self.assertEqual(r.status, 1, r)
        self.assertIn("Do you want to perform these actions?", r.stdout)
        self.assertEqual(len(ws.ids()), 4)

    def test_timestamp_triggered_replace_is_not_held(self):
        config = 'resource "terraform_data" "stamp" {\n  triggers_replace = timestamp()\n}\n'
        ws = self.workspace(config)
        before = ws.ids()["terraform_data.stamp"]
        r = ws.guarded("terraform apply -auto-approve -input=false -no-color",
                       env={"AGENTGUARD_APPROVAL_TIMEOUT": "1"})
        self.assertEqual(r.status, 0, r)
        self.assertNotEqual(ws.ids()["terraform_data.stamp"], before, "replaced, without a human")


if __name__ == "__main__":
    unittest.main()
