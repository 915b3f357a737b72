"""Terraform exactly as terraform sees it (issue 12, "Spellings"): each spelling where the gate once
disagreed with terraform, run for real under `agentguard run` against a real workspace, asserting the
resource ids in the state afterwards; and a differential test of the TF_CLI_ARGS splitter against
the arguments terraform 1.11 itself logs ("CLI command args")."""
import os
import re
import shlex
import unittest

from harness import AGENTGUARD, BLOCKED, REFUSED, TERRAFORM, clean_env, require_build, run
from tf_support import TF_ENV, Workspace

PLAIN_CONFIG = """
resource "terraform_data" "database"  { input = "orders-db" }
resource "terraform_data" "website"   { input = "www" }
resource "terraform_data" "snapshots" { input = "nightly" }
"""


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class Spellings(unittest.TestCase):
    def setUp(self):
        require_build(self)

    def workspace(self, config=PLAIN_CONFIG):
        ws = Workspace(config)
        self.addCleanup(ws.cleanup)
        return ws

    def assert_refused_and_intact(self, ws, r, text=None):
        self.assertEqual(r.status, REFUSED, r)
        self.assertIn(BLOCKED, r.stderr)
        if text:
            self.assertIn(text, r.stderr)
        self.assertEqual(ws.ids(), ws.initial_ids)

    def test_empty_argument_before_destroy(self):
        ws = self.workspace()
        r = ws.guarded('TF_OPTS=""; terraform "$TF_OPTS" destroy -auto-approve')
        self.assert_refused_and_intact(ws, r, "terraform-destroy")

    def test_empty_argument_before_apply_still_gets_the_plan_review(self):
        ws = self.workspace()
        ws.write("main.tf", PLAIN_CONFIG.replace('resource "terraform_data" "website"   { input = "www" }\n', ""))
        r = ws.guarded('TF_OPTS=""; terraform "$TF_OPTS" apply -auto-approve -input=false', strict=True)
        self.assert_refused_and_intact(ws, r, "delete terraform_data.website")

    def test_carriage_return_in_tf_cli_args(self):
        ws = self.workspace()
        r = ws.guarded("TF_CLI_ARGS_apply=$'-destroy\\r-auto-approve' terraform apply")
        self.assert_refused_and_intact(ws, r, "terraform-apply-destroy")

    def test_backslash_inside_double_quotes_in_tf_cli_args(self):
        ws = self.workspace()
        r = ws.guarded("TF_CLI_ARGS_apply='\"-de\\stroy\" -auto-approve' terraform apply")
        self.assert_refused_and_intact(ws, r, "terraform-apply-destroy")

    def test_semicolon_ends_tf_cli_args(self):
        ws = Workspace()  # count = var.n, 3 applied
        self.addCleanup(ws.cleanup)
        # terraform reads only -var=n=0: all three would go.
        r = ws.guarded("TF_CLI_ARGS_apply='-var=n=0; -var=n=5' terraform apply -auto-approve -input=false", strict=True)
        self.assert_refused_and_intact(ws, r, "delete terraform_data.r[0]")
        # ... and here only -var=n=4: one is added, the three stay.
        r = ws.guarded("TF_CLI_ARGS_apply='-var=n=4; -var=n=0' terraform apply -auto-approve -input=false", strict=True)
        self.assertEqual(r.status, 0, r)
        ids = ws.ids()
        self.assertEqual(len(ids), 4, ids)
        for address, id_ in ws.initial_ids.items():
            self.assertEqual(ids[address], id_)

    def test_tf_cli_args_terraform_cannot_split_is_refused_with_a_clear_message(self):
        ws = self.workspace()
        r = ws.guarded("TF_CLI_ARGS_apply=\"-auto-approve '-destroy\" terraform apply")
        self.assert_refused_and_intact(ws, r, "cannot be split into arguments")

    def test_help_and_version_anywhere_run_nothing(self):
        ws = self.workspace()
        r = ws.guarded("terraform destroy -auto-approve -help")
        self.assertEqual(r.status, 0, r)
        self.assertIn("Usage: terraform [global options] destroy", r.stdout + r.stderr)
        r = ws.guarded("terraform destroy -auto-approve -version")
        self.assertEqual(r.status, 0, r)
        self.assertIn("Terraform v", r.stdout)
        self.assertEqual(ws.ids(), ws.initial_ids)
        # After `--` a help flag is an argument: this is a destroy.
        r = ws.guarded("terraform destroy -auto-approve -- -help")
        self.assert_refused_and_intact(ws, r, "terraform-destroy")

    def test_a_later_word_completes_the_command(self):
        # hashicorp/cli takes the longest known command that ends at a word boundary anywhere in the
        # leading words: `destroyx destroy` runs destroy.
        ws = self.workspace()
        r = ws.guarded("terraform destroyx destroy")
        self.assert_refused_and_intact(ws, r, "terraform-destroy")

    def test_chdir_spellings(self):
        ws = self.workspace()
        os.symlink(ws.dir, os.path.join(ws.dir, "here"))
        r = ws.guarded("terraform -chdir=here/. destroy -auto-approve")
        self.assert_refused_and_intact(ws, r, "terraform-destroy")
        # The last -chdir wins; the one left over makes terraform refuse, and the guard still decides it.
        r = ws.guarded("terraform -chdir=/nonexistent -chdir=. destroy -auto-approve")
        self.assert_refused_and_intact(ws, r, "terraform-destroy")


# ---------------------------------------------------------------- differential test of the splitter

TRICKY = [
    "-a\r-b", '"-a\\b" c', "-a; -b", "-a | -b", "-a & -b", "-a 2>x -b", "-a 1x>y -b", "-a>x -b", "-a <x",
    "'x y' \"z w\"", "a`b c`d e", "a$(b c)d e", "a)b c) d", "\t\n-a\n", '-a=""', "\"\" ''", "'a\\b'",
    "#c -d", "-var='x=$HOME'", "\u00e9 \u00fc", "a\\ b", "-a\x0b-b", "-a\u00a0-b", "a\\\nb", "x \\; y",
    "'unclosed", '"unclosed', "a\\", "a (b", "$(", "a $(b (c))",
]


def go_quoted_strings(text):
    """The strings of a Go %#v []string{...} literal."""
    out = []
    for body in re.findall(r'"((?:[^"\\]|\\.)*)"', text):
        b = bytearray()
        i = 0
        while i < len(body):
            c = body[i]
            if c != "\\":
                b += c.encode()
                i += 1
                continue
            e = body[i + 1]
            simple = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34, "'": 39}
            if e in simple:
                b.append(simple[e])
                i += 2
            elif e == "x":
                b.append(int(body[i + 2:i + 4], 16))
                i += 4
            elif e in "uU":
                n = 4 if e == "u" else 8
                b += chr(int(body[i + 2:i + 2 + n], 16)).encode()
                i += 2 + n
            else:
                raise ValueError(f"unknown escape in {body!r}")
        out.append(b.decode())
    return out


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class SplitterAgainstTerraform(unittest.TestCase):
    def setUp(self):
        require_build(self)

    def terraform_args(self, value):
        """What terraform 1.11 itself made of TF_CLI_ARGS_version=value, or None if it refused."""
        r = run(["terraform", "version"], env=clean_env(**TF_ENV, TF_LOG="INFO", TF_CLI_ARGS_version=value))
        if "Error parsing extra CLI args" in r.stderr + r.stdout:
            return None
        m = re.search(r"CLI command args: \[\]string\{(.*)\}", r.stderr)
        self.assertIsNotNone(m, r)
        return go_quoted_strings(m.group(1))

    def guard_args(self, value):
        """The guard's effective argv for the same launch, or None if it refused to split it."""
        r = run([AGENTGUARD, "policy", "explain", "--", "terraform", "version"],
                env=clean_env(TF_CLI_ARGS_version=value))
        if "cannot be split into arguments" in r.stdout:
            return None
        m = re.search(r"^effective: (.*)$", r.stdout, re.M | re.S)
        self.assertIsNotNone(m, r)
        line = m.group(1).split("\ntrace:")[0]
        return shlex.split(line)[1:]  # without argv[0]

    def test_the_guard_splits_as_terraform_does(self):
        for value in TRICKY:
            with self.subTest(value=value):
                self.assertEqual(self.guard_args(value), self.terraform_args(value))


if __name__ == "__main__":
    unittest.main()
