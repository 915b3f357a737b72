"""Strict mode: `agentguard run --strict` puts the whole session under the seccomp supervisor.

Each payload is a real `terraform destroy` on a real applied workspace, launched in a way the
preload cannot see: a raw `syscall(59)` from Python ctypes and from Perl, libc's own `execve`
reached through `dlopen("libc.so.6")` + `dlsym`, and a shell started with LD_PRELOAD removed.
Under --strict each is refused and the state still holds every resource id; the same payload
without --strict destroys the workspace (so the payloads are real, and the gap is what
docs/threat-model.md says it is)."""
import os
import shutil
import sys
import tempfile
import unittest

from harness import (AGENTGUARD, BLOCKED, GATE, REFUSED, TERRAFORM, TerraformWorkspace, audit_records, clean_env,
                     require_build, run)

HERE = os.path.dirname(os.path.abspath(__file__))
TF_ENV = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
DESTROY = ["destroy", "-auto-approve", "-input=false", "-no-color"]

# Python: the raw system call through libc's syscall(), as an agent's one-liner would write it.
PY_SYSCALL = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
def strings(items):
    arr = (ctypes.c_char_p * (len(items) + 1))(*[s.encode() for s in items], None)
    return arr
argv = strings(sys.argv[1:])
envp = strings([k + "=" + v for k, v in os.environ.items()])
libc.syscall.argtypes = [ctypes.c_long, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p]
libc.syscall(59, sys.argv[1].encode(), argv, envp)
print("execve failed: errno", ctypes.get_errno(), file=sys.stderr)
sys.exit(3)
"""

# Python: libc's execve from a handle of its own (dlopen + dlsym): the preload's execve is not in that scope.
PY_DLSYM = r"""
import ctypes, os, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
argv = (ctypes.c_char_p * len(sys.argv))(*[s.encode() for s in sys.argv[1:]], None)
envp_items = [k + "=" + v for k, v in os.environ.items()]
envp = (ctypes.c_char_p * (len(envp_items) + 1))(*[s.encode() for s in envp_items], None)
libc.execve(sys.argv[1].encode(), argv, envp)
print("execve failed: errno", ctypes.get_errno(), file=sys.stderr)
sys.exit(3)
"""

# Python: a shell started with an environment without LD_PRELOAD (and without the guard's variables),
# through libc's own execve; that bash has no preload, and it runs terraform itself.
PY_NO_PRELOAD = r"""
import ctypes, os, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
argv = (ctypes.c_char_p * 4)(b"bash", b"-c", sys.argv[1].encode(), None)
envp = (ctypes.c_char_p * 3)(b"PATH=" + os.environ["PATH"].encode(), b"TF_IN_AUTOMATION=1", None)
libc.execve(b"/bin/bash", argv, envp)
sys.exit(3)
"""

# Perl's syscall(): pointers packed by hand.
PERL_SYSCALL = r"""
my @a = @ARGV;
my $argv = pack("p" x @a, @a) . pack("Q", 0);
my @e = map { "$_=$ENV{$_}" } keys %ENV;
my $envp = pack("p" x @e, @e) . pack("Q", 0);
syscall(59, $a[0], $argv, $envp);
print STDERR "execve failed: errno ", $! + 0, "\n";
exit 3;
"""


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    return path


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class StrictMode(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.ws = TerraformWorkspace()
        self.state_dir = tempfile.mkdtemp(prefix="ag-state-")
        self.scripts = tempfile.mkdtemp(prefix="ag-strict-")

    def tearDown(self):
        self.ws.cleanup()
        shutil.rmtree(self.state_dir, ignore_errors=True)
        shutil.rmtree(self.scripts, ignore_errors=True)

    def session(self, argv, strict=True, policy=None, timeout=300):
        cmd = [AGENTGUARD, "run", "--state-dir", self.state_dir]
        cmd += ["--policy", policy] if policy else ["--default-only"]
        if strict:
            cmd.append("--strict")
        return run(cmd + ["--", *argv], cwd=self.ws.dir, env=clean_env(**TF_ENV), timeout=timeout)

    def payloads(self):
        terraform = os.path.realpath(TERRAFORM)
        destroy_line = "terraform " + " ".join(DESTROY)
        return {
            "ctypes syscall(59)": [sys.executable, write(self.scripts, "raw.py", PY_SYSCALL), terraform, *DESTROY],
            "perl syscall": ["perl", write(self.scripts, "raw.pl", PERL_SYSCALL), terraform, *DESTROY],
            "dlopen(libc) + dlsym(execve)": [sys.executable, write(self.scripts, "dlsym.py", PY_DLSYM), terraform,
                                             *DESTROY],
            "a shell without LD_PRELOAD": [sys.executable, write(self.scripts, "nopreload.py", PY_NO_PRELOAD),
                                           destroy_line],
        }

    def assert_refused_and_intact(self, name, r):
        self.assertEqual(self.ws.ids(), self.ws.initial_ids, f"{name}: the state must still hold every resource: {r}")
        self.assertIn(BLOCKED, r.stderr, f"{name}: {r}")
        self.assertNotIn("Destroy complete", r.stdout, f"{name}: {r}")
        self.assertNotEqual(r.status, 0, f"{name}: {r}")

    def test_raw_launches_of_terraform_destroy_are_refused_in_strict_mode(self):
        for name, argv in self.payloads().items():
            with self.subTest(name):
                r = self.session(argv)
                self.assert_refused_and_intact(name, r)
                if "syscall" in name or "dlsym" in name:
                    self.assertIn("errno 13", r.stderr, f"{name}: the raw execve itself must fail with EACCES: {r}")
        denies = [e for e in audit_records(self.state_dir) if e["decision"] == "deny"]
        self.assertEqual(len([e for e in denies if "destroy" in e["argv"]]), 4, denies)

    def test_without_strict_mode_a_raw_syscall_is_not_seen(self):
        # The documented gap (docs/threat-model.md): the same payload, no --strict, really destroys.
        r = self.session(self.payloads()["ctypes syscall(59)"], strict=False)
        self.assertNotIn(BLOCKED, r.stderr, r)
        self.assertEqual(r.status, 0, r)
        self.assertEqual(self.ws.ids(), {}, "the destroy ran: the payload is real")

    def test_ordinary_work_runs_in_strict_mode(self):
        script = ("set -e; ls main.tf; terraform plan -input=false -no-color | grep -c 'No changes'; "
                  "python3 -c 'import subprocess; print(subprocess.run([\"echo\", \"child ran\"], "
                  "capture_output=True, text=True).stdout.strip())'; "
                  "make -f /dev/null -s -E 'all:; @echo make ran' all; "
                  "agentguard doctor --no-webhook-test | grep 'mode: strict'")
        r = self.session(["bash", "-c", script])
        self.assertEqual(r.status, 0, r)
        for expected in ("main.tf", "child ran", "make ran", "mode: strict"):
            self.assertIn(expected, r.stdout, r)
        self.assertNotIn(BLOCKED, r.stderr, r)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def test_terraform_destroy_from_the_agent_itself_is_still_refused(self):
        r = self.session(["bash", "-c", "terraform " + " ".join(DESTROY)])
        self.assert_refused_and_intact("plain destroy", r)
        self.assertEqual(r.status, REFUSED, r)

    def test_policy_switch_turns_strict_mode_on(self):
        policy = write(self.scripts, "strict.toml", "schema = 1\n[launch]\nstrict = true\n")
        r = self.session(self.payloads()["ctypes syscall(59)"], strict=False, policy=policy)
        self.assert_refused_and_intact("policy strict", r)

    def test_strict_session_does_not_start_where_the_kernel_refuses(self):
        # An earlier session in the same state directory kept the probe's "yes" (so session starts
        # skip it); it was kept for an unfiltered process, and must not answer for this one.
        first = run([AGENTGUARD, "run", "--default-only", "--state-dir", self.state_dir, "--", "true"], env=clean_env(),
                    timeout=120)
        self.assertEqual(first.status, 0, first)
        self.assertTrue(os.path.exists(os.path.join(self.state_dir, "supervisor-probe")), "the probe's answer was not kept")
        marker = os.path.join(self.scripts, "ran")
        r = run([sys.executable, os.path.join(HERE, "supervised", "deny_seccomp.py"), AGENTGUARD, "run",
                 "--default-only", "--state-dir", self.state_dir, "--strict", "--", "touch", marker],
                env=clean_env(), timeout=120)
        self.assertEqual(r.status, REFUSED, r)
        self.assertIn(BLOCKED, r.stderr, r)
        self.assertIn("Strict mode", r.stderr, r)
        self.assertFalse(os.path.exists(marker), "the agent ran without the supervisor")


if __name__ == "__main__":
    unittest.main()
