"""The protected-paths hooks of libagentguard.so, against a recording fake gate.

driver_file_guard calls every file hook by name: reads and ordinary files must behave exactly as
without the preload (same errno, errno untouched on success), and every write-intent call on a
protected path must fail with EACCES and change nothing. A refusal is one escaped stderr line and
one `--report-file` call of the gate with the gate protocol's environment.
Environment: AGENTGUARD_PRELOAD_LIB, AGENTGUARD_PRELOAD_DRIVERS.
"""
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import unittest

import hook_list

LIB = os.path.realpath(os.environ.get("AGENTGUARD_PRELOAD_LIB", ""))
DRIVERS = pathlib.Path(os.environ.get("AGENTGUARD_PRELOAD_DRIVERS", "/nonexistent")).resolve()
FILE_HOOKS = hook_list.exported("file")
BLOCKED = "agentguard: blocked"


class FileHooks(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(LIB) or not (DRIVERS / "driver_file_guard").exists():
            self.fail(f"build the preload and its drivers first ({LIB}, {DRIVERS})")
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="agentguard-filehooks-")).resolve()
        self.addCleanup(shutil.rmtree, self.root, True)
        self.work = self.root / "work"
        (self.work / "terraform.tfstate.d" / "other").mkdir(parents=True)
        (self.work / "terraform.tfstate.d" / "empty").mkdir()
        for name in ("terraform.tfstate", "terraform.tfstate.backup", "terraform.tfstate.d/other/terraform.tfstate"):
            (self.work / name).write_text('{"resources": [{"id": "keep-me"}]}\n')
        self.calls = self.root / "gate-calls"
        self.calls.mkdir()
        self.gate = self.root / "fake-gate"
        # Records argv (NUL-separated) and env, then says "durable" (0) or fails (FAKE_GATE_STATUS).
        self.gate.write_text("#!/bin/sh\n"
                             f"printf '%s\\0' \"$0\" \"$@\" > '{self.calls}'/$$.argv\n"
                             f"env -0 > '{self.calls}'/$$.env\n"
                             "exit ${FAKE_GATE_STATUS:-0}\n")
        self.gate.chmod(0o755)

    def env(self, gate=True, **extra):
        env = {"PATH": "/usr/bin:/bin", "LANG": "C", "LD_PRELOAD": LIB, "AGENTGUARD_LIB": LIB,
               "AGENTGUARD_SESSION": "filehooks-test", "AGENTGUARD_STATE_DIR": str(self.root / "state")}
        if gate:
            env["AGENTGUARD_GATE"] = str(self.gate)
        env.update(extra)
        return env

    def run_in_work(self, argv, env):
        return subprocess.run(argv, cwd=self.work, env=env, capture_output=True, text=True, timeout=120)

    def gate_calls(self):
        calls = []
        for argv_file in sorted(self.calls.glob("*.argv")):
            argv = [a.decode() for a in argv_file.read_bytes().split(b"\0")[:-1]]
            env = dict(e.decode().split("=", 1) for e in argv_file.with_suffix(".env").read_bytes().split(b"\0") if b"=" in e)
            calls.append((argv, env))
        return calls

    def test_fast_path_is_exactly_libc(self):
        driver = [str(DRIVERS / "driver_file_guard"), str(self.work), "--fast-only"]
        plain_env = {k: v for k, v in self.env().items() if k != "LD_PRELOAD"}
        unguarded = self.run_in_work(driver, plain_env)
        shutil.rmtree(self.work / "full", ignore_errors=True)
        guarded = self.run_in_work(driver, self.env())
        self.assertEqual(unguarded.returncode, 0, unguarded.stdout + unguarded.stderr)
        self.assertEqual(guarded.returncode, 0, guarded.stdout + guarded.stderr)
        self.assertEqual(guarded.stdout, unguarded.stdout)
        self.assertNotIn(BLOCKED, guarded.stderr)
        self.assertEqual(self.gate_calls(), [])

    def test_a_library_preloaded_after_ours_stays_between_our_hooks_and_libc(self):
        # The constructor reads libc's symbol table instead of asking dlsym for each real function;
        # a wrapper loaded between us and libc must still be what our hooks call.
        shadow = DRIVERS / "libshadow_unlinkat.so"
        victim = self.work / "scratch.txt"
        victim.write_text("x")
        r = self.run_in_work(["/bin/rm", str(victim)], self.env(LD_PRELOAD=f"{LIB}:{shadow}"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.count("shadow-unlinkat"), 1, r.stderr)
        self.assertFalse(victim.exists())
        # And a protected path is still refused before the wrapper ever sees it.
        r = self.run_in_work(["/bin/rm", "-f", "terraform.tfstate"], self.env(LD_PRELOAD=f"{LIB}:{shadow}"))
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn("shadow-unlinkat", r.stderr)
        self.assertTrue((self.work / "terraform.tfstate").exists())

    def test_every_hook_refuses_protected_paths_with_eacces(self):
        result = self.run_in_work([str(DRIVERS / "driver_file_guard"), str(self.work)], self.env(gate=False))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertNotIn("FAIL", result.stdout)
        self.assertGreaterEqual(result.stdout.count(" ok\n"), 60, result.stdout)
        refusals = [l for l in result.stderr.splitlines() if l.startswith(BLOCKED)]
        self.assertGreaterEqual(len(refusals), 38, result.stderr)
        for name in ("terraform.tfstate", "terraform.tfstate.backup", "terraform.tfstate.d/other/terraform.tfstate"):
            self.assertEqual((self.work / name).read_text(), '{"resources": [{"id": "keep-me"}]}\n', name)

    def test_a_refusal_reports_to_the_gate_with_the_gate_environment(self):
        result = self.run_in_work(["rm", "terraform.tfstate"], self.env(AGENTGUARD_POLICY="/p.toml"))
        self.assertEqual(result.returncode, 1, result.stderr)
        state = str(self.work / "terraform.tfstate")
        line = (f"{BLOCKED} removing {state}: this is Terraform state, which only terraform itself may change "
                "(rule protected-paths.terraform-state). Change state only through terraform's own commands; "
                "if it really must be edited, ask a human.")
        self.assertEqual([l for l in result.stderr.splitlines() if l.startswith("agentguard")], [line])
        [(argv, env)] = self.gate_calls()
        self.assertEqual(argv[:3], [str(self.gate), "--report-file", "--pid"])
        self.assertTrue(argv[3].isdigit() and int(argv[3]) > 1, argv)
        self.assertEqual(argv[4:], ["--operation", "unlink", "--path", state,
                             "--rule", "protected-paths.terraform-state", "--message", line[len("agentguard: "):]])
        # The gate runs unhooked, with the guard's values as they were at load time.
        self.assertNotIn("LD_PRELOAD", env)
        self.assertEqual(env["AGENTGUARD_CALLER_LD_PRELOAD"], LIB)
        self.assertEqual(env["AGENTGUARD_SESSION"], "filehooks-test")
        self.assertEqual(env["AGENTGUARD_POLICY"], "/p.toml")
        self.assertTrue((self.work / "terraform.tfstate").exists())

    def test_a_gate_that_fails_is_said(self):
        result = self.run_in_work(["sh", "-c", ": > terraform.tfstate"], self.env(FAKE_GATE_STATUS="1"))
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(BLOCKED + " writing", result.stderr)
        self.assertIn("could not be recorded in the audit log", result.stderr)
        self.assertEqual(len(self.gate_calls()), 1)

    def test_the_report_child_is_invisible_to_the_hosts_child_handling(self):
        # A host that reaps every child in its SIGCHLD handler (shells, supervisors) must neither
        # see the gate exit nor steal it from us: the report still completes and is counted once.
        script = ("import os, signal\n"
                  "seen = []\n"
                  "signal.signal(signal.SIGCHLD, lambda *a: seen.append(os.waitpid(-1, os.WNOHANG)))\n"
                  "try:\n"
                  "    os.remove('terraform.tfstate')\n"
                  "except PermissionError:\n"
                  "    print('refused')\n"
                  "print('sigchld', len(seen))\n")
        result = self.run_in_work(["/usr/bin/python3", "-c", script], self.env())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("refused\nsigchld 0\n", result.stdout)
        self.assertNotIn("could not be recorded", result.stderr)
        self.assertEqual(len(self.gate_calls()), 1)

    def test_hooks_are_exported(self):
        names = set()
        out = subprocess.run(["nm", "-D", "--defined-only", LIB], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3:
                names.add(parts[2].split("@")[0])
        self.assertTrue(FILE_HOOKS <= names, FILE_HOOKS - names)


if __name__ == "__main__":
    unittest.main()
