#!/usr/bin/env python3
"""How long a blocked `terraform destroy` takes to return to the agent, with the webhook answering
and with the webhook hanging (median and max over N runs each, inside one guarded shell).

    python3 bench/refusal_latency.py [--build build] [--runs 20]"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

from webhook_sink import WebhookSink  # noqa: E402

CONFIG = 'resource "terraform_data" "db" { input = "orders" }\n'


def measure(cli, workspace, state, sink, runs):
    script = (f"for i in $(seq {runs}); do s=$(date +%s%N); terraform destroy -auto-approve >/dev/null 2>&1; "
              "e=$(date +%s%N); echo $(( (e-s)/1000 )); done")
    env = {k: v for k, v in os.environ.items() if not (k.startswith("AGENTGUARD_") or k == "LD_PRELOAD")}
    env.update(AGENTGUARD_WEBHOOK_URL="json:" + sink.url, AGENTGUARD_WEBHOOK_SECRET="s", TF_IN_AUTOMATION="1")
    out = subprocess.run([cli, "run", "--default-only", "--state-dir", state, "--", "bash", "-c", script],
                         cwd=workspace, env=env, capture_output=True, text=True, timeout=600).stdout
    return [int(x) / 1000 for x in out.split()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    cli = os.path.join(os.path.abspath(args.build), "bin", "agentguard")
    work = tempfile.mkdtemp(prefix="ag-latency-")
    try:
        ws = os.path.join(work, "ws")
        os.mkdir(ws)
        with open(os.path.join(ws, "main.tf"), "w") as f:
            f.write(CONFIG)
        subprocess.run(["terraform", "init", "-input=false"], cwd=ws, capture_output=True, check=True)
        subprocess.run(["terraform", "apply", "-auto-approve"], cwd=ws, capture_output=True, check=True)
        print("| webhook | runs | median | max |\n|---|---|---|---|")
        for label, setup in (("answering 200", lambda s: None), ("hanging", lambda s: s.hang())):
            sink = WebhookSink(secret="s").start()
            setup(sink)
            ms = measure(cli, ws, os.path.join(work, "state-" + label.split()[0]), sink, args.runs)
            sink.stop()
            print(f"| {label} | {len(ms)} | {statistics.median(ms):.0f} ms | {max(ms):.0f} ms |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
