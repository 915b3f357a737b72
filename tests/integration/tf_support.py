"""Helpers for the terraform tests: workspaces whose resources use count, state ids per instance,
guarded runs with stdin, and the test policy that refuses every delete of a terraform_data."""
import json
import os
import shutil
import subprocess
import tempfile

from harness import AGENTGUARD, clean_env, run

TF_ENV = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}

# terraform_data stands in for real infrastructure: the stateless default is switched off and any
# delete, replace or forget is refused at once (no approval wait).
STRICT_POLICY = """schema = 1
disable = ["plan-stateless-changes"]

[[plan]]
id = "test-no-deletes"
action = "deny"
addresses = ["*"]
message = "test policy: nothing may be deleted, replaced or forgotten."
"""

NO_STATELESS_DEFAULT = 'schema = 1\ndisable = ["plan-stateless-changes"]\n'


def no_stateless_default_policy(directory):
    """A policy file in `directory` that switches the stateless default off, so that a
    terraform_data standing in for a database is held like one. Returns its path."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "no-stateless-default.toml")
    with open(path, "w") as f:
        f.write(NO_STATELESS_DEFAULT)
    return path


COUNT_CONFIG = """
variable "n" {
  type    = number
  default = 3
}
resource "terraform_data" "r" {
  count = var.n
  input = "r${count.index}"
}
"""


def state_ids(directory, state="terraform.tfstate"):
    """Every managed instance in a state file: address -> id."""
    path = os.path.join(directory, state)
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        text = f.read()
    if not text.strip():
        return {}
    out = {}
    for r in json.loads(text).get("resources", []):
        if r.get("mode") != "managed":
            continue
        for inst in r.get("instances", []):
            key = f"{r['type']}.{r['name']}"
            if "index_key" in inst:
                key += f"[{json.dumps(inst['index_key'])}]"
            out[key] = inst["attributes"]["id"]
    return out


class Workspace:
    """A real, applied workspace (offline: terraform_data only)."""

    def __init__(self, config=COUNT_CONFIG, apply_args=()):
        self.dir = tempfile.mkdtemp(prefix="ag-tf-")
        self.state_dir = tempfile.mkdtemp(prefix="ag-state-")
        self.write("main.tf", config)
        self.write("strict.toml", STRICT_POLICY)
        for argv in (["terraform", "init", "-input=false", "-no-color"],
                     ["terraform", "apply", "-auto-approve", "-input=false", "-no-color", *apply_args]):
            r = self.terraform(*argv[1:])
            if r.status != 0:
                raise RuntimeError(f"terraform setup failed: {r}")
        self.initial_ids = self.ids()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def ids(self, state="terraform.tfstate"):
        return state_ids(self.dir, state)

    def terraform(self, *args, input=None, env=None):
        """Unguarded terraform, as a human would run it."""
        return run(["terraform", *args], cwd=self.dir, env=clean_env(**TF_ENV, **(env or {})), input=input)

    def guarded(self, script, input=None, strict=False, env=None, timeout=180):
        """`script` in bash inside `agentguard run`, with stdin `input`."""
        argv = [AGENTGUARD, "run"]
        argv += ["--policy", os.path.join(self.dir, "strict.toml")] if strict else ["--default-only"]
        argv += ["--state-dir", self.state_dir, "--", "bash", "-c", script]
        extra = dict(TF_ENV, **(env or {}))
        proc = subprocess.run(argv, cwd=self.dir, env=clean_env(**extra), input=input, capture_output=True,
                              text=True, timeout=timeout)

        class R:
            status, stdout, stderr = proc.returncode, proc.stdout, proc.stderr

            def __repr__(self):
                return f"<exit {self.status}\nstdout: {self.stdout[-3000:]}\nstderr: {self.stderr[-3000:]}>"
        return R()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self.state_dir, ignore_errors=True)
