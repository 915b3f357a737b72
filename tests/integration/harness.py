"""Shared helpers for the integration tests: where the build is, how to run things guarded,
a scratch Terraform workspace with real state, and a loopback HTTP server that records requests."""
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import unittest

BUILD_DIR = os.environ.get("AGENTGUARD_BUILD_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", "build")
BUILD_DIR = os.path.abspath(BUILD_DIR)
SOURCE_DIR = os.path.abspath(os.environ.get("AGENTGUARD_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", ".."))
AGENTGUARD = os.path.join(BUILD_DIR, "bin", "agentguard")
LIBRARY = os.path.join(BUILD_DIR, "lib", "agentguard", "libagentguard.so")
GATE = os.path.join(BUILD_DIR, "lib", "agentguard", "agentguard-gate")
TERRAFORM = shutil.which("terraform")

BLOCKED = "agentguard: blocked"
REFUSED = 126


def clean_env(**extra):
    """The test runner's environment without any guard variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not (k.startswith("AGENTGUARD_") or k == "LD_PRELOAD")}
    env.update(extra)
    return env


class Result:
    def __init__(self, proc):
        self.status = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def __repr__(self):
        return f"<exit {self.status}\nstdout: {self.stdout[-2000:]}\nstderr: {self.stderr[-2000:]}>"


def run(argv, cwd=None, env=None, timeout=120, input=None):
    proc = subprocess.run(argv, cwd=cwd, env=env if env is not None else clean_env(), input=input,
                          capture_output=True, text=True, timeout=timeout)
    return Result(proc)


def guarded(script, cwd=None, state_dir=None, policy=None, extra_env=None, shell="bash", default_only=True, timeout=120):
    """Runs `script` in a shell started by `agentguard run`, i.e. inside a guarded tree."""
    argv = [AGENTGUARD, "run"]
    if default_only and not policy:
        argv.append("--default-only")
    for p in ([policy] if isinstance(policy, str) else policy or []):
        argv += ["--policy", p]
    if state_dir:
        argv += ["--state-dir", state_dir]
    argv += ["--", shell, "-c", script]
    return run(argv, cwd=cwd, env=clean_env(**(extra_env or {})), timeout=timeout)


def guarded_with_human_edits(script, edits, **kw):
    """Like guarded(), for a script that lets a human edit files mid-session: the guarded tree may
    not write the guard's own files (the policy in force among them), so the script calls
    `human_edit NAME` and waits while this process, outside the tree, appends edits[NAME] =
    (path, text) to the file."""
    handshake = tempfile.mkdtemp(prefix="ag-edits-")
    prologue = ("human_edit() { touch %s/$1.request; while [ ! -e %s/$1.done ]; do sleep 0.05; done; }\n"
                % (handshake, handshake))
    stop = threading.Event()

    def human():
        done = set()
        while not stop.is_set():
            for name, (path, text) in edits.items():
                if name not in done and os.path.exists(os.path.join(handshake, name + ".request")):
                    with open(path, "a") as f:
                        f.write(text)
                    open(os.path.join(handshake, name + ".done"), "w").close()
                    done.add(name)
            stop.wait(0.05)

    thread = threading.Thread(target=human, daemon=True)
    thread.start()
    try:
        return guarded(prologue + script, **kw)
    finally:
        stop.set()
        thread.join()
        shutil.rmtree(handshake, ignore_errors=True)


def audit_records(state_dir):
    """The events of the audit log, oldest first (each line is {"event": ..., "prev", "hash", "seq"})."""
    path = os.path.join(state_dir, "audit.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line)["event"] for line in f if line.strip()]


TF_CONFIG = """
resource "terraform_data" "database"  { input = "orders-db" }
resource "terraform_data" "website"   { input = "www" }
resource "terraform_data" "snapshots" { input = "nightly" }
"""


class TerraformWorkspace:
    """A real, applied Terraform workspace made of terraform_data resources (offline)."""

    def __init__(self, config=TF_CONFIG):
        self.dir = tempfile.mkdtemp(prefix="ag-tf-")
        with open(os.path.join(self.dir, "main.tf"), "w") as f:
            f.write(config)
        env = clean_env(TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
        for argv in (["terraform", "init", "-input=false", "-no-color"],
                     ["terraform", "apply", "-auto-approve", "-input=false", "-no-color"]):
            r = run(argv, cwd=self.dir, env=env)
            if r.status != 0:
                raise RuntimeError(f"terraform setup failed: {r}")
        self.initial_ids = self.ids()

    def ids(self):
        path = os.path.join(self.dir, "terraform.tfstate")
        if not os.path.exists(path):
            return {}
        with open(path) as f:
            state = json.load(f)
        out = {}
        for r in state.get("resources", []):
            for inst in r.get("instances", []):
                out[f"{r['type']}.{r['name']}"] = inst["attributes"]["id"]
        return out

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class RecordingHTTPServer:
    """A loopback HTTP server that records every request and answers 200 with a fixed body."""

    def __init__(self, body=b"<ok/>", content_type="text/xml"):
        self.requests = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                recorder.requests.append({"method": self.command, "path": self.path,
                                          "headers": dict(self.headers), "body": data})
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def require_build(test):
    missing = [p for p in (AGENTGUARD, LIBRARY, GATE) if not os.path.exists(p)]
    if missing:
        raise unittest.SkipTest(f"not built: {missing}") if os.environ.get("AGENTGUARD_ALLOW_SKIP") else AssertionError(
            f"build first, missing: {missing}")
