"""Functional tests of libagentguard.so against a recording fake gate.

Every launch function is driven by a tiny C program (drivers/), then real programs (bash, dash,
python3, node, make, perl, env, xargs, find, script, nohup/timeout/nice, ld.so) are run under
the preload. A watched launch must reach the fake gate with the protocol's argv and environment
and the watched program must not run; an unwatched launch must run normally and keep the guard
in its environment. Environment: AGENTGUARD_PRELOAD_LIB, AGENTGUARD_PRELOAD_DRIVERS.
"""
import errno
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

import hook_list

LIB = os.path.realpath(os.environ.get("AGENTGUARD_PRELOAD_LIB", ""))
DRIVERS = pathlib.Path(os.environ.get("AGENTGUARD_PRELOAD_DRIVERS", "/nonexistent")).resolve()
WATCHED = "agtest-watched"
PLAIN = "agtest-plain"
SESSION = "preload-test-session"
WATCH_LIST = "v1;p=agtest-watched,nothing-else;w=sudo"
LOADER = "/lib64/ld-linux-x86-64.so.2"
# The exported entry points, from preload/hooks.def (the list the version script is made from).
HOOKS = hook_list.exported("exec")
# The HTTPS guard (docs/https-guard.md, test_tls_hooks.py): OpenSSL and GnuTLS record I/O, teardown, ALPN.
TLS_HOOKS = hook_list.exported("tls")
# Plain HTTP (docs/https-guard.md §1b, tests/integration/test_plain_http_guard.py): TCP connections and their I/O.
SOCKET_HOOKS = hook_list.exported("socket")
OPTIONAL_HOOKS = hook_list.exported("exec", "optional")
# The protected-paths hooks (test_file_hooks.py).
FILE_HOOKS = hook_list.exported("file")
SYSTEM_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def fnv_fingerprint(path):
    """The documented content fingerprint, implemented independently of the C++ core."""
    data = pathlib.Path(path).read_bytes()
    window = min(len(data), 4096)
    h = 14695981039346656037
    for byte in data[:window] + data[len(data) - window:]:
        h ^= byte
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return len(data), "%016x" % h


class World:
    """A scratch tree: bin/ with the test programs, markers/ they write, a recording fake gate."""

    def __init__(self):
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="agentguard-preload-"))
        self.bin = self.root / "bin"
        self.markers = self.bin / "markers"
        self.gate_log = self.root / "gate-log"
        for d in (self.bin, self.markers, self.gate_log):
            d.mkdir()
        for name in (WATCHED, PLAIN):
            shutil.copy(DRIVERS / "agtest_program", self.bin / name)
        self.gate = self.root / "fake-gate"
        # Records argv (NUL-separated) and env (env -0), then refuses like the real gate.
        self.gate.write_text(
            "#!/bin/sh\n"
            f"printf '%s\\0' \"$0\" \"$@\" > '{self.gate_log}'/$$.argv\n"
            f"env -0 > '{self.gate_log}'/$$.env\n"
            "exit 126\n")
        self.gate.chmod(0o755)
        # An existing directory without our programs comes first: CPython's subprocess tries
        # execv on every PATH entry in turn, and a miss must stay a miss (ENOENT), not a gate call.
        (self.root / "first-in-path").mkdir()
        self.path = f"{self.root / 'first-in-path'}:{self.bin}:/usr/local/bin:/usr/bin:/bin"

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def reset(self):
        for d in (self.markers, self.gate_log):
            for f in d.iterdir():
                f.unlink()

    def env(self, gate=True, watch=WATCH_LIST, **extra):
        env = {"PATH": self.path, "HOME": str(self.root), "LD_PRELOAD": LIB, "AGENTGUARD_LIB": LIB,
               "AGENTGUARD_WATCH": watch, "AGENTGUARD_SESSION": SESSION, "LANG": "C"}
        if gate:
            env["AGENTGUARD_GATE"] = str(self.gate)
        env.update(extra)
        return env

    def run(self, argv, env=None, **kwargs):
        return subprocess.run(argv, env=env if env is not None else self.env(), cwd=self.root,
                              capture_output=True, text=True, timeout=120, **kwargs)

    def gate_calls(self):
        calls = []
        for argv_file in sorted(self.gate_log.glob("*.argv")):
            argv = argv_file.read_bytes().split(b"\0")[:-1]
            env_entries = argv_file.with_suffix(".env").read_bytes().split(b"\0")
            env = {}
            for entry in env_entries:
                if b"=" in entry:
                    k, v = entry.split(b"=", 1)
                    env[k.decode()] = v.decode()
            calls.append(([a.decode() for a in argv], env))
        return calls

    def marker(self, name):
        path = self.markers / f"{name}.ran"
        if not path.exists():
            return None
        runs = []
        for line in path.read_text().splitlines():
            parts = line.split("\t")
            if parts[0] == "ARGV":
                runs.append({"argv": parts[1:], "env": {}})
            elif parts[0] == "ENV":
                runs[-1]["env"][parts[1]] = parts[2]
        return runs


class GuardAssertions(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(LIB) or not (DRIVERS / "agtest_program").exists():
            self.fail(f"build the preload and its drivers first (lib={LIB}, drivers={DRIVERS})")
        self.world = World()
        self.addCleanup(self.world.cleanup)

    def assert_gated(self, result, argv_tail, argv0=None, program=None):
        """The launch reached the fake gate, per the gate protocol, and the watched program never ran."""
        calls = self.world.gate_calls()
        self.assertEqual(len(calls), 1, f"gate calls: {calls}\nstdout: {result.stdout}\nstderr: {result.stderr}")
        argv, env = calls[0]
        self.assertEqual(argv[0], str(self.world.gate))
        self.assertEqual(os.path.realpath(os.path.join(self.world.root, argv[1])),
                         os.path.realpath(program or self.world.bin / WATCHED))
        if argv0 is not None:
            self.assertEqual(argv[2], argv0)
        self.assertEqual(argv[3:] if argv0 is not None else argv[len(argv) - len(argv_tail):], argv_tail)
        self.assertNotIn("LD_PRELOAD", env)
        self.assertIn(LIB, env.get("AGENTGUARD_CALLER_LD_PRELOAD", "").replace(" ", ":").split(":"))
        self.assertEqual(env.get("AGENTGUARD_WATCH"), self.expected_watch)
        self.assertEqual(env.get("AGENTGUARD_SESSION"), SESSION)
        self.assertEqual(env.get("AGENTGUARD_GATE"), str(self.world.gate))
        self.assertIsNone(self.world.marker(WATCHED), "the watched program ran")
        return argv, env

    def assert_ran_plain(self, result, argv_tail, name=PLAIN):
        """The unwatched program ran once, with its arguments, still carrying the guard."""
        self.assertEqual(self.world.gate_calls(), [], f"stderr: {result.stderr}")
        runs = self.world.marker(name)
        self.assertIsNotNone(runs, f"{name} did not run\nstdout: {result.stdout}\nstderr: {result.stderr}")
        self.assertEqual(len(runs), 1, runs)
        self.assertEqual(runs[0]["argv"][1:], argv_tail)
        env = runs[0]["env"]
        self.assertIn(LIB, env["LD_PRELOAD"].replace(" ", ":").split(":"))
        self.assertEqual(env["AGENTGUARD_WATCH"], self.expected_watch)
        self.assertEqual(env["AGENTGUARD_SESSION"], SESSION)
        self.assertEqual(env["AGENTGUARD_GATE"], str(self.world.gate))
        return runs[0]

    expected_watch = WATCH_LIST


class HookDrivers(GuardAssertions):
    """One C driver per hooked function, watched and not, with and without a scrubbed environment."""

    PATH_SEARCHING = {"execvp", "execvpe", "execlp", "posix_spawnp", "system", "popen"}

    def program_arg(self, function, name):
        return name if function in self.PATH_SEARCHING else str(self.world.bin / name)

    def test_each_function_hands_watched_launches_to_the_gate(self):
        for function in sorted(HOOKS):
            for scrub in ([], ["--scrub"]):
                with self.subTest(function=function, scrub=bool(scrub)):
                    self.world.reset()
                    program = self.program_arg(function, WATCHED)
                    result = self.world.run([str(DRIVERS / f"driver_{function}"), *scrub, program, "one", "two"])
                    self.assertEqual(result.returncode, 126, result.stderr)
                    argv0 = WATCHED if function in ("system", "popen") else program
                    self.assert_gated(result, ["one", "two"], argv0=argv0)

    def test_each_function_runs_unwatched_programs_with_the_guard_kept(self):
        for function in sorted(HOOKS):
            for scrub in ([], ["--scrub"]):
                with self.subTest(function=function, scrub=bool(scrub)):
                    self.world.reset()
                    program = self.program_arg(function, PLAIN)
                    result = self.world.run([str(DRIVERS / f"driver_{function}"), *scrub, program, "one", "two"])
                    self.assertEqual(result.returncode, 0, result.stderr)
                    self.assert_ran_plain(result, ["one", "two"])

    def test_execveat_with_an_empty_path(self):
        for name, check in ((WATCHED, "gated"), (PLAIN, "plain")):
            with self.subTest(program=name):
                self.world.reset()
                program = str(self.world.bin / name)
                result = self.world.run([str(DRIVERS / "driver_execveat"), program, "one", "two"],
                                        env=self.world.env(DRIVER_EMPTY_PATH="1"))
                if check == "gated":
                    self.assertEqual(result.returncode, 126, result.stderr)
                    self.assert_gated(result, ["one", "two"], argv0=program)
                else:
                    self.assertEqual(result.returncode, 0, result.stderr)
                    self.assert_ran_plain(result, ["one", "two"])

    def test_errno_is_what_libc_reports(self):
        result = self.world.run([str(DRIVERS / "driver_errno"), str(self.world.bin / WATCHED)],
                                env=self.world.env(gate=False))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout.count(" ok\n"), 6, result.stdout)
        self.assertIn("agentguard: blocked", result.stderr)

    def test_failed_launches_report_the_same_errno_as_unguarded(self):
        # The exec hooks answer a path with nothing at it themselves (one readlink, no libc call);
        # PATH searches, spawns and everything that is there (dangling symlinks included) go to libc.
        d = self.world.root / "errno"
        d.mkdir()
        (d / "notexec").write_text("#!/bin/sh\n")
        (d / "notexec").chmod(0o644)
        (d / "adir").mkdir()
        (d / "file").write_text("")
        (d / "dangling").symlink_to(d / "nothing")
        (d / "agtest-watched-dangling").symlink_to(d / "nothing" / WATCHED)
        (d / "loop").symlink_to("loop")
        for sub, name in (("eacces", "prog"), ("agtest-watched-eacces", WATCHED)):
            (d / sub).mkdir()
            (d / sub / name).write_text("#!/bin/sh\n")
            (d / sub / name).chmod(0o644)
        driver = [str(DRIVERS / "driver_errno_paths"), str(d)]
        unguarded_env = {k: v for k, v in self.world.env().items() if k != "LD_PRELOAD"}
        unguarded = self.world.run(driver, env=unguarded_env)
        guarded = self.world.run(driver)
        self.assertEqual(unguarded.returncode, 0, unguarded.stderr)
        self.assertEqual(guarded.returncode, 0, guarded.stderr)
        self.assertEqual(guarded.stdout.splitlines(), unguarded.stdout.splitlines())
        self.assertEqual(self.world.gate_calls(), [])
        got = dict(line.rsplit(" ", 1) for line in guarded.stdout.splitlines())
        E = errno
        # glibc's own rules, to show the comparison above is not vacuous: execvp skips ENOENT and
        # ENOTDIR entries, reports EACCES if any entry had it, else the last error; fexecve(-1) is EINVAL.
        expected = {
            "missing-absolute": E.ENOENT, "missing-watched/execv": E.ENOENT, "missing-relative/execl": E.ENOENT,
            "file-as-dir": E.ENOTDIR, "file-as-dir/posix_spawn": E.ENOTDIR, "trailing-slash/execle": E.ENOTDIR,
            "empty": E.ENOENT, "not-executable": E.EACCES, "directory": E.EACCES,
            "dangling-symlink/execv": E.ENOENT, "dangling-watched-symlink": E.ENOENT, "symlink-loop": E.ELOOP,
            "path-all-missing/execvp": E.ENOENT, "path-one-eacces/execvp": E.EACCES,
            "path-one-eacces/execvpe": E.EACCES, "path-one-eacces/execlp": E.EACCES,
            "path-one-eacces/posix_spawnp": E.EACCES, "path-watched-eacces/execvp": E.EACCES,
            "path-watched-missing/execlp": E.ENOTDIR, "path-slash-missing/execvp": E.ENOENT,
            "fexecve-bad-fd": E.EINVAL, "execveat-bad-dirfd": E.EBADF, "execveat-dirfd-missing": E.ENOENT,
        }
        for case, value in expected.items():
            with self.subTest(case=case):
                self.assertEqual(int(got[case]), value, guarded.stdout)

    def test_multithreaded_fork_vfork_and_spawn_stress(self):
        result = self.world.run([str(DRIVERS / "driver_threads"), str(self.world.bin / PLAIN),
                                 str(self.world.bin / WATCHED), "4", "15"])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("launches=120 failures=0", result.stdout)
        self.assertEqual(len(self.world.gate_calls()), 60)
        self.assertEqual(len(self.world.marker(PLAIN)), 60)
        self.assertIsNone(self.world.marker(WATCHED))

    def test_lazily_resolved_spawn_hooks_in_a_forked_child_and_in_threads(self):
        # posix_spawn(p), system and popen find libc's function on first use (real_functions.hpp).
        result = self.world.run([str(DRIVERS / "driver_lazy"), str(self.world.bin / PLAIN),
                                 str(self.world.bin / WATCHED), "6"])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("threads=6 failures=0", result.stdout)
        # 7 launchers (the forked child and 6 threads) x 4 functions, watched and plain.
        self.assertEqual(len(self.world.gate_calls()), 28)
        self.assertEqual(len(self.world.marker(PLAIN)), 28)
        self.assertIsNone(self.world.marker(WATCHED))


class ConstructorOrder(GuardAssertions):
    """Another library's constructor launching before ours may have run (libfaketime's test)."""

    def test_launch_from_another_constructor_is_guarded(self):
        early = str(DRIVERS / "libearly_launcher.so")
        for order in (f"{LIB} {early}", f"{early} {LIB}"):
            with self.subTest(order=order):
                self.world.reset()
                env = self.world.env(LD_PRELOAD=order, AGTEST_EARLY_PROGRAM=str(self.world.bin / WATCHED))
                result = self.world.run(["/bin/true"], env=env)
                self.assertEqual(result.returncode, 0, result.stderr)
                argv, env = self.assert_gated(result, ["early"], argv0=str(self.world.bin / WATCHED))
                self.assertIn(early, env["AGENTGUARD_CALLER_LD_PRELOAD"])


class RealPrograms(GuardAssertions):
    """Real launchers under the preload: every path to the watched program reaches the gate."""

    def shell(self, command, **env_overrides):
        return self.world.run(["bash", "-c", command], env=self.world.env(**env_overrides))

    def test_bash_and_dash(self):
        for shell in ("bash", "dash"):
            with self.subTest(shell=shell):
                self.world.reset()
                result = self.world.run([shell, "-c", f"{WATCHED} one two; echo after=$?"])
                self.assertIn("after=126", result.stdout)
                self.assert_gated(result, ["one", "two"], argv0=WATCHED)
                self.world.reset()
                result = self.world.run([shell, "-c", f"{PLAIN} one two"])
                self.assertEqual(result.returncode, 0)
                self.assert_ran_plain(result, ["one", "two"])

    def python(self, code, env=None):
        return self.world.run([SYSTEM_PYTHON, "-c", code], env=env)

    def test_python_launch_paths(self):
        scrubbed = f"{{'PATH': {self.world.path!r}}}"
        cases = {
            "subprocess": f"import subprocess,sys; sys.exit(subprocess.run(['{WATCHED}','one','two']).returncode)",
            "subprocess-posix_spawn": ("import subprocess,sys; sys.exit(subprocess.run(['" + WATCHED +
                                       "','one','two'], close_fds=False).returncode)"),
            "os.system": f"import os,sys; sys.exit(os.waitstatus_to_exitcode(os.system('{WATCHED} one two')))",
            "os.posix_spawnp": (f"import os,sys; pid=os.posix_spawnp('{WATCHED}', ['{WATCHED}','one','two'], "
                                "os.environ); sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid,0)[1]))"),
            "os.execvpe-scrubbed": f"import os; os.execvpe('{WATCHED}', ['{WATCHED}','one','two'], {scrubbed})",
            "subprocess-env": (f"import subprocess,sys; sys.exit(subprocess.run(['{WATCHED}','one','two'], "
                               f"env={scrubbed}).returncode)"),
        }
        for name, code in cases.items():
            with self.subTest(case=name):
                self.world.reset()
                result = self.python(code)
                self.assertEqual(result.returncode, 126, result.stderr)
                self.assert_gated(result, ["one", "two"], argv0=WATCHED)
        for name, code in cases.items():
            with self.subTest(case=name + "-plain"):
                self.world.reset()
                result = self.python(code.replace(WATCHED, PLAIN))
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assert_ran_plain(result, ["one", "two"])

    def test_node_execsync_and_spawnsync_with_own_env(self):
        exec_sync = (f"try {{ require('child_process').execSync('{WATCHED} one two'); process.exit(0) }}"
                     " catch (e) { process.exit(e.status) }")
        spawn_sync = (f"const r = require('child_process').spawnSync('{WATCHED}', ['one','two'], "
                      f"{{env: {{PATH: '{self.world.path}'}}}}); process.exit(r.status)")
        for name, code in (("execSync", exec_sync), ("spawnSync", spawn_sync)):
            with self.subTest(case=name):
                self.world.reset()
                result = self.world.run(["node", "-e", code])
                self.assertEqual(result.returncode, 126, result.stderr)
                self.assert_gated(result, ["one", "two"], argv0=WATCHED)
                self.world.reset()
                result = self.world.run(["node", "-e", code.replace(WATCHED, PLAIN)])
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assert_ran_plain(result, ["one", "two"])

    def test_make_uses_posix_spawn(self):
        (self.world.root / "Makefile").write_text(f"watched:\n\t{WATCHED} one two\nplain:\n\t{PLAIN} one two\n")
        result = self.world.run(["make", "-s", "watched"])
        self.assertNotEqual(result.returncode, 0)
        self.assert_gated(result, ["one", "two"], argv0=WATCHED)
        self.world.reset()
        result = self.world.run(["make", "-s", "plain"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_ran_plain(result, ["one", "two"])

    def test_perl_system(self):
        result = self.world.run(["perl", "-e", f"exit(system('{WATCHED}', 'one', 'two') >> 8)"])
        self.assertEqual(result.returncode, 126)
        self.assert_gated(result, ["one", "two"], argv0=WATCHED)

    def test_env_dash_i_and_env_dash_u(self):
        result = self.world.run(["env", "-i", f"PATH={self.world.path}", WATCHED, "one", "two"])
        self.assertEqual(result.returncode, 126)
        self.assert_gated(result, ["one", "two"], argv0=WATCHED)
        for command in (["env", "-i", f"PATH={self.world.path}", PLAIN, "one", "two"],
                        ["env", "-u", "LD_PRELOAD", "-u", "AGENTGUARD_WATCH", PLAIN, "one", "two"],
                        ["env", "AGENTGUARD_WATCH=v1", "AGENTGUARD_GATE=/bin/true", PLAIN, "one", "two"]):
            with self.subTest(command=command[:3]):
                self.world.reset()
                result = self.world.run(command)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assert_ran_plain(result, ["one", "two"])
        # Tampering does not loosen the guard for the next launch either.
        self.world.reset()
        result = self.world.run(["env", "AGENTGUARD_WATCH=v1", "AGENTGUARD_GATE=/bin/true", "bash", "-c",
                                 f"{WATCHED} one two"])
        self.assert_gated(result, ["one", "two"], argv0=WATCHED)

    def test_large_environment_and_argv(self):
        # The rebuilt envp and the gate's argv live on the slow path's stack up to 64 KiB
        # (about 8000 entries) and in mmap'd memory beyond: both ways must work.
        for fillers in (600, 9000):
            with self.subTest(fillers=fillers):
                self.world.reset()
                self.check_large_environment(fillers)

    def check_large_environment(self, fillers):
        env = self.world.env(**{f"FILLER_{i}": "x" * 20 for i in range(fillers)})
        result = self.world.run(["env", "-u", "AGENTGUARD_SESSION", str(self.world.bin / PLAIN), "one", "two"], env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_ran_plain(result, ["one", "two"])
        self.world.reset()
        many = [str(i) for i in range(400)]
        result = self.world.run(["env", "-u", "AGENTGUARD_SESSION", WATCHED, *many], env=env)
        self.assertEqual(result.returncode, 126, result.stderr)
        argv, gate_env = self.assert_gated(result, many, argv0=WATCHED)
        self.assertEqual(gate_env[f"FILLER_{fillers - 1}"], "x" * 20)

    def test_library_finds_its_own_path_without_agentguard_lib(self):
        env = self.world.env()
        del env["AGENTGUARD_LIB"]
        result = self.world.run(["bash", "-c", f"env -i {self.world.bin / PLAIN} one two"], env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        runs = self.world.marker(PLAIN)
        self.assertEqual(len(runs), 1)
        self.assertEqual(runs[0]["env"]["LD_PRELOAD"], LIB)

    def test_xargs_find_script(self):
        cases = {
            "xargs": ["bash", "-c", f"echo one two | xargs {WATCHED}"],
            "find": ["find", str(self.world.root / "Makefile-marker"), "-exec", WATCHED, "one", "two", ";"],
            "script": ["script", "-qec", f"{WATCHED} one two", "/dev/null"],
        }
        (self.world.root / "Makefile-marker").write_text("x")
        for name, command in cases.items():
            with self.subTest(case=name):
                self.world.reset()
                result = self.world.run(command)
                if name != "find":  # find's -exec is a test: a failed command is just "false"
                    self.assertNotEqual(result.returncode, 0)
                self.assert_gated(result, ["one", "two"], argv0=WATCHED)

    def test_nohup_timeout_nice(self):
        for wrapper in (["nohup"], ["timeout", "30"], ["nice", "-n", "1"]):
            with self.subTest(wrapper=wrapper[0]):
                self.world.reset()
                result = self.world.run([*wrapper, WATCHED, "one", "two"])
                self.assertEqual(result.returncode, 126, result.stderr)
                self.assert_gated(result, ["one", "two"], argv0=WATCHED)

    def test_exec_a_does_not_matter(self):
        result = self.shell(f"exec -a innocent {WATCHED} one two")
        self.assertEqual(result.returncode, 126)
        self.assert_gated(result, ["one", "two"], argv0="innocent")
        self.world.reset()
        result = self.shell(f"exec -a {WATCHED} {PLAIN} one two")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_ran_plain(result, ["one", "two"])

    def test_symlink_is_resolved(self):
        (self.world.bin / "links").mkdir()
        os.symlink(f"../{WATCHED}", self.world.bin / "links" / "tf")
        os.symlink("links/tf", self.world.bin / "innocent-name")
        result = self.shell("innocent-name one two")
        self.assertEqual(result.returncode, 126)
        self.assert_gated(result, ["one", "two"], argv0="innocent-name")

    def test_renamed_copy_is_recognised_by_content(self):
        copy = self.world.bin / "renamed-copy"
        shutil.copy(self.world.bin / WATCHED, copy)
        size, digest = fnv_fingerprint(self.world.bin / WATCHED)
        self.expected_watch = f"v1;p=nothing-else;f=agtest-watched:{size}:{digest}"
        result = self.world.run(["bash", "-c", "renamed-copy one two"], env=self.world.env(watch=self.expected_watch))
        self.assertEqual(result.returncode, 126, result.stderr)
        self.assert_gated(result, ["one", "two"], argv0="renamed-copy", program=copy)
        self.assertIsNone(self.world.marker("renamed-copy"))
        # A program of another size is not hashed and runs.
        self.world.reset()
        result = self.world.run(["bash", "-c", "/bin/true && echo fine"], env=self.world.env(watch=self.expected_watch))
        self.assertEqual(result.stdout, "fine\n")

    def test_loader_run_directly(self):
        program = str(self.world.bin / WATCHED)
        result = self.shell(f"{LOADER} --inhibit-cache {program} one two")
        self.assertEqual(result.returncode, 126, result.stderr)
        argv, _ = self.assert_gated(result, ["one", "two"], program=LOADER)
        self.assertEqual(argv[2:], [LOADER, "--inhibit-cache", program, "one", "two"])
        self.world.reset()
        result = self.shell(f"{LOADER} {self.world.bin / PLAIN} one two")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_ran_plain(result, ["one", "two"])

    def test_missing_gate_fails_closed(self):
        for gate_env in ({"gate": False}, {"AGENTGUARD_GATE": str(self.world.root / "not-executable")}):
            with self.subTest(gate=gate_env):
                (self.world.root / "not-executable").write_text("#!/bin/sh\nexit 0\n")
                self.world.reset()
                result = self.world.run(["bash", "-c", f"{WATCHED} one two; echo status=$?"],
                                        env=self.world.env(**gate_env))
                self.assertIn("status=126", result.stdout)
                self.assertIn("agentguard: blocked", result.stderr)
                self.assertIn("gate is missing", result.stderr)
                self.assertIsNone(self.world.marker(WATCHED))
                self.assertEqual(self.world.gate_calls(), [])


class LibraryShape(unittest.TestCase):
    """What the library exports and needs: it is loaded into every process."""

    def tool(self, *argv):
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout

    def test_only_hooks_are_exported(self):
        names = set()
        for line in self.tool("nm", "-D", "--defined-only", LIB).splitlines():
            parts = line.split()
            if len(parts) == 3:
                names.add(parts[2].split("@")[0])
        every = HOOKS | TLS_HOOKS | FILE_HOOKS | SOCKET_HOOKS
        self.assertTrue(every <= names, every - names)
        self.assertEqual(names - every - OPTIONAL_HOOKS, set())

    def test_needs_only_libc(self):
        needed = [line.split("[")[1].rstrip("]") for line in self.tool("readelf", "-d", LIB).splitlines()
                  if "(NEEDED)" in line]
        self.assertTrue(needed)
        for lib in needed:
            self.assertIn(lib, {"libc.so.6", "libdl.so.2", "ld-linux-x86-64.so.2"})

    def test_no_cxx_runtime_symbols(self):
        undefined = self.tool("nm", "-u", LIB)
        for marker in ("_Z", "__cxa_begin", "__cxa_guard", "__cxa_throw", "__gxx_personality", "_Unwind",
                       "operator new", "__cxa_pure_virtual"):
            self.assertNotIn(marker, undefined)

    def test_almost_nothing_to_relocate_at_load(self):
        # Every process maps the library: each dynamic relocation is work for ld.so at every
        # start, and a relocated page becomes a private copy. Tables are pointer-free
        # (core/base/string_table.hpp); only .init_array's constructor entry is left.
        relocations = [line.split() for line in self.tool("readelf", "-rW", LIB).splitlines()
                       if line.startswith("0")]
        relative = [r for r in relocations if r[2] == "R_X86_64_RELATIVE"]
        self.assertLessEqual(len(relative), 4, relative)
        data_symbols = [r[4] for r in relocations if r[2] in ("R_X86_64_GLOB_DAT", "R_X86_64_64")]
        self.assertLessEqual(set(data_symbols), {"environ@GLIBC_2.2.5", "__environ@GLIBC_2.2.5"}, data_symbols)
        # No crt start files: no weak _ITM_*/__gmon_start__ that ld.so looks for in every object.
        undefined = self.tool("nm", "-u", LIB)
        for name in ("_ITM_registerTMCloneTable", "__gmon_start__", "__cxa_finalize"):
            self.assertNotIn(name, undefined)
        # The writable segment fits in one page (one mapping, at most one page copied).
        loads = [line.split() for line in self.tool("readelf", "-lW", LIB).splitlines()
                 if line.strip().startswith("LOAD")]
        writable = [l for l in loads if "RW" in l]
        self.assertEqual(len(writable), 1, loads)
        vaddr, memsz = int(writable[0][2], 16), int(writable[0][5], 16)
        self.assertEqual(vaddr // 4096, (vaddr + memsz - 1) // 4096, writable)


if __name__ == "__main__":
    unittest.main()
