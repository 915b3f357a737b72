"""One configuration story: every command reads the same layers, a team policy named by
AGENTGUARD_POLICY is obeyed by all of them, and a project's .agentguard.toml is found from each
launch's own directory, so `cd proj && kubectl delete ...` obeys proj's file even when the agent
started elsewhere. A fake kubectl records every run in a file: "refused" is checked by what it
recorded, not only by the exit status."""
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import AGENTGUARD, BUILD_DIR, REFUSED, clean_env, require_build, run

KUBECTL = """#!/bin/sh
echo "$*" >> "$KUBECTL_LOG"
"""

TEAM_POLICY = """schema = 1

[[exec]]
id = "team-no-kubectl-delete"
action = "deny"
program = ["kubectl"]
command = ["delete"]
message = "The team says no."
examples.match = ["kubectl delete pod x"]
examples.no_match = ["kubectl get pods"]
"""

PROJECT_POLICY = TEAM_POLICY.replace("team-no-kubectl-delete", "proj-no-kubectl-delete").replace(
    "The team says no.", "Not in this project.")


class Sandbox(unittest.TestCase):
    """A scratch home (no user policy), no system policy, a fake kubectl on PATH."""

    def setUp(self):
        require_build(self)
        self.dir = tempfile.mkdtemp(prefix="ag-config-")
        self.bin = os.path.join(self.dir, "bin")
        os.mkdir(self.bin)
        kubectl = os.path.join(self.bin, "kubectl")
        with open(kubectl, "w") as f:
            f.write(KUBECTL)
        os.chmod(kubectl, 0o755)
        self.log = os.path.join(self.dir, "kubectl.log")
        self.state = os.path.join(self.dir, "state")
        self.team = os.path.join(self.dir, "team.toml")
        with open(self.team, "w") as f:
            f.write(TEAM_POLICY)
        self.work = os.path.join(self.dir, "work")  # where the agent starts; not a project
        os.makedirs(os.path.join(self.work, ".git"))

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def env(self, **extra):
        return clean_env(HOME=self.dir, XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                         AGENTGUARD_SYSTEM_POLICY=os.path.join(self.dir, "no-system.toml"),
                         AGENTGUARD_STATE_DIR=self.state, KUBECTL_LOG=self.log,
                         PATH=self.bin + ":" + os.environ["PATH"], SHELL="/bin/bash", **extra)

    def ran(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return f.read().splitlines()


class EveryCommandHonoursAgentguardPolicy(Sandbox):
    def test_run(self):
        r = run([AGENTGUARD, "run", "--", "bash", "-c", "kubectl delete pod x; echo status=$?; kubectl get pods"],
                cwd=self.work, env=self.env(AGENTGUARD_POLICY=self.team))
        self.assertIn(f"status={REFUSED}", r.stdout, r)
        self.assertIn("team-no-kubectl-delete", r.stderr)
        self.assertEqual(self.ran(), ["get pods"])  # the delete never ran, the harmless command did

    def test_run_without_the_variable_does_not_apply_the_team_policy(self):
        # The control: the same line without AGENTGUARD_POLICY runs (the fake kubectl is harmless).
        r = run([AGENTGUARD, "run", "--", "bash", "-c", "kubectl delete pod x"], cwd=self.work, env=self.env())
        self.assertEqual(r.status, 0, r)
        self.assertEqual(self.ran(), ["delete pod x"])

    def test_env(self):
        r = run([AGENTGUARD, "env"], cwd=self.work, env=self.env(AGENTGUARD_POLICY=self.team))
        self.assertEqual(r.status, 0, r)
        self.assertIn(self.team, r.stdout)
        script = r.stdout + "\nbash -c 'kubectl delete pod x'; echo status=$?\n"
        r = run(["bash", "-c", script], cwd=self.work, env=self.env())
        self.assertIn(f"status={REFUSED}", r.stdout, r)
        self.assertEqual(self.ran(), [])

    def test_shell(self):
        r = run([AGENTGUARD, "shell"], cwd=self.work, env=self.env(AGENTGUARD_POLICY=self.team),
                input="kubectl delete pod x; echo status=$?\nexit\n")
        self.assertIn(f"status={REFUSED}", r.stdout + r.stderr, r)
        self.assertEqual(self.ran(), [])

    def test_policy_show_check_explain(self):
        env = self.env(AGENTGUARD_POLICY=self.team)
        r = run([AGENTGUARD, "policy", "show"], cwd=self.work, env=env)
        self.assertEqual(r.status, 0, r)
        self.assertIn(f"{self.team}  (AGENTGUARD_POLICY)", r.stdout)
        self.assertIn("team-no-kubectl-delete", r.stdout)
        r = run([AGENTGUARD, "policy", "check"], cwd=self.work, env=env)
        self.assertEqual(r.status, 0, r)
        self.assertIn(f"layer: {self.team}", r.stdout)
        r = run([AGENTGUARD, "policy", "explain", "--", "kubectl", "delete", "pod", "x"], cwd=self.work, env=env)
        self.assertEqual(r.status, 1, r)
        self.assertIn("decision:  deny (rule team-no-kubectl-delete", r.stdout)

    def test_doctor(self):
        r = run([AGENTGUARD, "doctor"], cwd=self.work, env=self.env(AGENTGUARD_POLICY=self.team))
        self.assertIn("policy valid: built-in default + " + self.team, r.stdout, r)

    def test_a_missing_file_stops_every_command(self):
        env = self.env(AGENTGUARD_POLICY=os.path.join(self.dir, "missing.toml"))
        r = run([AGENTGUARD, "run", "--", "bash", "-c", "kubectl delete pod x"], cwd=self.work, env=env)
        self.assertEqual(r.status, 2, r)
        r = run([AGENTGUARD, "policy", "check"], cwd=self.work, env=env)
        self.assertEqual(r.status, 1, r)
        self.assertIn("missing.toml", r.stdout + r.stderr)
        self.assertEqual(self.ran(), [])

    def test_the_old_name_still_works_and_says_it_is_deprecated(self):
        env = self.env(AGENTGUARD_POLICY_FILE=self.team)
        for argv in ([AGENTGUARD, "run", "--", "bash", "-c", "kubectl delete pod x; echo status=$?"],
                     [AGENTGUARD, "policy", "explain", "--", "kubectl", "delete", "pod", "x"]):
            r = run(argv, cwd=self.work, env=env)
            self.assertIn("AGENTGUARD_POLICY_FILE is deprecated", r.stderr, r)
        self.assertIn("decision:  deny (rule team-no-kubectl-delete", r.stdout)
        self.assertEqual(self.ran(), [])

    def test_inside_a_session_the_sessions_layers_hold(self):
        # The session's own AGENTGUARD_POLICY is the list it fixed; an agent exporting another one
        # changes nothing (the preload puts the session's value back into every child).
        other = os.path.join(self.dir, "other.toml")
        with open(other, "w") as f:
            f.write("schema = 1\n")
        script = (f"AGENTGUARD_POLICY={other} {AGENTGUARD} policy show | grep -c team-no-kubectl-delete; "
                  f"export AGENTGUARD_POLICY={other}; kubectl delete pod x; echo status=$?")
        r = run([AGENTGUARD, "run", "--", "bash", "-c", script], cwd=self.work, env=self.env(AGENTGUARD_POLICY=self.team))
        self.assertIn(f"status={REFUSED}", r.stdout, r)
        self.assertTrue(r.stdout.startswith("1\n"), r)
        self.assertEqual(self.ran(), [])


class InstalledPrefixSystemFile(Sandbox):
    def test_prefix_etc_policy_is_read(self):
        prefix = os.path.join(self.dir, "prefix")
        r = run(["cmake", "--install", BUILD_DIR, "--prefix", prefix], env=clean_env())
        self.assertEqual(r.status, 0, r)
        system = os.path.join(prefix, "etc", "agentguard", "policy.toml")
        self.assertTrue(os.path.exists(system))  # installed there by `cmake --install`
        with open(system, "w") as f:
            f.write(TEAM_POLICY)
        env = self.env()
        del env["AGENTGUARD_SYSTEM_POLICY"]
        cli = os.path.join(prefix, "bin", "agentguard")
        r = run([cli, "policy", "show"], cwd=self.work, env=env)
        self.assertIn(f"{system}  (system)", r.stdout, r)
        r = run([cli, "run", "--", "bash", "-c", "kubectl delete pod x; echo status=$?"], cwd=self.work, env=env)
        self.assertIn(f"status={REFUSED}", r.stdout, r)
        self.assertEqual(self.ran(), [])


class ProjectPolicyAtEachLaunch(Sandbox):
    def setUp(self):
        super().setUp()
        self.proj = os.path.join(self.work, "proj")
        os.makedirs(os.path.join(self.proj, "sub"))
        os.mkdir(os.path.join(self.proj, ".git"))
        self.project_file = os.path.join(self.proj, ".agentguard.toml")
        with open(self.project_file, "w") as f:
            f.write(PROJECT_POLICY)

    def test_cd_into_a_stricter_project_mid_session(self):
        # The agent starts in the parent directory: its session knows nothing of proj's file.
        script = ("kubectl delete pod a; echo outside=$?\n"
                  "cd proj && kubectl delete pod b; echo inside=$?\n"
                  "kubectl get pods; echo get=$?\n"
                  "(cd sub && kubectl delete pod c); echo below=$?\n"
                  "bash -c 'kubectl delete pod d'; echo nested=$?\n"
                  "cd .. && kubectl delete pod e; echo back=$?\n")
        r = run([AGENTGUARD, "run", "--", "bash", "-c", script], cwd=self.work, env=self.env())
        out = dict(line.split("=") for line in r.stdout.split() if "=" in line)
        self.assertEqual(out, {"outside": "0", "inside": str(REFUSED), "get": "0", "below": str(REFUSED),
                               "nested": str(REFUSED), "back": "0"}, r)
        self.assertIn("proj-no-kubectl-delete", r.stderr)
        self.assertEqual(self.ran(), ["delete pod a", "get pods", "delete pod e"])

    def test_a_project_file_created_mid_session_in_the_start_directory(self):
        os.remove(self.project_file)
        script = (f"kubectl delete pod a; echo before=$?\n"
                  f"cat > .agentguard.toml <<'TOML'\n{PROJECT_POLICY}TOML\n"
                  f"kubectl delete pod b; echo after=$?\n")
        r = run([AGENTGUARD, "run", "--", "bash", "-c", script], cwd=self.proj, env=self.env())
        self.assertIn("before=0", r.stdout, r)
        self.assertIn(f"after={REFUSED}", r.stdout, r)
        self.assertEqual(self.ran(), ["delete pod a"])

    def test_started_inside_the_project_its_programs_are_watched_from_the_start(self):
        r = run([AGENTGUARD, "run", "--", "bash", "-c", "kubectl delete pod x; echo status=$?; kubectl get pods"],
                cwd=self.proj, env=self.env())
        self.assertIn(f"status={REFUSED}", r.stdout, r)
        self.assertEqual(self.ran(), ["get pods"])
        # ... and the session's watch list covers the file, so plain launches there skip the gate.
        r = run([AGENTGUARD, "run", "--", "bash", "-c", "echo $AGENTGUARD_WATCH"], cwd=self.proj, env=self.env())
        self.assertRegex(r.stdout, r";r=\d+:\d+:\d+:\d+\s*$")

    def test_policy_show_names_the_project_file(self):
        r = run([AGENTGUARD, "policy", "show"], cwd=os.path.join(self.proj, "sub"), env=self.env())
        self.assertIn(f"{self.project_file}  (project, tighten-only)", r.stdout, r)
        self.assertIn("proj-no-kubectl-delete", r.stdout)


class NotifyIsValidated(Sandbox):
    CASES = [
        ('[notify]\nwebhooks = [{ url = "https://x.example/h", fromat = "slack" }]\n', 4, 44, "unknown key `fromat`"),
        ('[notify]\nwebhook = [{ url = "https://x.example/h" }]\n', 4, 1, "unknown key `webhook` in [notify]"),
        ('[notify]\nwebhooks = [{ url = "https://x.example/h", format = "teams" }]\n', 4, 53, 'unknown webhook format "teams"'),
        ('[notify]\nwebhooks = [{ url = "ftp://x.example/h" }]\n', 4, 21, "a webhook `url` must start with https://"),
        ('[notify]\napproval_page = "http://127.0.0.1:8765/?x=1"\n', 4, 17, "`approval_page` must be the page's base address"),
        ('[notify]\napproval_page = "http://evil.example|Approve"\n', 4, 17, "`approval_page` must be the page's base address"),
        ('[notify]\napproval_page = 8765\n', 4, 17, "`approval_page` must be a string"),
    ]

    def test_errors_name_file_line_col(self):
        for text, line, col, message in self.CASES:
            with self.subTest(text=text):
                with open(self.team, "w") as f:
                    f.write("schema = 1\n\n" + text)
                r = run([AGENTGUARD, "policy", "check"], cwd=self.work, env=self.env(AGENTGUARD_POLICY=self.team))
                self.assertEqual(r.status, 1, r)
                self.assertIn(f"{self.team}:{line}:{col}: {message}", r.stdout + r.stderr)
                self.assertIn(message, r.stdout + r.stderr)

    def test_a_valid_notify_table_loads(self):
        with open(self.team, "w") as f:
            f.write('schema = 1\n[notify]\nfold_window_seconds = 30\napproval_page = "http://127.0.0.1:8765"\nwebhooks = [{ url = "https://hooks.slack.com/services/T/B/x", '
                    'name = "team" }, { url = "http://127.0.0.1:9/j", format = "json", secret_env = "S" }]\n')
        r = run([AGENTGUARD, "policy", "check"], cwd=self.work, env=self.env(AGENTGUARD_POLICY=self.team))
        self.assertEqual(r.status, 0, r)


if __name__ == "__main__":
    unittest.main()
