"""The exec guard end to end: real programs under `agentguard run`, a real terraform, real state.

Every destructive case is written so that it WOULD destroy or forget resources if the guard let it
through (-auto-approve, or `echo yes |`), and each test checks the state file afterwards."""
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import (BLOCKED, REFUSED, TERRAFORM, TerraformWorkspace, audit_records, guarded, require_build)

TF_ENV = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
LDSO = "/lib64/ld-linux-x86-64.so.2"

DESTRUCTIVE = {
    "destroy": "terraform destroy -auto-approve",
    "apply_destroy": "terraform apply -destroy -auto-approve",
    "apply_double_dash_destroy": "terraform apply --destroy -auto-approve",
    "apply_destroy_true": "terraform apply -destroy=true -auto-approve",
    "apply_destroy_1": "terraform apply -destroy=1 --auto-approve",
    "echo_yes": "echo yes | terraform destroy",
    "target_destroy": "terraform destroy -target=terraform_data.website -auto-approve",
    "chdir": 'cd .. && terraform -chdir="$OLDPWD" destroy -auto-approve',
    "tf_cli_args_bare": 'TF_CLI_ARGS="destroy -auto-approve" terraform',
    "tf_cli_args_apply": 'TF_CLI_ARGS_apply="-destroy -auto-approve" terraform apply',
    "tf_cli_args": 'TF_CLI_ARGS="-destroy" terraform apply -auto-approve',
    "saved_destroy_plan": "terraform plan -destroy -out=d.tfplan -no-color >/dev/null && terraform apply d.tfplan",
    "state_rm": "terraform state rm terraform_data.website",
    "state_mv": "terraform state mv terraform_data.website terraform_data.elsewhere",
    "state_push": ("terraform state pull > s.json && python3 -c \"import json;s=json.load(open('s.json'));"
                   "s['resources']=[];s['serial']+=1;json.dump(s,open('s2.json','w'))\" && terraform state push s2.json"),
    # Launchers: the same destroy through every common way of starting a program.
    "dash": "dash -c 'terraform destroy -auto-approve'",
    "python_subprocess": "python3 -c \"import subprocess; subprocess.run(['terraform','destroy','-auto-approve'])\"",
    "python_os_system": "python3 -c \"import os; os.system('terraform destroy -auto-approve')\"",
    "python_posix_spawnp": ("python3 -c \"import os; pid=os.posix_spawnp('terraform',['terraform','destroy','-auto-approve'],"
                            "dict(os.environ)); os.waitpid(pid,0)\""),
    "python_execvpe_scrubbed_env": ("python3 -c \"import os; os.execvpe('terraform',['terraform','destroy','-auto-approve'],"
                                    "{'PATH': os.environ['PATH']})\""),
    "python_cleared_environ_system": ("python3 -c \"import os; p=os.environ['PATH']; os.environ.clear(); "
                                      "os.environ['PATH']=p; os.system('terraform destroy -auto-approve')\""),
    "python_subprocess_env": ("python3 -c \"import subprocess,os; subprocess.run(['terraform','destroy','-auto-approve'],"
                              "env={'PATH': os.environ['PATH']})\""),
    "node_execsync": "node -e \"require('child_process').execSync('terraform destroy -auto-approve', {stdio: 'inherit'})\"",
    "node_spawnsync_env": ("node -e \"require('child_process').spawnSync('terraform', ['destroy','-auto-approve'], "
                           "{env: {PATH: process.env.PATH}, stdio: 'inherit'})\""),
    "make": "printf 'all:\\n\\tterraform destroy -auto-approve\\n' > Makefile.ag && make -f Makefile.ag",
    "perl_system": "perl -e 'system(\"terraform\", \"destroy\", \"-auto-approve\")'",
    "env_i": 'env -i PATH="$PATH" terraform destroy -auto-approve',
    "env_u": "env -u LD_PRELOAD terraform destroy -auto-approve",
    "xargs": "echo destroy | xargs -I{} terraform {} -auto-approve",
    "find_exec": r"find . -maxdepth 0 -exec terraform destroy -auto-approve \;",
    "script_c": "script -qec 'terraform destroy -auto-approve' /dev/null",
    "nohup": "nohup terraform destroy -auto-approve",
    "timeout": "timeout 60 terraform destroy -auto-approve",
    "nice": "nice -n 5 terraform destroy -auto-approve",
    "exec_a": "(exec -a harmless-tool terraform destroy -auto-approve)",
    "symlink": 'ln -sf "$(command -v terraform)" ./tf && ./tf destroy -auto-approve',
    "copied_binary": 'cp "$(command -v terraform)" ./harmless-tool && ./harmless-tool destroy -auto-approve',
    "ld_so": f'{LDSO} "$(command -v terraform)" destroy -auto-approve',
    "su_c": "su -c 'terraform destroy -auto-approve' root",
    "bash_script_file": "printf 'terraform destroy -auto-approve\\n' > cleanup.sh && bash cleanup.sh",
}

HARMLESS = {
    "version": "terraform version",
    "plan": "terraform plan -no-color -input=false",
    "plan_destroy": "terraform plan -destroy -no-color -input=false",
    "init": "terraform init -input=false -no-color",
    "state_list": "terraform state list",
    "fmt": "terraform fmt -check -no-color || terraform fmt -no-color",
    "validate": "terraform validate -no-color",
    "output": "terraform output -no-color",
    "relative_symlink_version": 'ln -sf "$(command -v terraform)" ./tf-rel && ./tf-rel version',
}


class WithWorkspace(unittest.TestCase):
    """One applied Terraform workspace and one state directory per test class."""

    @classmethod
    def setUpClass(cls):
        require_build(cls)
        cls.ws = TerraformWorkspace()
        cls.state_dir = tempfile.mkdtemp(prefix="ag-state-")

    @classmethod
    def tearDownClass(cls):
        cls.ws.cleanup()
        shutil.rmtree(cls.state_dir, ignore_errors=True)


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class TerraformDestroyIsRefused(WithWorkspace):

    def assert_refused(self, script):
        before = len(audit_records(self.state_dir))
        r = guarded(script, cwd=self.ws.dir, state_dir=self.state_dir, extra_env=TF_ENV)
        self.assertIn(BLOCKED, r.stderr + r.stdout, r)
        # (The exit status is the launcher's: python's subprocess.run or perl's system() ignore the
        # child's 126, so it is checked where the shell runs the program itself.)
        # What matters: every resource still there, with its id unchanged.
        self.assertEqual(self.ws.ids(), self.ws.initial_ids, f"state changed by {script!r}: {r}")
        records = audit_records(self.state_dir)
        self.assertGreater(len(records), before, f"no audit record for {script!r}")
        self.assertEqual(records[-1]["decision"], "deny")
        self.assertTrue(records[-1]["rule_id"], records[-1])
        return r

    def test_direct_destroy_exits_126_with_one_paragraph(self):
        r = self.assert_refused("terraform destroy -auto-approve")
        self.assertEqual(r.status, REFUSED, r)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertTrue(r.stderr.startswith(BLOCKED), r.stderr)
        self.assertIn("rule ", r.stderr)


def _make_refusal_test(script):
    def test(self):
        self.assert_refused(script)
    return test


for _name, _script in DESTRUCTIVE.items():
    setattr(TerraformDestroyIsRefused, f"test_refused_{_name}", _make_refusal_test(_script))


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class HarmlessWorkStillRuns(WithWorkspace):

    def assert_runs(self, script):
        r = guarded(script, cwd=self.ws.dir, state_dir=self.state_dir, extra_env=TF_ENV)
        self.assertEqual(r.status, 0, r)
        self.assertNotIn(BLOCKED, r.stderr, r)
        return r

    def test_plan_destroy_shows_the_deletes(self):
        r = self.assert_runs("terraform plan -destroy -no-color -input=false")
        self.assertIn("3 to destroy", r.stdout)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def test_apply_that_only_creates(self):
        extra = os.path.join(self.ws.dir, "extra.tf")
        with open(extra, "w") as f:
            f.write('resource "terraform_data" "cache" { input = "redis" }\n')
        try:
            self.assert_runs("terraform apply -auto-approve -input=false -no-color")
            ids = self.ws.ids()
            self.assertIn("terraform_data.cache", ids)
            for address, rid in self.ws.initial_ids.items():
                self.assertEqual(ids[address], rid)
        finally:
            os.remove(extra)
            # Put the workspace back (unguarded) for the other tests.
            subprocess.run(["terraform", "apply", "-auto-approve", "-input=false", "-no-color"], cwd=self.ws.dir,
                           capture_output=True)
            self.ws.initial_ids = self.ws.ids()

    def test_no_audit_record_for_plain_allows(self):
        before = len(audit_records(self.state_dir))
        self.assert_runs("terraform version && terraform state list")
        self.assertEqual(len(audit_records(self.state_dir)), before)


def _make_harmless_test(script):
    def test(self):
        self.assert_runs(script)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)
    return test


for _name, _script in HARMLESS.items():
    setattr(HarmlessWorkStillRuns, f"test_runs_{_name}", _make_harmless_test(_script))


class OrdinaryWorkloadUnderTheGuard(unittest.TestCase):
    """A small real workload must behave exactly as without the guard."""

    def setUp(self):
        require_build(self)
        self.dir = tempfile.mkdtemp(prefix="ag-work-")
        self.state_dir = tempfile.mkdtemp(prefix="ag-state-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def g(self, script):
        r = guarded(script, cwd=self.dir, state_dir=self.state_dir)
        self.assertEqual(r.status, 0, r)
        return r

    def test_make_builds_a_c_program(self):
        with open(os.path.join(self.dir, "hello.c"), "w") as f:
            f.write('#include <stdio.h>\nint main(void){puts("hello from make");return 0;}\n')
        with open(os.path.join(self.dir, "Makefile"), "w") as f:
            f.write("hello: hello.o\n\tcc -o $@ $^\nhello.o: hello.c\n\tcc -c -o $@ $<\n")
        r = self.g("make -j2 && ./hello")
        self.assertIn("hello from make", r.stdout)

    def test_git_commit(self):
        r = self.g("git init -q . && git -c user.email=a@b -c user.name=t commit -q --allow-empty -m first "
                   "&& git log --oneline | wc -l")
        self.assertEqual(r.stdout.strip(), "1")

    def test_python_and_node_subprocesses(self):
        r = self.g("python3 -c \"import subprocess; print(subprocess.run(['echo','py-child'],capture_output=True,"
                   "text=True).stdout.strip())\" && node -e \"console.log(require('child_process')"
                   ".execSync('echo node-child').toString().trim())\"")
        self.assertIn("py-child", r.stdout)
        self.assertIn("node-child", r.stdout)

    def test_exit_status_and_output_pass_through(self):
        r = guarded("echo out; echo err >&2; exit 7", cwd=self.dir, state_dir=self.state_dir)
        self.assertEqual((r.status, r.stdout, r.stderr), (7, "out\n", "err\n"))

    def test_environment_is_guarded_inside(self):
        r = self.g('env -i /usr/bin/env | grep -c "^AGENTGUARD_GATE="; echo "$LD_PRELOAD"')
        self.assertEqual(r.stdout.splitlines()[0], "1", r)
        self.assertIn("libagentguard.so", r.stdout)


if __name__ == "__main__":
    unittest.main()
