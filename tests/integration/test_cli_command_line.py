"""Everything after `--` belongs to the command (issue 19): `run`, `shell` and `policy explain` hand
the words after `--` on untouched - options that look like agentguard's own, empty words and `--`
included - whatever agentguard options come before it. The README's own examples run as written."""
import json
import os
import re
import shutil
import stat
import tempfile
import unittest

from harness import AGENTGUARD, BUILD_DIR, SOURCE_DIR, clean_env, require_build, run

# A program that prints the argv it received (and the guard's layer list) as JSON, then exits 7 so
# the test also sees that `run` returns the command's own status.
PRINTER = """#!/usr/bin/env python3
import json, os, sys
print(json.dumps({"argv": sys.argv[1:], "policy": os.environ.get("AGENTGUARD_POLICY", ""),
                  "state_dir": os.environ.get("AGENTGUARD_STATE_DIR", "")}))
sys.exit(7)
"""
PRINTER_STATUS = 7

COMMAND_ARGS = [
    [],
    ["-x"],
    ["--long"],
    ["--policy"],
    ["--policy", "/nonexistent/never-loaded.toml"],
    ["--help"],
    ["-h"],
    ["--strict"],
    ["-c", "a b"],
    [""],
    ["", "destroy"],
    ["--"],
    ["-la", "--", "-x", ""],
]


class CommandLineAfterDoubleDash(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.dir = tempfile.mkdtemp(prefix="ag-argv-")
        self.printer = os.path.join(self.dir, "argv-printer")
        with open(self.printer, "w") as f:
            f.write(PRINTER)
        os.chmod(self.printer, 0o755)
        self.policy_a = os.path.join(self.dir, "a.toml")
        self.policy_b = os.path.join(self.dir, "b.toml")
        for path in (self.policy_a, self.policy_b):
            with open(path, "w") as f:
                f.write("schema = 1\n")
        self.state_dir = os.path.join(self.dir, "state")
        self.option_sets = {
            "none": [],
            "one --policy": ["--policy", self.policy_a],
            "two --policy": ["--policy", self.policy_a, "--policy", self.policy_b],
            "--state-dir": ["--state-dir", self.state_dir],
            "--policy=FILE": [f"--policy={self.policy_a}"],
        }

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def env(self, **extra):
        return clean_env(HOME=self.dir, AGENTGUARD_STATE_DIR=os.path.join(self.dir, "default-state"), **extra)

    def printed(self, result):
        lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
        self.assertEqual(len(lines), 1, result)
        return json.loads(lines[0])

    def check_options_took_effect(self, name, options, printed):
        layers = [p for p in printed["policy"].split(":") if p]
        if name == "one --policy" or name == "--policy=FILE":
            self.assertEqual(layers[-1:], [self.policy_a])
        if name == "two --policy":
            self.assertEqual(layers[-2:], [self.policy_a, self.policy_b], "layers keep the order given")
        if name == "--state-dir":
            self.assertEqual(printed["state_dir"], self.state_dir)

    def test_run_passes_the_command_line_untouched(self):
        for name, options in self.option_sets.items():
            for args in COMMAND_ARGS:
                with self.subTest(options=name, args=args):
                    r = run([AGENTGUARD, "run", *options, "--", self.printer, *args], cwd=self.dir, env=self.env())
                    self.assertEqual(r.status, PRINTER_STATUS, r)
                    printed = self.printed(r)
                    self.assertEqual(printed["argv"], args)
                    self.check_options_took_effect(name, options, printed)

    def test_shell_passes_the_words_after_double_dash_to_the_shell(self):
        # A shell that is not bash gets `-i` and then the words, exactly as given.
        for name, options in self.option_sets.items():
            for args in COMMAND_ARGS:
                with self.subTest(options=name, args=args):
                    r = run([AGENTGUARD, "shell", *options, "--", *args], cwd=self.dir,
                            env=self.env(SHELL=self.printer))
                    self.assertEqual(r.status, PRINTER_STATUS, r)
                    printed = self.printed(r)
                    self.assertEqual(printed["argv"], ["-i", *args])
                    self.check_options_took_effect(name, options, printed)

    def test_explain_takes_the_command_line_untouched(self):
        # The printer is not watched, so explain allows it (exit 0) and names it as the launch. Had
        # explain taken `--policy /nonexistent...` for its own it would fail to load it; had it taken
        # `--help` or `-h` it would print its help instead of a decision.
        for name, options in self.option_sets.items():
            if name == "--state-dir":
                continue  # explain has no state
            for args in COMMAND_ARGS:
                with self.subTest(options=name, args=args):
                    r = run([AGENTGUARD, "policy", "explain", *options, "--", self.printer, *args], cwd=self.dir,
                            env=self.env())
                    self.assertEqual(r.status, 0, r)
                    self.assertRegex(r.stdout, rf"(?m)^launch: +{re.escape(self.printer)}$")
                    self.assertRegex(r.stdout, r"(?m)^decision: +allow")

    def test_explain_sees_a_destroy_behind_arguments_that_look_like_ours(self):
        r = run([AGENTGUARD, "policy", "explain", "--policy", self.policy_a, "--policy", self.policy_b, "--",
                 "terraform", "destroy", "-auto-approve"], cwd=self.dir, env=self.env())
        self.assertEqual(r.status, 1, r)
        self.assertRegex(r.stdout, r"(?m)^decision: +deny")

    def test_a_missing_command_is_an_error_not_a_launch(self):
        for argv in ([AGENTGUARD, "run"], [AGENTGUARD, "run", "--policy", self.policy_a, "--"],
                     [AGENTGUARD, "policy", "explain", "--"]):
            with self.subTest(argv=argv[1:]):
                r = run(argv, cwd=self.dir, env=self.env())
                self.assertNotEqual(r.status, 0, r)
                self.assertIn("give the command", r.stderr + r.stdout)

    def test_unknown_agentguard_options_before_double_dash_are_errors(self):
        r = run([AGENTGUARD, "run", "--no-such-option", "--", self.printer], cwd=self.dir, env=self.env())
        self.assertNotEqual(r.status, PRINTER_STATUS, r)
        self.assertNotIn('"argv"', r.stdout)


class ReadmeExamples(unittest.TestCase):
    """The `agentguard run` lines of the README's Use section, run as written, with stand-in agents
    on PATH that print what they were given."""

    def setUp(self):
        require_build(self)
        self.dir = tempfile.mkdtemp(prefix="ag-readme-")
        self.bin = os.path.join(self.dir, "bin")
        os.mkdir(self.bin)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def readme_run_lines(self):
        with open(os.path.join(SOURCE_DIR, "README.md")) as f:
            text = f.read()
        use = text.split("## Use", 1)[1].split("\n## ", 1)[0]
        blocks = re.findall(r"```sh\n(.*?)```", use, re.S)
        lines = [line.strip() for block in blocks for line in block.splitlines()]
        return [line for line in lines if line.startswith("agentguard run ")]

    def test_each_example_runs_the_agent_with_its_own_arguments(self):
        lines = self.readme_run_lines()
        self.assertGreaterEqual(len(lines), 2, "the README's Use section shows `agentguard run` lines")
        for line in lines:
            with self.subTest(line=line):
                words = line.split()
                agent_words = words[words.index("--") + 1:]
                agent = os.path.join(self.bin, agent_words[0])
                with open(agent, "w") as f:
                    f.write(PRINTER)
                os.chmod(agent, os.stat(agent).st_mode | stat.S_IXUSR)
                for word in words[:words.index("--")]:
                    if word.endswith(".toml"):
                        with open(os.path.join(self.dir, word), "w") as f:
                            f.write("schema = 1\n")
                env = clean_env(HOME=self.dir, AGENTGUARD_STATE_DIR=os.path.join(self.dir, "state"),
                                PATH=f"{os.path.join(BUILD_DIR, 'bin')}:{self.bin}:{os.environ['PATH']}")
                r = run(["bash", "-c", line], cwd=self.dir, env=env)
                self.assertEqual(r.status, PRINTER_STATUS, r)
                printed = json.loads([l for l in r.stdout.splitlines() if l.startswith("{")][0])
                self.assertEqual(printed["argv"], agent_words[1:])


if __name__ == "__main__":
    unittest.main()
