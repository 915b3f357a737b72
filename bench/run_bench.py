#!/usr/bin/env python3
"""agentguard's benchmark suite: what the guard costs, as ratios against the same work run
unguarded in the same run (alternating A/B, medians of several rounds).

    python3 bench/run_bench.py                 # the full table (several minutes)
    python3 bench/run_bench.py --quick         # a smoke run: checks the bench works, not the numbers
    python3 bench/run_bench.py --only exec_shell python_spawns --snoopy
    nice -n -5 python3 bench/run_bench.py --snoopy --floor --rounds 9 --json results.json   # docs/performance.md

Needs a build (cmake --build build). Prints a Markdown table (wall ratio and CPU ratio per row, the
load average before and after); --json FILE also writes the raw numbers. Exits 1 when a measure
gave no figure, except the TLS rows while the preload has no TLS hooks (the row says so)."""
import argparse
import atexit
import glob
import json
import os
import re
import resource
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)


class Bench:
    def __init__(self, build, quick, snoopy, rounds=None, floor=False):
        self.build = os.path.abspath(build)
        self.quick = quick
        self.cli = os.path.join(self.build, "bin", "agentguard")
        self.gate = os.path.join(self.build, "lib", "agentguard", "agentguard-gate")
        self.lib = os.path.join(self.build, "lib", "agentguard", "libagentguard.so")
        self.work = tempfile.mkdtemp(prefix="ag-bench-")
        self.rounds = rounds or (3 if quick else 7)
        self.plain_env = {k: v for k, v in os.environ.items() if not (k.startswith("AGENTGUARD_") or k == "LD_PRELOAD")}
        self.guard_env = self._session_env()
        self.snoopy_env = self._snoopy_env() if snoopy else None
        self.floor_env = self._floor_env() if floor else None
        self.rows = []
        # A figure for a guard that is not loaded would be a lie: check each side maps what it claims.
        self._check_preloaded(self.guard_env, "libagentguard.so")
        if self.snoopy_env:
            self._check_preloaded(self.snoopy_env, "libsnoopy.so")

    def _check_preloaded(self, env, library):
        p = subprocess.Popen(["sleep", "5"], env=env)
        try:
            for _ in range(50):
                with open(f"/proc/{p.pid}/maps") as f:
                    maps = f.read()
                if library in maps:
                    return
                time.sleep(0.02)
            raise SystemExit(f"bench: the guarded side does not load {library} (LD_PRELOAD={env.get('LD_PRELOAD')})")
        finally:
            p.kill()
            p.wait()

    def tls_hooks_present(self):
        """True when the preload exports a TLS write hook (the TLS figures need one)."""
        out = subprocess.run(["nm", "-D", "--defined-only", self.lib], capture_output=True, text=True).stdout
        return any(line.split()[-1].split("@")[0] in ("SSL_write", "SSL_write_ex", "gnutls_record_send")
                   for line in out.splitlines() if line.strip())

    def _session_env(self):
        """The environment `agentguard run` gives an agent: captured once, reused for every guarded run.
        The session stays open until the bench ends: its files are sealed by device and inode
        (AGENTGUARD_SEALED), and once they were deleted a file the bench creates could get one of
        those numbers and be refused (a smoke run's `tar x` failed so)."""
        state = os.path.join(self.work, "state")
        captured = os.path.join(self.work, "session.env")
        self.session = subprocess.Popen(
            [self.cli, "run", "--default-only", "--state-dir", state, "--", "sh", "-c",
             f'env -0 > "{captured}.part" && mv "{captured}.part" "{captured}" && exec sleep 86400'],
            env=self.plain_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        atexit.register(self._end_session)
        for _ in range(600):
            if os.path.exists(captured) or self.session.poll() is not None:
                break
            time.sleep(0.05)
        if not os.path.exists(captured):
            raise RuntimeError(f"agentguard run did not start a session (exit {self.session.poll()})")
        with open(captured, "rb") as f:
            out = f.read().decode()
        env = dict(self.plain_env)
        for entry in out.split("\0"):
            name, _, value = entry.partition("=")
            if name == "LD_PRELOAD" or name.startswith("AGENTGUARD_"):
                env[name] = value
        # Not the session's proxy: redirected to it, the TCP measures of programs without a shared
        # libssl would measure the proxy's splicing. The proxy has its own figures (bench/proxy_bench.py).
        env.pop("AGENTGUARD_PROXY", None)
        return env

    def _end_session(self):
        if self.session.poll() is None:
            self.session.terminate()
            try:
                self.session.wait(30)
            except subprocess.TimeoutExpired:
                self.session.kill()

    def _snoopy_env(self):
        lib = "/tmp/snoopy-x/lib/x86_64-linux-gnu/libsnoopy.so"
        if not os.path.exists(lib):
            deb_dir = tempfile.mkdtemp(prefix="snoopy-deb-")
            subprocess.run(["apt-get", "download", "snoopy"], cwd=deb_dir, capture_output=True)
            debs = [f for f in os.listdir(deb_dir) if f.endswith(".deb")]
            if not debs:
                print("snoopy: could not download the Debian package; skipping the comparison", file=sys.stderr)
                return None
            subprocess.run(["dpkg", "-x", os.path.join(deb_dir, debs[0]), "/tmp/snoopy-x"], check=True)
        env = dict(self.plain_env, LD_PRELOAD=lib)
        return env

    def _floor_env(self):
        """An empty preloaded library: what any LD_PRELOAD costs before it does anything (the loader
        opens, maps and relocates one more object in every process). The guard cannot go below it.
        Built by CMake (bench/CMakeLists.txt) with the preload's own link flags, so the two compare
        like with like."""
        lib = os.path.join(self.build, "bench", "libagentguard-floor.so")
        if not os.path.exists(lib):
            raise SystemExit(f"no floor library at {lib} (cmake --build {self.build} --target agentguard_bench_floor)")
        return dict(self.plain_env, LD_PRELOAD=lib)

    # -- timing -----------------------------------------------------------------------------------
    def time_once(self, argv, env, cwd=None):
        """Wall seconds of one run; its CPU seconds (user+sys of the whole process tree) go to self.last_cpu.
        CPU time is the steadier figure when other work shares the machine."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            # Which run failed, and what it said: a failure must be diagnosable from the report.
            preload = env.get("LD_PRELOAD", "") if env else ""
            raise RuntimeError(f"{argv} exited {proc.returncode} (LD_PRELOAD={preload or 'none'}): "
                               f"{proc.stderr.decode(errors='replace')[-600:].strip()}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.last_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        self.last_faults = after.ru_minflt - before.ru_minflt
        return wall

    def ab(self, argv, cwd=None, variants=None, warm=True):
        """Alternating rounds of each variant; returns {variant: median seconds}."""
        if variants is None:
            variants = {"unguarded": self.plain_env, "guarded": self.guard_env}
            if self.snoopy_env:
                variants["snoopy"] = self.snoopy_env
            if self.floor_env:
                variants["floor"] = self.floor_env
        names = list(variants)
        if warm:
            self.time_once(argv, self.plain_env, cwd)  # warm the page cache
        samples = {n: [] for n in names}
        cpu = {n: [] for n in names}
        faults = {n: [] for n in names}
        for r in range(self.rounds):
            order = names if r % 2 == 0 else list(reversed(names))
            for n in order:
                samples[n].append(self.time_once(argv, variants[n], cwd))
                cpu[n].append(self.last_cpu)
                faults[n].append(self.last_faults)
        medians = {n: statistics.median(s) for n, s in samples.items()}
        medians["cpu"] = {n: statistics.median(c) for n, c in cpu.items()}
        medians["faults"] = {n: statistics.median(f) for n, f in faults.items()}
        return medians

    def add_ratio(self, name, what, medians, target):
        ratio = medians["guarded"] / medians["unguarded"]
        cpu = medians["cpu"]
        snoopy = f"{medians['snoopy'] / medians['unguarded']:.3f}x" if "snoopy" in medians else "-"
        if "snoopy" in cpu:
            snoopy += f" (cpu {cpu['snoopy'] / cpu['unguarded']:.3f}x)"
        floor = "-"
        if "floor" in medians:
            floor = f"{medians['floor'] / medians['unguarded']:.3f}x (cpu {cpu['floor'] / cpu['unguarded']:.3f}x)"
        self.rows.append({"measure": name, "work": what, "unguarded": f"{medians['unguarded'] * 1000:.0f} ms",
                          "guarded": f"{medians['guarded'] * 1000:.0f} ms", "result": f"{ratio:.3f}x",
                          "cpu": f"{cpu['guarded'] / cpu['unguarded']:.3f}x", "target": target, "snoopy": snoopy,
                          "floor": floor, "raw": medians, "value": ratio})

    # -- the measures -----------------------------------------------------------------------------
    def exec_shell(self):
        n = 200 if self.quick else 2000
        m = self.ab(["bash", "-c", f"for i in $(seq {n}); do /bin/true; done"])
        self.add_ratio("exec-heavy shell", f"bash runs /bin/true {n} times", m, "<= 1.03x")
        # Page faults cost microseconds each in a VM: per launch (the forked bash and /bin/true).
        f = m["faults"]
        self.rows.append({"measure": "exec-heavy shell: minor faults per launch", "work": f"the same loop, ru_minflt / {n}",
                          "unguarded": f"{f['unguarded'] / n:.1f}", "guarded": f"{f['guarded'] / n:.1f}",
                          "result": f"+{(f['guarded'] - f['unguarded']) / n:.1f}", "target": "-", "snoopy":
                          f"{f['snoopy'] / n:.1f}" if "snoopy" in f else "-",
                          "floor": f"{f['floor'] / n:.1f}" if "floor" in f else "-",
                          "value": (f['guarded'] - f['unguarded']) / n})

    def session_start(self):
        """`agentguard run -- true` against `true`: what starting a session adds (policy from the cache,
        the proxy, the supervisor probe, the session record), warm (the same state directory each time)."""
        state = os.path.join(self.work, "session-start-state")
        argv_run = [self.cli, "run", "--default-only", "--state-dir", state, "--", "true"]
        subprocess.run(argv_run, env=self.plain_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        n = 9 if self.quick else 31
        bare, run = [], []
        for i in range(n):
            pair = [(bare, ["true"]), (run, argv_run)]
            for sink, argv in (pair if i % 2 == 0 else reversed(pair)):
                sink.append(self.time_once(argv, self.plain_env))
        added = (statistics.median(run) - statistics.median(bare)) * 1000
        self.rows.append({"measure": "session start and end", "work": "`agentguard run --default-only -- true` vs `true` (policy cached)",
                          "unguarded": f"{statistics.median(bare) * 1000:.1f} ms", "guarded": f"{statistics.median(run) * 1000:.1f} ms",
                          "result": f"{added:+.1f} ms", "target": "-", "snoopy": "-", "value": added})
        # What an agent waits for: from the launch of `run` (or of the agent directly) to the agent's
        # first instruction (it prints the clock; CLOCK_REALTIME in both processes).
        probe = [sys.executable, "-S", "-c", "import time; print(repr(time.time()))"]
        direct, guarded = [], []
        for i in range(n):
            for sink, argv in ([(direct, probe), (guarded, argv_run[:-1] + probe)] if i % 2 == 0 else
                               [(guarded, argv_run[:-1] + probe), (direct, probe)]):
                t0 = time.time()
                out = subprocess.run(argv, env=self.plain_env, capture_output=True, text=True, check=True).stdout
                sink.append(float(out.strip().splitlines()[-1]) - t0)
        to_agent = (statistics.median(guarded) - statistics.median(direct)) * 1000
        self.rows.append({"measure": "session start", "work": "time until the agent runs: `run -- python3 -S` vs `python3 -S` (policy cached)",
                          "unguarded": f"{statistics.median(direct) * 1000:.1f} ms", "guarded": f"{statistics.median(guarded) * 1000:.1f} ms",
                          "result": f"{to_agent:+.1f} ms", "target": "<= +20 ms", "snoopy": "-", "value": to_agent})

    def instructions(self):
        """Exact instruction counts (callgrind; this VM has no hardware counters): one /bin/true under no
        preload, the empty preload and the guard (process start), and the guard's execve hook alone
        (the exec path, from a driver that calls execve: dumped when libc's execve is entered)."""
        if not shutil.which("valgrind"):
            return self.skip("instructions", "valgrind not installed", allowed=True)
        def count(argv, env):
            out = os.path.join(self.work, "callgrind.out")
            for f in glob.glob(out + "*"):
                os.remove(f)
            subprocess.run(["valgrind", "--tool=callgrind", "--dump-before=execve", f"--callgrind-out-file={out}", *argv],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            totals = []
            for f in sorted(glob.glob(out + "*")):
                with open(f) as fh:
                    m = re.search(r"^summary: (\d+)", fh.read(), re.M)
                    totals.append(int(m.group(1)) if m else 0)
            return totals
        start = {name: sum(count(["/bin/true"], env)) for name, env in
                 (("unguarded", self.plain_env), ("floor", self.floor_env or self._floor_env()), ("guarded", self.guard_env))}
        self.rows.append({"measure": "instructions per process start", "work": "/bin/true (callgrind)",
                          "unguarded": f"{start['unguarded']}", "guarded": f"{start['guarded']}",
                          "result": f"+{start['guarded'] - start['floor']} vs empty preload", "target": "-", "snoopy": "-",
                          "floor": f"{start['floor']}", "value": start['guarded'] - start['floor']})
        driver = os.path.join(self.build, "tests", "preload", "drivers", "driver_execve")
        if os.path.exists(driver):
            parts = count([driver, "/bin/true"], self.guard_env)
            # Parts: before the hook, the hook (up to libc's execve), and nothing after the exec.
            hook = parts[-1] if len(parts) >= 2 else 0
            self.rows.append({"measure": "instructions per exec (hook)", "work": "execve of an unwatched /bin/true (callgrind)",
                              "unguarded": "0", "guarded": f"{hook}", "result": f"+{hook}", "target": "-", "snoopy": "-",
                              "value": hook})

    def python_spawns(self):
        n = 50 if self.quick else 500
        m = self.ab([sys.executable, "-c", f"import subprocess\nfor _ in range({n}): subprocess.run(['true'])"])
        self.add_ratio("interpreter spawns (python)", f"subprocess.run(['true']) x{n}", m, "<= 1.03x")

    def make_targets(self):
        n = 40 if self.quick else 300
        path = os.path.join(self.work, "Makefile.bench")
        with open(path, "w") as f:
            f.write("all: " + " ".join(f"t{i}" for i in range(n)) + "\n")
            for i in range(n):
                f.write(f"t{i}:\n\t@true\n")
        m = self.ab(["make", "-s", "-j2", "-f", path])
        self.add_ratio("interpreter spawns (make -j2)", f"{n} trivial targets", m, "<= 1.03x")

    def real_build(self):
        """Configure and compile a real C/C++ project with CMake: agentguard's own core and preload."""
        out = os.path.join(self.work, "realbuild")
        script = (f"rm -rf {out} && cmake -S {SOURCE} -B {out} -G Ninja -DAGENTGUARD_BUILD_TESTS=OFF >/dev/null && "
                  f"cmake --build {out} -j2 --target agentguard_core agentguard_preload >/dev/null")
        saved, self.rounds = self.rounds, (1 if self.quick else 3)
        try:
            # The smoke run skips the warm-up build: it only has to show the measure works.
            m = self.ab(["bash", "-c", script], warm=not self.quick)
        finally:
            self.rounds = saved
        self.add_ratio("real build", "cmake configure + compile (agentguard core and preload)", m, "<= 1.03x")

    def gated_launch(self):
        terraform = shutil.which("terraform")
        if not terraform:
            return self.skip("gated launch", "terraform not installed")
        env = dict(self.guard_env)
        env["AGENTGUARD_CALLER_LD_PRELOAD"] = env.pop("LD_PRELOAD")
        n = 5 if self.quick else 21
        direct, gated = [], []
        for i in range(n):
            pair = [(direct, [terraform, "version"], self.plain_env), (gated, [self.gate, terraform, "terraform", "version"], env)]
            for sink, argv, e in (pair if i % 2 == 0 else reversed(pair)):
                sink.append(self.time_once(argv, e))
        added = (statistics.median(gated) - statistics.median(direct)) * 1000
        self.rows.append({"measure": "gated launch", "work": "terraform version through the gate vs direct",
                          "unguarded": f"{statistics.median(direct) * 1000:.1f} ms",
                          "guarded": f"{statistics.median(gated) * 1000:.1f} ms", "result": f"{added:+.1f} ms",
                          "target": "<= +5 ms", "snoopy": "-", "value": added})

    def _file_tree(self):
        """A tree of small files (a git repository, and a tar archive of it), made once, unguarded."""
        if getattr(self, "_tree", None):
            return self._tree
        dirs, per_dir = (20, 100) if self.quick else (200, 100)
        root = os.path.join(self.work, "tree")
        for d in range(dirs):
            os.makedirs(os.path.join(root, f"d{d:03d}"))
            for i in range(per_dir):
                with open(os.path.join(root, f"d{d:03d}", f"f{i:03d}.txt"), "w") as f:
                    f.write(f"file {d}/{i}\n" * 4)
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
        for argv in (git + ["init", "-q"], git + ["add", "."], git + ["commit", "-qm", "tree"]):
            subprocess.run(argv, cwd=root, env=self.plain_env, check=True, stdout=subprocess.DEVNULL)
        archive = os.path.join(self.work, "tree.tar")
        subprocess.run(["tar", "cf", archive, "-C", root, "."], env=self.plain_env, check=True)
        self._tree = (root, archive, dirs * per_dir)
        return self._tree

    def file_opens(self):
        """The protected-paths hooks (file_guard.hpp) on open-heavy work, against no preload and against
        an empty preload: git status and tar c open every file for reading (the flag test only);
        tar x creates every file and rm -rf unlinks it (each a write-intent call: the name check and
        the kernel naming the directory)."""
        root, archive, n = self._file_tree()
        variants = {"unguarded": self.plain_env, "guarded": self.guard_env, "floor": self.floor_env or self._floor_env()}
        m = self.ab(["git", "status", "--porcelain"], cwd=root, variants=variants)
        self.add_ratio("open-heavy: git status", f"{n} tracked files", m, "<= 1.03x")
        m = self.ab(["bash", "-c", "tar cf - . | wc -c"], cwd=root, variants=variants)
        self.add_ratio("open-heavy: tar c", f"{n} files read into an archive", m, "<= 1.03x")
        out = os.path.join(self.work, "untar")
        m = self.ab(["bash", "-c", f"rm -rf {out} && mkdir {out} && tar xf {archive} -C {out}"], variants=variants)
        self.add_ratio("write-heavy: tar x + rm -rf", f"{n} files created, then removed", m, "<= 1.10x")
        self.file_calls(variants)

    def file_calls(self, variants):
        """Per call, in process CPU time (steadier than wall time on a shared machine): bench/file_calls.c."""
        exe = os.path.join(self.work, "file_calls")
        subprocess.run(["cc", "-O2", "-o", exe, os.path.join(HERE, "file_calls.c")], check=True)
        calls = 2000 if self.quick else 40000
        per = {}
        for name, env in variants.items():
            scratch = tempfile.mkdtemp(dir=self.work)
            out = subprocess.run([exe, str(calls)], env=env, cwd=scratch, capture_output=True, text=True, check=True)
            per[name] = dict((line.split()[0], float(line.split()[1])) for line in out.stdout.splitlines())
        what = {"open-read": "open(O_RDONLY)+close: the flag test",
                "open-write": "open(O_WRONLY|O_TRUNC)+close: name check, getcwd, readlinkat",
                "create-unlink": "open(O_CREAT|O_EXCL) in a subdirectory + close + unlink"}
        for call, text in what.items():
            added = per["guarded"][call] - per["floor"][call]
            self.rows.append({"measure": "file call: " + call, "work": text,
                              "unguarded": f"{per['unguarded'][call]:.0f} ns", "guarded": f"{per['guarded'][call]:.0f} ns",
                              "result": f"{added:+.0f} ns vs empty preload", "cpu": "-", "target": "-",
                              "floor": f"{per['floor'][call]:.0f} ns", "snoopy": "-", "value": added})

    def memory(self):
        def rss_kib(env):
            p = subprocess.Popen(["sleep", "3"], env=env)
            time.sleep(0.3)
            with open(f"/proc/{p.pid}/status") as f:
                kib = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
            p.kill()
            p.wait()
            return kib
        plain = statistics.median(rss_kib(self.plain_env) for _ in range(5))
        guarded = statistics.median(rss_kib(self.guard_env) for _ in range(5))
        snoopy = "-"
        if self.snoopy_env:
            snoopy = f"+{statistics.median(rss_kib(self.snoopy_env) for _ in range(5)) - plain} KiB"
        self.rows.append({"measure": "memory per process", "work": "VmRSS of `sleep`",
                          "unguarded": f"{plain} KiB", "guarded": f"{guarded} KiB", "result": f"+{guarded - plain} KiB",
                          "target": "<= +256 KiB", "snoopy": snoopy, "value": guarded - plain})

    def tls(self):
        if not self.tls_hooks_present():
            return self.skip("TLS", "TLS hooks absent: libagentguard.so exports no SSL_write/gnutls_record_send "
                             "(nothing to measure until they land)", allowed=True)
        script = os.path.join(HERE, "tls_bench.py")
        r = subprocess.run([sys.executable, script, "--quick" if self.quick else "--full", "--guard-env-json",
                            json.dumps({k: v for k, v in self.guard_env.items() if k == "LD_PRELOAD" or k.startswith("AGENTGUARD_")})],
                           capture_output=True, text=True, env=self.plain_env)
        if r.returncode != 0:
            return self.skip("TLS", r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "tls_bench failed")
        for row in json.loads(r.stdout):
            self.rows.append(row)

    def socket_io(self):
        """The plain-HTTP hooks (write/read/send/recv...) on I/O-heavy work, against the same work
        unguarded and under an empty preloaded library (docs/https-guard.md §1b)."""
        exe = os.path.join(self.work, "io_loop")
        subprocess.run(["cc", "-O2", "-o", exe, os.path.join(HERE, "io_loop.c")], check=True)
        variants = {"unguarded": self.plain_env, "guarded": self.guard_env,
                    "floor": self.floor_env or self._floor_env()}
        n = 200000 if self.quick else 2000000
        m = self.ab([exe, "pipe", str(n)], variants=variants)
        self.add_ratio("I/O loop", f"write+read 64 bytes on a pipe x{n}", m, "<= 1.03x")
        n = 2000 if self.quick else 20000
        m = self.ab([exe, "tcp", str(n), "16384"], variants=variants)
        self.add_ratio("loopback TCP transfer", f"{n} send()s of 16 KiB, binary (marked, released at once)", m,
                       "<= 1.03x")
        n = 800 if self.quick else 12800
        m = self.ab([exe, "http", str(n), "16384"], variants=variants)
        self.add_ratio("plain-HTTP upload", f"S3 PutObject of {n * 16 // 1024} MiB over http:// (inspected, "
                       "body streamed through the engine)", m, "<= 1.11x")

    def micro(self):
        for exe in ("policy_bench", "http_bench"):
            path = os.path.join(self.build, "bin", exe)
            if not os.path.exists(path):
                self.skip("micro: " + exe, f"{path} not built (cmake --build {self.build} --target {exe})")
                continue
            args = [path, "--benchmark_format=json"]
            if self.quick:
                args.append("--benchmark_min_time=0.01")
            out = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
            for b in out["benchmarks"]:
                ns = b["cpu_time"] if b.get("time_unit") == "ns" else b["cpu_time"] * {"us": 1e3, "ms": 1e6}[b["time_unit"]]
                self.rows.append({"measure": "micro: " + b["name"], "work": exe, "unguarded": "-", "guarded": "-",
                                  "result": f"{ns:.0f} ns", "target": "<= 2000 ns" if "Exec" in b["name"] else "-",
                                  "snoopy": "-", "value": ns})

    def skip(self, name, why, allowed=False):
        """A row without a figure. `allowed` marks the one legitimate gap (TLS before its hooks exist);
        any other skipped row fails a --quick run."""
        self.rows.append({"measure": name, "work": "skipped: " + why, "unguarded": "-", "guarded": "-", "result": "-",
                          "target": "-", "snoopy": "-", "value": None, "allowed_skip": allowed})

    def table(self):
        head = ("| measure | work | unguarded | guarded | result (wall) | cpu ratio | target | empty preload (floor) | snoopy |\n"
                "|---|---|---|---|---|---|---|---|---|\n")
        return head + "".join(f"| {r['measure']} | {r['work']} | {r['unguarded']} | {r['guarded']} | {r['result']} | "
                              f"{r.get('cpu', '-')} | {r['target']} | {r.get('floor', '-')} | {r['snoopy']} |\n"
                              for r in self.rows)


MEASURES = ["exec_shell", "python_spawns", "make_targets", "real_build", "session_start", "gated_launch", "file_opens",
            "tls", "socket_io", "memory", "instructions", "micro"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(SOURCE, "build"))
    ap.add_argument("--quick", action="store_true", help="smoke run: few iterations; checks the bench works")
    ap.add_argument("--snoopy", action="store_true", help="also preload Debian's snoopy for a side-by-side figure")
    ap.add_argument("--floor", action="store_true",
                    help="also run under an empty preloaded library: the cost of any LD_PRELOAD, the guard's floor")
    ap.add_argument("--only", nargs="*", choices=MEASURES)
    ap.add_argument("--rounds", type=int, help="A/B rounds per figure (default 3 with --quick, else 7)")
    ap.add_argument("--json", help="write the rows to this file")
    args = ap.parse_args()
    load_before = open("/proc/loadavg").read().split()[:3]
    started = time.time()
    bench = Bench(args.build, args.quick, args.snoopy, args.rounds, floor=args.floor)
    failures = []
    try:
        for name in args.only or MEASURES:
            before = len(bench.rows)
            try:
                getattr(bench, name)()
            except (subprocess.CalledProcessError, OSError, ValueError, KeyError, RuntimeError) as e:
                bench.skip(name, f"failed: {e}")
            if len(bench.rows) == before:
                bench.skip(name, "produced no row")
    finally:
        shutil.rmtree(bench.work, ignore_errors=True)
    load_after = open("/proc/loadavg").read().split()[:3]
    print(f"machine: {os.cpu_count()} cores, {platform_name()}; rounds per figure: {bench.rounds}; medians; "
          f"A/B alternating; load average before {' '.join(load_before)}, after {' '.join(load_after)}; "
          f"{time.time() - started:.0f} s\n")
    print(bench.table())
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"load_before": load_before, "load_after": load_after, "rounds": bench.rounds,
                       "quick": args.quick, "rows": bench.rows}, f, indent=2, default=str)
    failures = [r["measure"] for r in bench.rows if r["value"] is None and not r.get("allowed_skip")]
    if failures:
        print("bench: no figure for: " + ", ".join(failures), file=sys.stderr)
        sys.exit(1)


def platform_name():
    try:
        with open("/proc/cpuinfo") as f:
            model = re.search(r"model name\s*:\s*(.*)", f.read())
        return model.group(1).strip() if model else os.uname().machine
    except OSError:
        return os.uname().machine


if __name__ == "__main__":
    main()
