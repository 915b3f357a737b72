#!/usr/bin/env python3
"""What the seccomp supervisor costs (a benchmark, not a test: it prints figures, asserts nothing
about speed).

    python3 bench/supervisor_bench.py [--rounds 5] [--children 500]

Figures (medians of --rounds, supervised and unsupervised runs alternating):
  1. one supervised exec: a static launcher (gcc -static) starting /bin/true N times under the
     gate's supervisor, per child, against the same launcher unsupervised;
  2. a static program starting N children, supervised against unsupervised (whole run);
  3. `terraform plan` on a small terraform_data workspace: `agentguard run -- terraform plan`
     (gate decision + supervised terraform and its children) against plain `terraform plan`.
  4. strict mode: bash running /bin/true --loop times inside `agentguard run --strict` against
     `agentguard run` (the preload alone) and plain bash; the loop times itself (bash
     $EPOCHREALTIME), so the session's start is not in the figure. Sides alternate every round.
Needs a build (cmake --build build), gcc with a static libc, and terraform for figure 3."""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
BUILD = os.path.abspath(os.environ.get("AGENTGUARD_BUILD_DIR") or os.path.join(SOURCE, "build"))
AGENTGUARD = os.path.join(BUILD, "bin", "agentguard")
LAUNCHER_SOURCE = os.path.join(SOURCE, "tests", "integration", "supervised", "static_launcher.c")


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not (k.startswith("AGENTGUARD_") or k == "LD_PRELOAD")}
    env.update(extra)
    return env


def timed(argv, cwd=None, env=None):
    start = time.perf_counter()
    r = subprocess.run(argv, cwd=cwd, env=env or clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"{argv} failed ({r.returncode}): {r.stderr.decode()[-500:]}")
    return elapsed


def guarded(state_dir, argv, strict=False):
    return [AGENTGUARD, "run", "--default-only", "--state-dir", state_dir, *(["--strict"] if strict else []), "--", *argv]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--children", type=int, default=500)
    parser.add_argument("--loop", type=int, default=1000, help="iterations of figure 4's exec loop")
    parser.add_argument("--only-strict", action="store_true", help="measure figure 4 only")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="ag-supbench-")
    state = os.path.join(work, "state")
    launcher = os.path.join(work, "launcher")
    if not args.only_strict:
        subprocess.run(["gcc", "-static", "-O2", "-o", launcher, LAUNCHER_SOURCE], check=True)
        n = args.children

        # The session's own start (policy, probe) is the same with 0 and with N children: subtract it.
        sup_n, sup_0, plain_n, plain_0 = [], [], [], []
        for _ in range(args.rounds):
            sup_n.append(timed(guarded(state, [launcher, "--count", str(n), "/bin/true"])))
            plain_n.append(timed([launcher, "--count", str(n), "/bin/true"]))
            sup_0.append(timed(guarded(state, [launcher, "--count", "0", "/bin/true"])))
            plain_0.append(timed([launcher, "--count", "0", "/bin/true"]))
        per_sup = (statistics.median(sup_n) - statistics.median(sup_0)) / n
        per_plain = (statistics.median(plain_n) - statistics.median(plain_0)) / n
        print(f"1. one exec from a static program: supervised {per_sup * 1e6:.0f} us, unsupervised "
              f"{per_plain * 1e6:.0f} us (median of {args.rounds}, per child of {n}): +{(per_sup - per_plain) * 1e6:.0f} us")
        run_sup = statistics.median(sup_n) - statistics.median(sup_0)
        run_plain = statistics.median(plain_n) - statistics.median(plain_0)
        print(f"2. a static program starting {n} children: supervised {run_sup:.3f} s, unsupervised {run_plain:.3f} s "
              f"({run_sup / run_plain:.2f}x)")

        terraform = shutil.which("terraform")
        if terraform:
            ws = os.path.join(work, "ws")
            os.makedirs(ws)
            with open(os.path.join(ws, "main.tf"), "w") as f:
                f.write('resource "terraform_data" "a" { input = "a" }\nresource "terraform_data" "b" { input = "b" }\n')
            tf_env = clean_env(TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
            subprocess.run([terraform, "init", "-input=false"], cwd=ws, env=tf_env, check=True, stdout=subprocess.DEVNULL)
            subprocess.run([terraform, "apply", "-auto-approve", "-input=false"], cwd=ws, env=tf_env, check=True,
                           stdout=subprocess.DEVNULL)
            plan = [terraform, "plan", "-input=false", "-no-color"]
            sup, plain = [], []
            for _ in range(args.rounds):
                sup.append(timed(guarded(state, plan), cwd=ws, env=tf_env))
                plain.append(timed(plan, cwd=ws, env=tf_env))
            print(f"3. terraform plan, small workspace: guarded and supervised {statistics.median(sup):.3f} s, "
                  f"plain {statistics.median(plain):.3f} s ({statistics.median(sup) / statistics.median(plain):.2f}x)")
        else:
            print("3. terraform plan: terraform is not installed")
    def loop_script(count):
        return (f"s=$EPOCHREALTIME; for ((i = 0; i < {count}; i++)); do /bin/true; done; "
                "e=$EPOCHREALTIME; echo \"${s/./} ${e/./}\"")

    def sides(count):
        script = loop_script(count)
        return {"none": ["bash", "-c", script], "preload": guarded(state, ["bash", "-c", script]),
                "strict": guarded(state, ["bash", "-c", script], strict=True)}

    def run_side(argv):
        # Wall: the loop's own clock. CPU: user+sys of the whole tree (the supervisor included),
        # from the children's rusage around the run.
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(argv, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if out.returncode != 0:
            sys.exit(f"{argv} failed: {out.stderr[-500:]}")
        start, end = map(int, out.stdout.split()[-2:])
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return (end - start) / 1e6, cpu

    full, empty = sides(args.loop), sides(0)
    wall = {name: [] for name in full}
    cpu = {name: [] for name in full}
    cpu0 = {name: [] for name in full}
    for r in range(args.rounds):
        order = list(full) if r % 2 == 0 else list(reversed(full))
        for name in order:
            w, c = run_side(full[name])
            wall[name].append(w)
            cpu[name].append(c)
            cpu0[name].append(run_side(empty[name])[1])  # the session's own start, to subtract
    med = {name: statistics.median(v) for name, v in wall.items()}
    mcpu = {name: statistics.median(cpu[name]) - statistics.median(cpu0[name]) for name in cpu}
    print(f"4. exec loop ({args.loop} x /bin/true from bash, median of {args.rounds}): wall none {med['none']:.3f} s, "
          f"preload {med['preload']:.3f} s, strict {med['strict']:.3f} s; strict/preload {med['strict'] / med['preload']:.3f}x, "
          f"preload/none {med['preload'] / med['none']:.3f}x, strict/none {med['strict'] / med['none']:.3f}x")
    print(f"   cpu of the whole tree, session start subtracted: none {mcpu['none']:.3f} s, preload {mcpu['preload']:.3f} s, "
          f"strict {mcpu['strict']:.3f} s; strict/preload {mcpu['strict'] / mcpu['preload']:.3f}x, "
          f"preload/none {mcpu['preload'] / mcpu['none']:.3f}x")
    print(f"load average: {os.getloadavg()[0]:.2f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
