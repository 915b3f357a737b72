"""Ready for users: the .deb installs into a clean root and guards a real terraform destroy from
there; `agentguard doctor` passes in a guarded shell and fails outside one; `env` and `shell` work."""
import glob
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import (AGENTGUARD, BLOCKED, BUILD_DIR, REFUSED, TERRAFORM, TerraformWorkspace, clean_env, guarded,
                     require_build, run)

TF_ENV = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}


@unittest.skipUnless(TERRAFORM and shutil.which("cpack") and shutil.which("dpkg"), "needs terraform, cpack and dpkg")
class DebianPackage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_build(cls)
        cls.out = tempfile.mkdtemp(prefix="ag-deb-")
        r = run(["cpack", "-G", "DEB", "-B", cls.out, "--config", os.path.join(BUILD_DIR, "CPackConfig.cmake")],
                cwd=BUILD_DIR, timeout=600)
        debs = glob.glob(os.path.join(cls.out, "agentguard_*.deb"))
        if r.status != 0 or not debs:
            raise AssertionError(f"cpack failed: {r}")
        cls.deb = debs[0]
        cls.root = os.path.join(cls.out, "root")
        subprocess.run(["dpkg", "-x", cls.deb, cls.root], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.out, ignore_errors=True)

    def test_layout(self):
        for path in ("usr/bin/agentguard", "usr/lib/agentguard/libagentguard.so", "usr/lib/agentguard/agentguard-gate",
                     "usr/lib/agentguard/agentguard-canary", "usr/share/agentguard/default-policy.toml",
                     "etc/agentguard/policy.toml"):
            self.assertTrue(os.path.exists(os.path.join(self.root, path)), path)

    def test_never_makes_the_preload_global(self):
        listing = subprocess.run(["dpkg", "-c", self.deb], capture_output=True, text=True, check=True).stdout
        self.assertNotIn("ld.so.preload", listing)
        control = tempfile.mkdtemp(prefix="ag-ctl-")
        subprocess.run(["dpkg", "-e", self.deb, control], check=True)
        for name in os.listdir(control):
            with open(os.path.join(control, name), errors="replace") as f:
                self.assertNotIn("ld.so.preload", f.read(), name)
        shutil.rmtree(control)

    def test_depends_on_debian_runtime_packages_that_are_installed(self):
        depends = subprocess.run(["dpkg-deb", "-f", self.deb, "Depends"], capture_output=True, text=True,
                                 check=True).stdout
        names = [d.strip().split(" ")[0] for d in depends.split(",") if d.strip()]
        self.assertIn("libcurl4", names)
        # Installed packages and what they provide (libspdlog1.10 provides libspdlog1.10-fmt9).
        r = run(["dpkg-query", "-W", "-f=${db:Status-Abbrev} ${Package} ${Provides}\n"])
        available = set()
        for line in r.stdout.splitlines():
            if line.startswith("ii"):
                available.update(w.strip(",") for w in line.split()[1:] if not w.startswith("("))
        for name in names:
            self.assertIn(name.split(":")[0], available, f"{name} is not installed")

    def test_guards_a_real_terraform_destroy_from_the_unpacked_root(self):
        ws = TerraformWorkspace()
        state = tempfile.mkdtemp(prefix="ag-deb-state-")
        try:
            cli = os.path.join(self.root, "usr/bin/agentguard")
            r = run([cli, "run", "--default-only", "--state-dir", state, "--", "bash", "-c",
                     'echo "preload=$LD_PRELOAD"; terraform destroy -auto-approve; echo status=$?'],
                    cwd=ws.dir, env=clean_env(**TF_ENV))
            self.assertIn(f"preload={self.root}/usr/lib/agentguard/libagentguard.so", r.stdout, r)
            self.assertIn(f"status={REFUSED}", r.stdout, r)
            self.assertIn(BLOCKED, r.stderr)
            self.assertEqual(ws.ids(), ws.initial_ids)
        finally:
            ws.cleanup()
            shutil.rmtree(state, ignore_errors=True)


class Doctor(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.state = tempfile.mkdtemp(prefix="ag-doc-")

    def tearDown(self):
        shutil.rmtree(self.state, ignore_errors=True)

    def test_passes_inside_a_guarded_tree(self):
        r = guarded(f"{AGENTGUARD} doctor --no-webhook-test", state_dir=self.state)
        self.assertEqual(r.status, 0, r)
        self.assertIn("PASS  live canary refused", r.stdout)
        self.assertIn("PASS  this process tree is guarded", r.stdout)
        self.assertNotIn("FAIL", r.stdout)

    def test_fails_outside_and_the_canary_runs(self):
        r = run([AGENTGUARD, "doctor", "--no-webhook-test"], env=clean_env(AGENTGUARD_STATE_DIR=self.state))
        self.assertEqual(r.status, 1, r)
        self.assertIn("FAIL  this process is not guarded", r.stdout)
        self.assertIn("FAIL  the canary ran", r.stdout)
        self.assertIn("fix: start your agent with `agentguard run", r.stdout)


class EnvAndShell(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.state = tempfile.mkdtemp(prefix="ag-env-")

    def tearDown(self):
        shutil.rmtree(self.state, ignore_errors=True)

    def test_eval_env_guards_what_the_script_starts(self):
        script = (f'eval "$({AGENTGUARD} env --default-only --state-dir {self.state})" && '
                  'bash -c "terraform destroy -auto-approve; echo status=\\$?"')
        r = run(["bash", "-c", script], env=clean_env())
        self.assertIn(f"status={REFUSED}", r.stdout, r)
        self.assertIn(BLOCKED, r.stderr)

    def test_guarded_shell_prompt_and_doctor(self):
        if not shutil.which("script"):
            self.skipTest("util-linux script is not installed")
        home = tempfile.mkdtemp(prefix="ag-home-")
        try:
            cmd = f"{AGENTGUARD} shell --default-only --state-dir {self.state}"
            proc = subprocess.run(["script", "-qec", cmd, "/dev/null"], input=f"{AGENTGUARD} doctor --no-webhook-test\nexit\n",
                                  capture_output=True, text=True, timeout=120,
                                  env=clean_env(HOME=home, SHELL="/bin/bash", TERM="dumb"))
            self.assertIn("(agentguard)", proc.stdout, proc)
            self.assertIn("protected: the guard is in force here", proc.stdout, proc)
        finally:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
