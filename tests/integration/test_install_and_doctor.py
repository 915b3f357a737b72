"""Ready for users: the .deb installs into a clean root and guards a real terraform destroy from
there; `agentguard doctor` passes in a guarded shell and fails outside one; `env` and `shell` work."""
import glob
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import (AGENTGUARD, BLOCKED, BUILD_DIR, REFUSED, SOURCE_DIR, TERRAFORM, TerraformWorkspace, clean_env, guarded,
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
                     "usr/lib/agentguard/agentguard-canary", "usr/lib/agentguard/agentguard-ui",
                     "usr/share/agentguard/default-policy.toml",
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


    # --- Installed by dpkg itself, into a root of its own (dpkg --root: the machine's own packages
    # are not touched): install, upgrade with an edited /etc policy, purge.
    # The maintainer scripts (CPack's ldconfig) run unchrooted: the scratch root has no /bin/sh.
    def dpkg(self, root, *args):
        return run(["dpkg", f"--root={root}", "--force-depends", "--force-script-chrootless", *args], timeout=300)

    def repacked_with_version(self, version):
        tree = os.path.join(self.out, f"tree-{version}")
        subprocess.run(["dpkg-deb", "-R", self.deb, tree], check=True)
        control = os.path.join(tree, "DEBIAN", "control")
        with open(control) as f:
            lines = [f"Version: {version}\n" if line.startswith("Version:") else line for line in f]
        with open(control, "w") as f:
            f.writelines(lines)
        deb = os.path.join(self.out, f"agentguard-{version}.deb")
        subprocess.run(["dpkg-deb", "--root-owner-group", "-b", tree, deb], check=True, capture_output=True)
        return deb

    @unittest.skipUnless(os.geteuid() == 0, "dpkg installs (even into its own root) need root; CI runs as root")
    def test_installs_upgrades_keeping_the_edited_policy_and_purges(self):
        root = tempfile.mkdtemp(prefix="ag-dpkg-root-")
        try:
            admin = os.path.join(root, "var", "lib", "dpkg")
            for d in ("info", "updates", "triggers"):
                os.makedirs(os.path.join(admin, d))
            for f in ("status", "available"):
                open(os.path.join(admin, f), "w").close()
            r = self.dpkg(root, "-i", self.deb)
            self.assertEqual(r.status, 0, r)
            # The postinst makes the service's user on a real install, never on this machine for another root.
            self.assertIn("the 'agentguard' system user was not made there", r.stderr + r.stdout, r)
            status = self.dpkg(root, "-s", "agentguard")
            self.assertIn("Conffiles:\n /etc/agentguard/policy.toml", status.stdout, status)
            maintainer = [l for l in status.stdout.splitlines() if l.startswith("Maintainer:")]
            self.assertEqual(len(maintainer), 1, status)
            self.assertRegex(maintainer[0], r"^Maintainer: [^<>]+ <[^@<>\s]+@[^@<>\s]+>$")
            policy = os.path.join(root, "etc", "agentguard", "policy.toml")
            with open(policy, "a") as f:
                f.write('\n# edited by the admin\n[[exec]]\nid = "kubectl-delete"\naction = "deny"\n'
                        'program = ["kubectl"]\ncommand = ["delete"]\nmessage = "no"\n')
            with open(policy) as f:
                edited = f.read()
            r = self.dpkg(root, "-i", self.repacked_with_version("99.0.0"))
            self.assertEqual(r.status, 0, r)
            self.assertIn("Version: 99.0.0", self.dpkg(root, "-s", "agentguard").stdout)
            with open(policy) as f:
                self.assertEqual(f.read(), edited, "the upgrade overwrote the admin's policy")
            # The installed CLI reads that policy: the edit is a layer in force.
            cli = os.path.join(root, "usr", "bin", "agentguard")
            self.assertTrue(os.access(cli, os.X_OK))
            r = self.dpkg(root, "--purge", "agentguard")
            self.assertEqual(r.status, 0, r)
            self.assertFalse(os.path.exists(policy), "purge leaves the conffile")
            self.assertFalse(os.path.exists(cli))
            self.assertNotIn("agentguard", self.dpkg(root, "-l").stdout)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def test_ships_the_separated_mode_service_off_until_enabled(self):
        unit = os.path.join(self.root, "usr", "lib", "systemd", "system", "agentguard.service")
        with open(unit) as f:
            text = f.read()
        self.assertIn("User=agentguard\n", text)
        self.assertIn("RuntimeDirectory=agentguard\n", text)  # the socket's directory, /run/agentguard
        exec_start = [l for l in text.splitlines() if l.startswith("ExecStart=")][0]
        service = exec_start.split("=", 1)[1].split()[0]
        self.assertEqual(service, "/usr/lib/agentguard/agentguard-service")
        self.assertTrue(os.access(os.path.join(self.root, service.lstrip("/")), os.X_OK))
        control = tempfile.mkdtemp(prefix="ag-deb-control-")
        try:
            subprocess.run(["dpkg", "-e", self.deb, control], check=True)
            with open(os.path.join(control, "postinst")) as f:
                postinst = f.read()
        finally:
            shutil.rmtree(control, ignore_errors=True)
        self.assertIn("useradd --system", postinst)
        self.assertNotIn("systemctl enable", postinst)
        self.assertNotIn("systemctl start", postinst)
        # The service refuses to run as root: it exists to keep the records from every other user.
        r = run([os.path.join(self.root, service.lstrip("/")), "--state-dir", tempfile.gettempdir()])
        if os.geteuid() == 0:
            self.assertEqual(r.status, 2, r)
            self.assertIn("refusing to run as root", r.stderr)

    def test_every_doc_the_man_page_and_the_completions_are_installed(self):
        docs = os.path.join(self.root, "usr", "share", "doc", "agentguard")
        for name in ["README.md"] + [n for n in os.listdir(os.path.join(SOURCE_DIR, "docs"))]:
            self.assertTrue(os.path.exists(os.path.join(docs, name)), name)
        man = os.path.join(self.root, "usr", "share", "man", "man1", "agentguard.1.gz")
        page = subprocess.run(["zcat", man], capture_output=True, text=True, check=True).stdout
        self.assertIn(".TH AGENTGUARD", page)
        self.assertIn("policy", page)  # the commands, from the CLI's own --help
        self.assertIn("AGENTGUARD_POLICY", page)
        if shutil.which("man"):
            r = run(["man", "-l", man], env=clean_env(MANPAGER="cat", PAGER="cat", MANWIDTH="100"))
            self.assertEqual(r.status, 0, r)
        for path in ("usr/share/bash-completion/completions/agentguard", "usr/share/zsh/vendor-completions/_agentguard",
                     "usr/share/fish/vendor_completions.d/agentguard.fish"):
            self.assertTrue(os.path.getsize(os.path.join(self.root, path)) > 0, path)


class Completions(unittest.TestCase):
    """The generated completion scripts load in each shell and complete commands and options."""

    def setUp(self):
        require_build(self)
        self.dir = tempfile.mkdtemp(prefix="ag-compl-")
        for shell, name in (("bash", "agentguard"), ("zsh", "_agentguard"), ("fish", "agentguard.fish")):
            r = run([AGENTGUARD, "completions", shell])
            self.assertEqual(r.status, 0, r)
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(r.stdout)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def bash_complete(self, *words):
        script = (f"source {self.dir}/agentguard; COMP_WORDS=({' '.join(words)}); COMP_CWORD={len(words) - 1}; "
                  '_agentguard; printf "%s\\n" "${COMPREPLY[@]}"')
        r = run(["bash", "--norc", "-c", script])
        self.assertEqual(r.status, 0, r)
        return r.stdout.split()

    def test_bash(self):
        self.assertEqual(self.bash_complete("agentguard", "pol"), ["policy"])
        self.assertEqual(self.bash_complete("agentguard", "policy", "ex"), ["explain"])
        self.assertIn("--no-plan", self.bash_complete("agentguard", "policy", "explain", "--"))
        self.assertEqual(self.bash_complete("agentguard", "run", "--", "ter"), [])  # another program's words

    @unittest.skipUnless(shutil.which("zsh"), "zsh is not installed")
    def test_zsh(self):
        r = run(["zsh", "-f", "-c", f"fpath=({self.dir} $fpath); autoload -Uz compinit; compinit -u -D; "
                 "print -r -- ${_comps[agentguard]}; autoload -Uz _agentguard; whence -w _agentguard"])
        self.assertEqual(r.status, 0, r)
        self.assertIn("_agentguard", r.stdout)
        r = run(["zsh", "-n", os.path.join(self.dir, "_agentguard")])
        self.assertEqual(r.status, 0, r)

    @unittest.skipUnless(shutil.which("fish"), "fish is not installed")
    def test_fish(self):
        r = run(["fish", "--no-config", "-c", f"source {self.dir}/agentguard.fish; complete -C 'agentguard pol'; "
                 "complete -C 'agentguard policy explain --no'"])
        self.assertEqual(r.status, 0, r)
        self.assertIn("policy\t", r.stdout)
        self.assertIn("--no-plan", r.stdout)


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
