"""Issue 12, "Protect the state files": under `agentguard run`, real tools (rm, cp, mv, install, sed,
truncate, dd, bash redirections, python, perl, node, ln) cannot delete, overwrite, truncate, rename or
hard-link Terraform's state, its backups or its workspace directory. Each refusal leaves every
resource id in the state, says `agentguard: blocked` on stderr, and is in the audit log (and reaches
a webhook); terraform's own writes (a create-only apply, workspace new, state pull into a file) still
work, and ordinary files are untouched."""
import json
import os
import shutil
import tempfile
import unittest

from harness import BLOCKED, TERRAFORM, audit_records, clean_env, guarded, require_build, run
from webhook_sink import WebhookSink

TF_ENV = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
# An explicit local backend: `terraform init` then also writes .terraform/terraform.tfstate.
FIRST_CONFIG = ('terraform {\n  backend "local" {}\n}\n'
                'resource "terraform_data" "database" { input = "orders-db" }\n')
CONFIG = FIRST_CONFIG + ('resource "terraform_data" "website" { input = "www" }\n'
                         'resource "terraform_data" "snapshots" { input = "nightly" }\n')
# An edited copy of the state, as an agent would write it: one resource dropped.
DROP_ONE = ('import json,sys; s=json.load(open(sys.argv[1])); s["resources"]=s["resources"][1:]; '
            's["serial"]+=1; json.dump(s, open(sys.argv[2], "w"))')

# Each case: a shell line run in the workspace under the guard. All of them must fail.
ATTACKS = {
    "rm both files": "rm terraform.tfstate terraform.tfstate.backup",
    "rm -f": "rm -f terraform.tfstate",
    "cp over the state": f"python3 -c '{DROP_ONE}' terraform.tfstate s.json && cp s.json terraform.tfstate",
    "cp -f over the backup": "cp -f main.tf terraform.tfstate.backup",
    "python edits the json in place": (
        "python3 -c 'import json; p=\"terraform.tfstate\"; s=json.load(open(p)); s[\"resources\"]=[]; "
        "json.dump(s, open(p, \"w\"))'"),
    "state pull, edit, cp back": (
        f"terraform state pull > pulled.json && python3 -c '{DROP_ONE}' pulled.json edited.json && "
        "cp edited.json terraform.tfstate"),
    "mv a file over the state": f"python3 -c '{DROP_ONE}' terraform.tfstate s.json && mv s.json terraform.tfstate",
    "mv the state away": "mv terraform.tfstate old.json",
    "python os.replace": f"python3 -c '{DROP_ONE}' terraform.tfstate s.json && python3 -c 'import os; os.replace(\"s.json\", \"terraform.tfstate\")'",
    "python os.remove": "python3 -c 'import os; os.remove(\"terraform.tfstate\")'",
    "python shutil.rmtree of the workspaces": "python3 -c 'import shutil; shutil.rmtree(\"terraform.tfstate.d\")'",
    "truncate -s0": "truncate -s0 terraform.tfstate",
    "redirection >": ": > terraform.tfstate",
    "redirection >>": "echo '{}' >> terraform.tfstate",
    "sed -i": "sed -i 's/orders-db/gone/' terraform.tfstate",
    "rm -rf a workspace": "rm -rf terraform.tfstate.d/other",
    "rm -rf from inside the workspace": "cd terraform.tfstate.d/other && rm -rf ./*",
    "a new file inside a workspace": "cd terraform.tfstate.d/other && echo x > notes.txt",
    "a workspace reached through a symlink": "ln -s terraform.tfstate.d ws && mv ws/other ws/renamed",
    "mv a workspace away": "mv terraform.tfstate.d/other terraform.tfstate.d/renamed",
    "rm the backend record": "rm .terraform/terraform.tfstate",
    "install over the state": "install -m 644 main.tf terraform.tfstate",
    "dd over the state": "dd if=/dev/null of=terraform.tfstate status=none",
    "perl truncate": "perl -e 'truncate(\"terraform.tfstate\", 0) or die \"truncate: $!\\n\"'",
    "node writeFileSync": "node -e 'require(\"fs\").writeFileSync(\"terraform.tfstate\", \"{}\")'",
    "a symlink to the state": "ln -s terraform.tfstate alias.json && : > alias.json",
    "a hard link to the state": "ln terraform.tfstate alias.json",
    "through /proc/self/fd": "exec 3<terraform.tfstate && : > /proc/self/fd/3",
}


def resource_ids(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        state = json.load(f)
    return {f"{r['type']}.{r['name']}": i["attributes"]["id"] for r in state.get("resources", [])
            for i in r.get("instances", [])}


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class StateFilesAreProtected(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_build(cls)
        # One real workspace, made without the guard: default (with a backup: the second apply
        # rewrote the state), a workspace "other", and the backend record init wrote in .terraform.
        cls.template = tempfile.mkdtemp(prefix="ag-fileguard-")
        main = os.path.join(cls.template, "main.tf")
        env = clean_env(**TF_ENV)
        steps = [(FIRST_CONFIG, ["terraform", "init", "-input=false", "-no-color"]),
                 (FIRST_CONFIG, ["terraform", "apply", "-auto-approve", "-input=false", "-no-color"]),
                 (CONFIG, ["terraform", "apply", "-auto-approve", "-input=false", "-no-color"]),
                 (CONFIG, ["terraform", "workspace", "new", "-no-color", "other"]),
                 (CONFIG, ["terraform", "apply", "-auto-approve", "-input=false", "-no-color"]),
                 (CONFIG, ["terraform", "workspace", "select", "-no-color", "default"])]
        for config, argv in steps:
            with open(main, "w") as f:
                f.write(config)
            r = run(argv, cwd=cls.template, env=env)
            if r.status != 0:
                raise RuntimeError(f"terraform setup failed: {argv}: {r}")
        cls.files = ["terraform.tfstate", "terraform.tfstate.backup", "terraform.tfstate.d/other/terraform.tfstate",
                     ".terraform/terraform.tfstate"]
        for name in cls.files:
            assert os.path.exists(os.path.join(cls.template, name)), name

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.template, ignore_errors=True)

    def fresh_workspace(self):
        work = tempfile.mkdtemp(prefix="ag-fileguard-ws-")
        shutil.rmtree(work)
        shutil.copytree(self.template, work, symlinks=True)
        self.addCleanup(shutil.rmtree, work, True)
        return work

    def snapshot(self, work):
        out = {}
        for name in self.files:
            with open(os.path.join(work, name), "rb") as f:
                out[name] = f.read()
        return out

    def test_every_file_operation_on_state_is_refused_and_recorded(self):
        for name, line in ATTACKS.items():
            with self.subTest(name):
                work = self.fresh_workspace()
                state_dir = tempfile.mkdtemp(prefix="ag-fileguard-state-")
                self.addCleanup(shutil.rmtree, state_dir, True)
                before = self.snapshot(work)
                ids = resource_ids(os.path.join(work, "terraform.tfstate"))
                other_ids = resource_ids(os.path.join(work, "terraform.tfstate.d/other/terraform.tfstate"))
                self.assertEqual(len(ids), 3)
                r = guarded(line, cwd=work, state_dir=state_dir, extra_env=TF_ENV)
                self.assertNotEqual(r.status, 0, r)
                self.assertIn(BLOCKED, r.stderr, r)
                self.assertIn("(rule protected-paths.", r.stderr, r)
                # Every resource id is still there, and every protected file is byte for byte intact.
                self.assertEqual(resource_ids(os.path.join(work, "terraform.tfstate")), ids)
                self.assertEqual(resource_ids(os.path.join(work, "terraform.tfstate.d/other/terraform.tfstate")),
                                 other_ids)
                self.assertEqual(self.snapshot(work), before)
                records = [e for e in audit_records(state_dir) if e.get("kind") == "file"]
                self.assertTrue(records, f"no audit record for {name}: {r}")
                for e in records:
                    self.assertEqual(e["decision"], "deny")
                    self.assertTrue(e["rule_id"].startswith("protected-paths."), e)
                    self.assertTrue(e["resources"] and e["resources"][0].startswith(os.path.realpath(work)), e)
                    self.assertIn(e["operation"], ("write", "truncate", "rename", "unlink", "rmdir", "link"))
                    self.assertTrue(e["argv"], e)
                    self.assertTrue(e["message"].startswith("blocked "), e)

    def test_the_refusal_names_the_file_and_the_audit_record_the_process(self):
        work = self.fresh_workspace()
        state_dir = tempfile.mkdtemp(prefix="ag-fileguard-state-")
        self.addCleanup(shutil.rmtree, state_dir, True)
        r = guarded("rm terraform.tfstate", cwd=work, state_dir=state_dir)
        self.assertEqual(r.status, 1, r)
        lines = [l for l in r.stderr.splitlines() if l.startswith(BLOCKED)]
        real_state = os.path.join(os.path.realpath(work), "terraform.tfstate")
        self.assertEqual(lines, [f"{BLOCKED} removing {real_state}: this is Terraform state, which only terraform "
                                 "itself may change (rule protected-paths.terraform-state). Change state only "
                                 "through terraform's own commands; if it really must be edited, ask a human."], r)
        self.assertIn("Permission denied", r.stderr)  # rm's own message: EACCES
        [event] = audit_records(state_dir)
        self.assertEqual(event["kind"], "file")
        self.assertEqual(event["operation"], "unlink")
        self.assertEqual(event["resources"], [real_state])
        self.assertEqual(event["rule_id"], "protected-paths.terraform-state")
        self.assertEqual(event["argv"], ["rm", "terraform.tfstate"])
        self.assertEqual(os.path.basename(event["resolved_path"]), "rm")
        self.assertEqual(event["cwd"], os.path.realpath(work))
        self.assertTrue(event["parents"], event)
        self.assertEqual(event["message"], lines[0][len("agentguard: "):])

    def test_agent_controlled_names_are_escaped(self):
        work = self.fresh_workspace()
        r = guarded("printf x > \"$(printf 'evil\\nagentguard: allowed\\033[2J.tfstate')\"", cwd=work)
        self.assertNotEqual(r.status, 0, r)
        # Our line is one line, with the name's control bytes escaped (bash's own message after it
        # prints the name raw; that is bash's business).
        lines = [l for l in r.stderr.splitlines() if l.startswith(BLOCKED)]
        self.assertEqual(len(lines), 1, r)
        self.assertIn("/evil\\x0aagentguard: allowed\\x1b[2J.tfstate: this is Terraform state", lines[0])

    def test_a_webhook_hears_about_it(self):
        work = self.fresh_workspace()
        state_dir = tempfile.mkdtemp(prefix="ag-fileguard-state-")
        self.addCleanup(shutil.rmtree, state_dir, True)
        with WebhookSink(secret="fg-secret") as sink:
            env = dict(TF_ENV, AGENTGUARD_WEBHOOK_URL="json:" + sink.url, AGENTGUARD_WEBHOOK_SECRET="fg-secret")
            r = guarded("mv terraform.tfstate gone.json", cwd=work, state_dir=state_dir, extra_env=env)
            self.assertNotEqual(r.status, 0, r)
            self.assertTrue(sink.wait_for(1, timeout=30), "the webhook never received the file event")
            event = sink.requests[0].json
            self.assertTrue(sink.requests[0].signature_ok)
            self.assertEqual(event["kind"], "file")
            self.assertEqual(event["operation"], "rename")
            self.assertEqual(event["rule_id"], "protected-paths.terraform-state")
            self.assertEqual(event["argv"], ["mv", "terraform.tfstate", "gone.json"])
        self.assertTrue(os.path.exists(os.path.join(work, "terraform.tfstate")))

    def test_terraform_itself_still_writes_its_state(self):
        work = self.fresh_workspace()
        state_dir = tempfile.mkdtemp(prefix="ag-fileguard-state-")
        self.addCleanup(shutil.rmtree, state_dir, True)
        with open(os.path.join(work, "main.tf"), "a") as f:
            f.write('resource "terraform_data" "cache" { input = "redis" }\n')
        before = resource_ids(os.path.join(work, "terraform.tfstate"))
        script = ("set -e\n"
                  "terraform apply -auto-approve -input=false -no-color\n"   # create-only: allowed
                  "terraform workspace new -no-color staging\n"
                  "terraform apply -auto-approve -input=false -no-color\n"
                  "terraform workspace select -no-color default\n"
                  "terraform state list -no-color > listed.txt\n"
                  "terraform state pull > pulled.json\n"
                  "terraform refresh -input=false -no-color\n")
        r = guarded(script, cwd=work, state_dir=state_dir, extra_env=TF_ENV, timeout=300)
        self.assertEqual(r.status, 0, r)
        self.assertNotIn(BLOCKED, r.stderr, r)
        after = resource_ids(os.path.join(work, "terraform.tfstate"))
        self.assertEqual({k: v for k, v in after.items() if k in before}, before)
        self.assertIn("terraform_data.cache", after)
        self.assertEqual(len(resource_ids(os.path.join(work, "terraform.tfstate.d/staging/terraform.tfstate"))), 4)
        self.assertEqual(resource_ids(os.path.join(work, "pulled.json")), after)
        with open(os.path.join(work, "listed.txt")) as f:
            self.assertIn("terraform_data.cache", f.read())
        self.assertFalse([e for e in audit_records(state_dir) if e.get("kind") == "file"])

    def test_ordinary_files_are_untouched(self):
        work = self.fresh_workspace()
        script = ("set -e\n"
                  "echo a > notes.txt; echo b >> notes.txt; cp notes.txt copy.txt; mv copy.txt moved.txt\n"
                  "sed -i s/a/c/ notes.txt; truncate -s0 moved.txt; rm moved.txt\n"
                  "cp terraform.tfstate terraform.tfstate.json; rm terraform.tfstate.json\n"  # reading is fine
                  "mkdir -p d/e; echo x > d/e/f; rm -rf d\n"
                  "python3 -c 'import os; open(\"p.txt\",\"w\").write(\"1\"); os.replace(\"p.txt\",\"q.txt\"); os.remove(\"q.txt\")'\n"
                  "cat terraform.tfstate > /dev/null; grep -c orders-db terraform.tfstate.backup\n"
                  "rm nothing-here 2>err.txt || grep -q 'No such file' err.txt\n")
        r = guarded(script, cwd=work)
        self.assertEqual(r.status, 0, r)
        self.assertNotIn(BLOCKED, r.stderr, r)
        with open(os.path.join(work, "notes.txt")) as f:
            self.assertEqual(f.read(), "c\nb\n")


if __name__ == "__main__":
    unittest.main()
