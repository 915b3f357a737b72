"""Setuid and user-switching launchers are decided from their argv, as each tool parses it.

sg and newgrp are setuid root: for a non-root caller the loader runs them in secure mode and drops
LD_PRELOAD, so the shell they start is not hooked. The tests create a non-root user and a group it
belongs to, check that the real effect is there (sg switches the group, and LD_PRELOAD is gone in
its shell), and then run `terraform destroy` through them on a real applied workspace: refused,
the state still holds every resource id. runuser, setpriv and chroot need root; they run as root.
Unknown setuid, setgid and file-capability programs follow [launch] unknown_setuid."""
import grp
import os
import pwd
import shutil
import stat
import struct
import subprocess
import tempfile
import unittest
import uuid

from harness import (AGENTGUARD, BLOCKED, BUILD_DIR, REFUSED, TERRAFORM, TerraformWorkspace, audit_records, clean_env,
                     require_build, run)

TF_ENV = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
DESTROY = "terraform destroy -auto-approve -input=false -no-color"
IS_ROOT = os.geteuid() == 0


def reachable_for_others(path):
    """The test user runs agentguard from this build tree: every directory above it must let others
    through (a clean checkout made by `mktemp -d` is 0700). Returns the (dir, mode) pairs changed."""
    changed = []
    path = os.path.realpath(path)
    while True:
        mode = os.stat(path).st_mode
        if not mode & stat.S_IXOTH:
            os.chmod(path, mode | stat.S_IXOTH)
            changed.append((path, mode))
        parent = os.path.dirname(path)
        if parent == path:
            return changed
        path = parent


def restore_modes(changed):
    for path, mode in changed:
        os.chmod(path, stat.S_IMODE(mode))


class TestAccount:
    """A throw-away user and a group it is a member of (root only)."""

    def __init__(self):
        suffix = uuid.uuid4().hex[:6]
        self.user = f"agt{suffix}"
        self.group = f"agg{suffix}"
        subprocess.run(["groupadd", self.group], check=True)
        subprocess.run(["useradd", "-M", "-s", "/bin/bash", "-G", self.group, self.user], check=True)
        self.uid = pwd.getpwnam(self.user).pw_uid
        self.gid = pwd.getpwnam(self.user).pw_gid

    def remove(self):
        subprocess.run(["userdel", self.user], check=False, capture_output=True)
        subprocess.run(["groupdel", self.group], check=False, capture_output=True)

    def argv(self, argv):
        """argv run as this user, with its own groups (not root's)."""
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups", "--", *argv]


class WithTestAccount:
    """A mixin for test classes: a test user for their tests, and the build tree readable by it."""

    @classmethod
    def setUpClass(cls):
        cls.account = TestAccount()
        cls.opened = reachable_for_others(BUILD_DIR)

    @classmethod
    def tearDownClass(cls):
        cls.account.remove()
        restore_modes(cls.opened)


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
@unittest.skipUnless(IS_ROOT, "creating a test user needs root")
class SetuidGroupLaunchers(WithTestAccount, unittest.TestCase):
    """sg and newgrp, run by a non-root user (the case where the loader drops LD_PRELOAD)."""

    def setUp(self):
        require_build(self)
        self.ws = TerraformWorkspace()
        self.state_dir = tempfile.mkdtemp(prefix="ag-state-")
        for path in (self.ws.dir, self.state_dir):
            for root, dirs, files in os.walk(path):
                for name in [root] + [os.path.join(root, n) for n in dirs + files]:
                    os.chown(name, self.account.uid, self.account.gid)

    def tearDown(self):
        self.ws.cleanup()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def as_user(self, script, stdin=None):
        argv = self.account.argv([AGENTGUARD, "run", "--default-only", "--state-dir", self.state_dir, "--",
                                  "bash", "-c", script])
        env = clean_env(**TF_ENV, HOME=self.ws.dir, USER=self.account.user)
        return run(argv, cwd=self.ws.dir, env=env, timeout=300, input=stdin)

    def test_sg_really_switches_group_and_drops_the_preload_for_this_user(self):
        # What makes argv the only place to decide: sg runs, switches the group, and its shell has no LD_PRELOAD.
        r = self.as_user(f"echo outer=${{LD_PRELOAD:+set}}; sg {self.account.group} -c "
                         "'echo group=$(id -gn); echo inner=${LD_PRELOAD:-gone}'")
        self.assertEqual(r.status, 0, r)
        self.assertIn("outer=set", r.stdout, r)
        self.assertIn(f"group={self.account.group}", r.stdout, r)
        self.assertIn("inner=gone", r.stdout, "the loader kept LD_PRELOAD for a setuid program run by a non-root user")

    def test_sg_running_terraform_destroy_is_refused(self):
        for form in (f"sg {self.account.group} -c '{DESTROY}'",
                     f"sg - {self.account.group} 'cd {self.ws.dir} && {DESTROY}'",
                     f"exec -a sg /usr/bin/newgrp {self.account.group} -c '{DESTROY}'"):
            with self.subTest(form):
                r = self.as_user(form)
                self.assertEqual(self.ws.ids(), self.ws.initial_ids, f"the state must still hold every resource: {r}")
                self.assertIn(BLOCKED, r.stderr, r)
                self.assertEqual(r.status, REFUSED, r)
        denies = [e for e in audit_records(self.state_dir) if e["decision"] == "deny"]
        self.assertEqual(len(denies), 3, denies)

    def test_sg_with_a_harmless_command_runs(self):
        r = self.as_user(f"sg {self.account.group} -c 'terraform plan -input=false -no-color' | grep -c 'No changes'")
        self.assertEqual(r.status, 0, r)
        self.assertNotIn(BLOCKED, r.stderr, r)

    def test_in_a_strict_session_sg_gains_no_privileges(self):
        # Under the supervisor's no_new_privs the setuid bit is ignored: sg cannot switch the group.
        argv = self.account.argv([AGENTGUARD, "run", "--default-only", "--strict", "--state-dir", self.state_dir, "--",
                                  "bash", "-c", f"sg {self.account.group} -c 'echo group=$(id -gn)'; echo status=$?"])
        r = run(argv, cwd=self.ws.dir, env=clean_env(**TF_ENV, HOME=self.ws.dir), timeout=300)
        self.assertNotIn(f"group={self.account.group}", r.stdout, r)
        self.assertNotIn("status=0", r.stdout, r)
        self.assertNotIn(BLOCKED, r.stderr, "sg's argv was allowed; the kernel refused the privilege")

    def test_newgrp_reading_commands_from_stdin_is_refused(self):
        r = self.as_user(f"echo '{DESTROY}' | newgrp {self.account.group}")
        self.assertEqual(self.ws.ids(), self.ws.initial_ids, f"the state must still hold every resource: {r}")
        self.assertIn(BLOCKED, r.stderr, r)
        self.assertEqual(r.status, REFUSED, r)
        self.assertTrue(any(e.get("rule_id") == "root-shell" for e in audit_records(self.state_dir)))


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
@unittest.skipUnless(IS_ROOT, "runuser, setpriv --reuid and chroot need root")
class RootLaunchers(WithTestAccount, unittest.TestCase):
    """runuser, setpriv and chroot (not setuid: root runs them), decided from argv all the same."""

    def setUp(self):
        require_build(self)
        self.ws = TerraformWorkspace()
        self.state_dir = tempfile.mkdtemp(prefix="ag-state-")

    def tearDown(self):
        self.ws.cleanup()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def guarded(self, script, policy=None):
        argv = [AGENTGUARD, "run", "--state-dir", self.state_dir]
        argv += ["--policy", policy] if policy else ["--default-only"]
        return run(argv + ["--", "bash", "-c", script], cwd=self.ws.dir, env=clean_env(**TF_ENV), timeout=300)

    def assert_refused(self, script, rule=None):
        r = self.guarded(script)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids, f"{script}: the state must still hold every resource: {r}")
        self.assertIn(BLOCKED, r.stderr, f"{script}: {r}")
        self.assertEqual(r.status, REFUSED, f"{script}: {r}")
        if rule:
            self.assertEqual(audit_records(self.state_dir)[-1].get("rule_id"), rule, script)

    def test_destroy_through_runuser_setpriv_and_chroot_is_refused(self):
        u, tf = self.account.user, os.path.realpath(TERRAFORM)
        for script in (f"runuser -u {u} -- {DESTROY}",
                       f"runuser {u} -s /bin/bash -c '{DESTROY}'",
                       f"setpriv --reuid={self.account.uid} --regid={self.account.gid} --init-groups {DESTROY}",
                       f"setpriv --reu {self.account.uid} --nnp {DESTROY}",
                       f"chroot / {tf} -chdir={self.ws.dir} destroy -auto-approve -input=false"):
            with self.subTest(script):
                self.assert_refused(script)

    def test_harmless_commands_run_as_the_tools_run_them(self):
        u = self.account.user
        r = self.guarded(f"runuser -u {u} -- id -un; setpriv --reuid={self.account.uid} id -u; chroot / pwd")
        self.assertEqual(r.status, 0, r)
        self.assertEqual(r.stdout.split(), [u, str(self.account.uid), "/"], r)
        self.assertNotIn(BLOCKED, r.stderr, r)

    def test_forms_the_gate_cannot_read_with_certainty_are_refused(self):
        for script in ("setpriv --frobnicate terraform plan", "setpriv --re 0 terraform plan",
                       "runuser --bogus -u root -- terraform plan"):
            with self.subTest(script):
                self.assert_refused(script, "agentguard.unresolvable")

    def test_chroot_into_another_root_is_refused(self):
        jail = tempfile.mkdtemp(prefix="ag-jail-")
        try:
            self.assert_refused(f"chroot {jail} /bin/true", "chroot-elsewhere")
        finally:
            shutil.rmtree(jail, ignore_errors=True)


@unittest.skipUnless(IS_ROOT, "making setuid and file-capability copies needs root")
class UnknownSetuidPrograms(unittest.TestCase):
    """[launch] unknown_setuid: log (the default), deny or allow."""

    def setUp(self):
        require_build(self)
        self.state_dir = tempfile.mkdtemp(prefix="ag-state-")
        self.dir = tempfile.mkdtemp(prefix="ag-suid-")
        os.chmod(self.dir, 0o755)
        self.setuid = os.path.join(self.dir, "whoami-suid")
        shutil.copy("/usr/bin/whoami", self.setuid)
        os.chmod(self.setuid, 0o4755)
        self.caps = os.path.join(self.dir, "whoami-caps")
        shutil.copy("/usr/bin/whoami", self.caps)
        # VFS_CAP_REVISION_2 with the effective flag, permitted = CAP_NET_RAW.
        os.setxattr(self.caps, "security.capability", struct.pack("<IIIII", 0x02000001, 1 << 13, 0, 0, 0))

    def tearDown(self):
        shutil.rmtree(self.state_dir, ignore_errors=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def guarded(self, script, policy_text=None):
        argv = [AGENTGUARD, "run", "--state-dir", self.state_dir]
        if policy_text:
            policy = os.path.join(self.dir, "policy.toml")
            with open(policy, "w") as f:
                f.write("schema = 1\n" + policy_text)
            argv += ["--policy", policy]
        else:
            argv.append("--default-only")
        return run(argv + ["--", "bash", "-c", script], env=clean_env(), timeout=120)

    def records(self):
        return [e for e in audit_records(self.state_dir) if e.get("rule_id") == "agentguard.unknown-setuid"]

    def test_default_is_log(self):
        r = self.guarded(f"{self.setuid}; {self.caps}; /usr/bin/whoami")
        self.assertEqual(r.status, 0, r)
        self.assertEqual(r.stdout.split(), ["root", "root", "root"], r)
        logged = self.records()
        self.assertEqual([e["decision"] for e in logged], ["log", "log"], logged)
        self.assertEqual([e["argv"][0] for e in logged], [self.setuid, self.caps], logged)

    def test_deny_refuses_and_allow_runs_unrecorded(self):
        r = self.guarded(f"{self.setuid}; {self.caps}; /usr/bin/whoami", '[launch]\nunknown_setuid = "deny"\n')
        self.assertEqual(r.stdout.split(), ["root"], r)
        self.assertEqual(r.stderr.count(BLOCKED), 2, r)
        self.assertEqual([e["decision"] for e in self.records()], ["deny", "deny"])
        r = self.guarded(f"{self.setuid}", '[launch]\nunknown_setuid = "allow"\n')
        self.assertEqual(r.stdout.split(), ["root"], r)
        self.assertEqual(len(self.records()), 2, "allow records nothing more")

    def test_a_bad_setting_is_a_policy_error_with_its_place(self):
        r = self.guarded("true", '[launch]\nunknown_setuid = "maybe"\n')
        self.assertNotEqual(r.status, 0, r)
        self.assertIn("policy.toml:3:", r.stderr, r)
        self.assertIn("unknown_setuid", r.stderr, r)


if __name__ == "__main__":
    unittest.main()
