"""Every launch seen: static programs run under the gate's seccomp supervisor.

Real terraform, real static programs (gcc -static, static busybox, a CGO_ENABLED=0 Go wrapper),
terraform's own local-exec with the preload emptied; resource ids checked in the state afterwards.
Also identity by Go build info (modified copies, version-manager symlinks) and pyenv-style shims."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from tf_support import no_stateless_default_policy
from harness import (AGENTGUARD, BLOCKED, GATE, REFUSED, TERRAFORM, RecordingHTTPServer, TerraformWorkspace,
                     audit_records, clean_env, guarded, require_build, run)

HERE = os.path.dirname(os.path.abspath(__file__))
HELPERS = os.path.join(HERE, "supervised")
BUSYBOX = shutil.which("busybox")
TF_ENV = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
_built = {}


def build_static_launcher():
    if "launcher" not in _built:
        out = os.path.join(tempfile.mkdtemp(prefix="ag-launcher-"), "launcher")
        r = run(["gcc", "-static", "-O1", "-o", out, os.path.join(HELPERS, "static_launcher.c")])
        if r.status != 0:
            raise AssertionError(f"gcc -static failed: {r}")
        _built["launcher"] = out
    return _built["launcher"]


def build_go_wrapper():
    if "go" not in _built:
        work = tempfile.mkdtemp(prefix="ag-gowrap-")
        out = os.path.join(work, "tgwrap")
        env = clean_env(CGO_ENABLED="0", GOCACHE=os.path.join(work, "cache"), GOPATH=os.path.join(work, "gopath"),
                        GO111MODULE="off", GOFLAGS="")
        r = run(["go", "build", "-o", out, os.path.join(HELPERS, "go_wrapper.go")], env=env, timeout=600)
        if r.status != 0:
            raise AssertionError(f"go build failed: {r}")
        _built["go"] = out
    return _built["go"]


def file_is_static(path):
    r = run(["file", "-L", path])
    return "statically linked" in r.stdout or "static-pie" in r.stdout


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class StaticLaunchers(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.ws = TerraformWorkspace()
        self.state_dir = tempfile.mkdtemp(prefix="ag-state-")

    def tearDown(self):
        self.ws.cleanup()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def guarded(self, script, **env):
        return guarded(script, cwd=self.ws.dir, state_dir=self.state_dir, extra_env=dict(TF_ENV, **env), timeout=300)

    def assert_refused_and_intact(self, r):
        self.assertIn(BLOCKED, r.stderr, r)
        self.assertNotEqual(r.status, 0, r)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids, "the state must still hold every resource")
        denies = [e for e in audit_records(self.state_dir) if e["decision"] == "deny"]
        self.assertTrue(any("destroy" in e["argv"] for e in denies), denies)

    def test_gcc_static_launcher_running_terraform_destroy_is_refused(self):
        launcher = build_static_launcher()
        self.assertTrue(file_is_static(launcher))
        r = self.guarded(f"{launcher} {TERRAFORM} destroy -auto-approve -input=false")
        self.assert_refused_and_intact(r)
        self.assertEqual(r.status, 127, "the launcher's child could not exec terraform")
        self.assertIn("Permission denied", r.stderr, "the launcher's execv failed with EACCES")

    @unittest.skipUnless(BUSYBOX, "busybox is not installed")
    def test_static_busybox_sh_running_terraform_destroy_is_refused(self):
        self.assertTrue(file_is_static(BUSYBOX))
        r = self.guarded(f"{BUSYBOX} sh -c 'terraform destroy -auto-approve -input=false'")
        self.assert_refused_and_intact(r)

    @unittest.skipUnless(BUSYBOX, "busybox is not installed")
    def test_a_scrubbed_environment_below_a_static_program_is_still_seen(self):
        # busybox env -i: no LD_PRELOAD, no guard variables, then bash (dynamic, unhooked) runs terraform.
        r = self.guarded(f"{BUSYBOX} env -i PATH=/usr/local/bin:/usr/bin:/bin bash -c "
                         f"'terraform destroy -auto-approve -input=false'")
        self.assert_refused_and_intact(r)

    def test_static_launcher_running_plan_and_ls_is_allowed(self):
        launcher = build_static_launcher()
        r = self.guarded(f"{launcher} {TERRAFORM} plan -input=false -no-color --next /bin/ls {self.ws.dir}; echo status=$?")
        self.assertIn("status=0", r.stdout, r)
        self.assertIn("No changes", r.stdout, r)
        self.assertIn("main.tf", r.stdout, r)
        self.assertNotIn(BLOCKED, r.stderr, r)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def test_a_static_program_below_a_supervised_static_program_runs_under_the_same_supervisor(self):
        # launcher (static, supervised) -> bash (with the preload) -> terraform (static): the gate
        # bash hands terraform to is already inside the supervised tree. The kernel allows one
        # listener per filter chain, so that gate must not start a second supervisor (EBUSY).
        launcher = build_static_launcher()
        r = self.guarded(f"{launcher} /bin/bash -c 'terraform plan -input=false -no-color; "
                         f"terraform destroy -auto-approve -input=false'")
        self.assertIn("No changes", r.stdout, r)
        self.assertNotIn("seccomp", r.stderr, r)
        self.assert_refused_and_intact(r)

    @unittest.skipUnless(BUSYBOX, "busybox is not installed")
    def test_local_exec_with_emptied_preload_or_static_interpreter_cannot_destroy_another_workspace(self):
        other = TerraformWorkspace()
        try:
            for variant, extra in (("emptied preload", 'environment = { LD_PRELOAD = "" }'),
                                   ("static interpreter", f'interpreter = ["{BUSYBOX}", "sh", "-c"]')):
                with self.subTest(variant):
                    cfg_dir = tempfile.mkdtemp(prefix="ag-tf-localexec-")
                    with open(os.path.join(cfg_dir, "main.tf"), "w") as f:
                        f.write(f"""
resource "terraform_data" "innocent" {{
  input = "create only"
  provisioner "local-exec" {{
    command = "terraform -chdir={other.dir} destroy -auto-approve -input=false"
    {extra}
  }}
}}
""")
                    r = guarded("terraform init -input=false -no-color >/dev/null && "
                                "terraform apply -auto-approve -input=false -no-color",
                                cwd=cfg_dir, state_dir=self.state_dir, extra_env=TF_ENV, timeout=300)
                    out = r.stdout + r.stderr
                    self.assertEqual(other.ids(), other.initial_ids, f"{variant}: the other workspace was destroyed: {r}")
                    self.assertIn(BLOCKED, out, r)
                    self.assertNotEqual(r.status, 0, r)
                    shutil.rmtree(cfg_dir, ignore_errors=True)
        finally:
            other.cleanup()


def find_key(obj, key):
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        obj = list(obj.values())
    if isinstance(obj, list):
        for v in obj:
            found = find_key(v, key)
            if found is not None:
                return found
    return None


@unittest.skipUnless(TERRAFORM and shutil.which("go"), "terraform or go is not installed")
class GoWrapperApply(unittest.TestCase):
    """`<static wrapper> apply` on a deleting config is held exactly like `terraform apply`."""

    def setUp(self):
        require_build(self)
        self.wrapper = build_go_wrapper()
        self.ws = TerraformWorkspace()
        self.state_dir = tempfile.mkdtemp(prefix="ag-state-")
        self.webhook = RecordingHTTPServer(body=b"ok", content_type="text/plain")
        path = os.path.join(self.ws.dir, "main.tf")
        with open(path) as f:
            lines = [l for l in f if '"website"' not in l]
        with open(path, "w") as f:
            f.writelines(lines)

    def tearDown(self):
        self.webhook.stop()
        self.ws.cleanup()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def wait_for_approval_request(self, proc, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for req in self.webhook.requests:
                try:
                    approval = find_key(json.loads(req["body"]), "approval")
                except ValueError:
                    continue
                if approval and approval.get("code"):
                    return approval
            if proc.poll() is not None:
                self.fail(f"the wrapper ended without being held: {proc.communicate()}")
            time.sleep(0.1)
        self.fail(f"no approval request reached the webhook; got {self.webhook.requests}")

    def test_go_wrapper_apply_is_held_then_approved_end_to_end(self):
        self.assertTrue(file_is_static(self.wrapper))
        policy = no_stateless_default_policy(self.state_dir)  # terraform_data stands in for a database
        argv = [AGENTGUARD, "run", "--policy", policy, "--state-dir", self.state_dir, "--", "bash", "-c",
                f"{self.wrapper} apply -auto-approve -input=false -no-color"]
        proc = subprocess.Popen(argv, cwd=self.ws.dir, env=clean_env(**TF_ENV, AGENTGUARD_WEBHOOK_URL=self.webhook.url),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            approval = self.wait_for_approval_request(proc)
            self.assertEqual(self.ws.ids(), self.ws.initial_ids, "held: nothing happened yet")
            r = run([AGENTGUARD, "approve", approval["id"], approval["code"]], env=clean_env(AGENTGUARD_STATE_DIR=self.state_dir))
            self.assertEqual(r.status, 0, r)
            out, err = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertEqual(proc.returncode, 0, (out, err))
        ids = self.ws.ids()
        self.assertNotIn("terraform_data.website", ids)
        for name in ("terraform_data.database", "terraform_data.snapshots"):
            self.assertEqual(ids[name], self.ws.initial_ids[name])
        self.assertEqual(out.count("Apply complete!"), 1, out)
        decisions = [e["decision"] for e in audit_records(self.state_dir)]
        self.assertEqual(decisions.count("ask"), 1, decisions)
        self.assertEqual(decisions.count("approved"), 1, decisions)


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class IdentityByBuildInfo(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.ws = TerraformWorkspace()
        self.state_dir = tempfile.mkdtemp(prefix="ag-state-")
        self.home = tempfile.mkdtemp(prefix="ag-home-")

    def tearDown(self):
        self.ws.cleanup()
        shutil.rmtree(self.state_dir, ignore_errors=True)
        shutil.rmtree(self.home, ignore_errors=True)

    def test_one_byte_modified_copy_outside_path_is_terraform(self):
        copy = os.path.join(self.home, "cleanup-helper")
        shutil.copy(TERRAFORM, copy)
        with open(copy, "ab") as f:
            f.write(b"\0")
        r = guarded(f"{copy} destroy -auto-approve -input=false", cwd=self.ws.dir, state_dir=self.state_dir,
                    extra_env=TF_ENV, timeout=300)
        self.assertIn(BLOCKED, r.stderr, r)
        self.assertEqual(r.status, REFUSED, r)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def test_tfswitch_layout_symlink_to_a_versioned_build_is_terraform(self):
        versions = os.path.join(self.home, ".terraform.versions")
        os.makedirs(versions)
        build = os.path.join(versions, "terraform_1.6.0")
        shutil.copy(TERRAFORM, build)
        with open(build, "ab") as f:
            f.write(b"another build")  # not the binary on PATH at session start
        bindir = os.path.join(self.home, "bin")
        os.makedirs(bindir)
        os.symlink(build, os.path.join(bindir, "terraform"))
        r = guarded(f"export PATH={bindir}:/usr/bin:/bin; command -v terraform; terraform destroy -auto-approve -input=false",
                    cwd=self.ws.dir, state_dir=self.state_dir, extra_env=dict(TF_ENV, HOME=self.home), timeout=300)
        self.assertIn(bindir, r.stdout, r)
        self.assertIn(BLOCKED, r.stderr, r)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def test_pyenv_style_identical_shims_are_not_aws(self):
        # pyenv puts one identical script per command first on PATH. aws is watched; python3 is not.
        shims = os.path.join(self.home, "shims")
        os.makedirs(shims)
        shim = '#!/usr/bin/env bash\nset -e\nprogram="${0##*/}"\nexec /usr/bin/"$program" "$@"\n'
        for name in ("aws", "python3", "pip"):
            with open(os.path.join(shims, name), "w") as f:
                f.write(shim)
            os.chmod(os.path.join(shims, name), 0o755)
        with open(os.path.join(self.home, "tool.py"), "w") as f:
            f.write("import sys\nprint('tool ran', *sys.argv[1:])\n")
        r = guarded(f"python3 {self.home}/tool.py delete-cache", cwd=self.home, state_dir=self.state_dir,
                    extra_env={"PATH": f"{shims}:/usr/local/bin:/usr/bin:/bin"})
        self.assertEqual(r.status, 0, r)
        self.assertIn("tool ran delete-cache", r.stdout, r)
        self.assertNotIn(BLOCKED, r.stderr, r)


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class KernelRefusal(unittest.TestCase):
    """Where seccomp user notification is refused, nothing needing it runs unsupervised."""

    def setUp(self):
        require_build(self)
        self.state_dir = tempfile.mkdtemp(prefix="ag-state-")

    def tearDown(self):
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def denied(self, argv, **env):
        return run([sys.executable, os.path.join(HELPERS, "deny_seccomp.py"), *argv], env=clean_env(**env), timeout=300)

    def test_probe_says_unavailable(self):
        self.assertEqual(run([GATE, "--probe-supervisor"]).status, 0, "the probe works on this machine")
        r = self.denied([GATE, "--probe-supervisor"])
        self.assertEqual(r.status, 1, r)
        self.assertIn("unavailable", r.stdout, r)

    def test_static_program_and_terraform_are_refused_with_the_reason(self):
        launcher = build_static_launcher()
        marker = os.path.join(self.state_dir, "ran")
        for script in (f"{launcher} /usr/bin/touch {marker}", "terraform version"):
            with self.subTest(script):
                r = self.denied([AGENTGUARD, "run", "--default-only", "--state-dir", self.state_dir, "--",
                                 "bash", "-c", script])
                self.assertIn(BLOCKED, r.stderr, r)
                self.assertIn("seccomp", r.stderr, r)
                self.assertEqual(r.status, REFUSED, r)
                self.assertNotIn("Terraform v", r.stdout, r)
        self.assertFalse(os.path.exists(marker), "the static program ran unsupervised")

    def test_doctor_reports_it_with_the_fix(self):
        r = self.denied([AGENTGUARD, "doctor"], AGENTGUARD_STATE_DIR=self.state_dir)
        self.assertIn("seccomp user notification", r.stdout + r.stderr, r)
        self.assertIn("unavailable", r.stdout + r.stderr, r)


if __name__ == "__main__":
    unittest.main()
