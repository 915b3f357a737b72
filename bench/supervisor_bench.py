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
Strict mode (exec loop under a session-wide filter against the preload alone) is not built yet.
Needs a build (cmake --build build), gcc with a static libc, and terraform for figure 3."""
import argparse
import os
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


def guarded(state_dir, argv):
    return [AGENTGUARD, "run", "--default-only", "--state-dir", state_dir, "--", *argv]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--children", type=int, default=500)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="ag-supbench-")
    state = os.path.join(work, "state")
    launcher = os.path.join(work, "launcher")
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
    print("4. strict mode exec loop: not measured (strict mode is not built yet)")
    print(f"load average: {os.getloadavg()[0]:.2f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
