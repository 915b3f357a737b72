"""The human in the loop: holds that fit an agent's clock, answers from a terminal without any
webhook, the deferred flow (pending, approved, repeated once), dead requests, `deny --reason`,
wrong codes, and the order of a request's notifications.

Real terraform with terraform_data resources; resource ids are read from the state afterwards. The
test plays the agent (a shell started by `agentguard run`) and the human (this process, outside the
guarded tree; a pseudo-terminal stands for the human's terminal)."""
import http.cookiejar
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from tf_support import no_stateless_default_policy
from harness import (AGENTGUARD, REFUSED, TERRAFORM, RecordingHTTPServer, TerraformWorkspace, audit_records, clean_env,
                     require_build, run)

TF_ENV = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
REPLACE_DB = "terraform apply -replace=terraform_data.database -auto-approve -input=false -no-color"
PENDING = re.compile(r"agentguard: pending approval (ev_\S+); when a human approves, run the same command again")


def at_terminal(argv, env, answers=(), timeout=120):
    """Runs argv with a pseudo-terminal as its controlling terminal, as a human in a terminal would.
    `answers` are (prompt, reply) pairs: each reply is typed when its prompt has appeared."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    out, pending, seen = b"", list(answers), 0
    deadline = time.time() + timeout
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                raise AssertionError(f"{argv} did not finish; it printed {out!r}")
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            out += data
            while pending and pending[0][0].encode() in out[seen:]:
                seen = len(out)
                os.write(fd, pending.pop(0)[1].encode() + b"\n")
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


class AgentAndHuman:
    """A real workspace, a guarded agent and the human outside the tree, sharing a state directory."""

    def setUp(self):
        require_build(self)
        self.ws = TerraformWorkspace()
        self.state_dir = tempfile.mkdtemp(prefix="ag-state-")
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            for pipe in (p.stdout, p.stderr):
                if pipe:
                    pipe.close()
        self.ws.cleanup()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    # --- the agent's side -------------------------------------------------------------------
    def agent(self, script, policies=(), **env):
        """Starts `script` in a guarded shell (its own process group, so the test can kill it)."""
        policy = no_stateless_default_policy(self.state_dir)  # terraform_data stands in for a database
        argv = [AGENTGUARD, "run", "--policy", policy]
        for extra in policies:
            argv += ["--policy", extra]
        argv += ["--state-dir", self.state_dir, "--", "bash", "-c", script]
        p = subprocess.Popen(argv, cwd=self.ws.dir, env=clean_env(**TF_ENV, **env), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.procs.append(p)
        return p

    def agent_run(self, script, policies=(), **env):
        p = self.agent(script, policies, **env)
        out, err = p.communicate(timeout=300)
        return p.returncode, out, err

    # --- the human's side -------------------------------------------------------------------
    def human_env(self, **extra):
        return clean_env(AGENTGUARD_STATE_DIR=self.state_dir, **extra)

    def human(self, *args):
        return run([AGENTGUARD, *args], env=self.human_env())

    def wait_for_request(self, state, timeout=120):
        """Polls `agentguard approvals` like a human would, until a request is in `state`."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.human("approvals")
            m = re.search(r"^(ev_\S+)  \[" + re.escape(state) + r"\]", r.stdout, re.M)
            if m:
                return m.group(1), r.stdout
            time.sleep(0.2)
        self.fail(f"no request became {state}: {self.human('approvals', '--all')}")

    def approve_at_terminal(self, request_id):
        return at_terminal([AGENTGUARD, "approve", request_id], self.human_env(), [("Type yes to approve", "yes")])

    def remove_from_config(self, name):
        path = os.path.join(self.ws.dir, "main.tf")
        with open(path) as f:
            lines = [l for l in f if f'"{name}"' not in l]
        with open(path, "w") as f:
            f.writelines(lines)



@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class ApprovalsWithoutWebhook(AgentAndHuman, unittest.TestCase):
    def test_no_webhook_held_answered_at_a_terminal_and_run(self):
        self.remove_from_config("website")
        proc = self.agent("terraform apply -auto-approve -input=false -no-color")
        request_id, listing = self.wait_for_request("holding")
        # The listing shows the request in full: command, directory, what it would delete.
        self.assertIn("terraform apply -auto-approve", listing)
        self.assertIn(self.ws.dir, listing)
        self.assertIn("delete terraform_data.website", listing)
        self.assertIn("no code was sent", listing)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids, "nothing may happen while it is held")
        # Without a terminal there is no approval: stdin saying yes does not count.
        r = subprocess.run([AGENTGUARD, "approve", request_id], input="yes\n", capture_output=True, text=True,
                           env=self.human_env(), start_new_session=True, timeout=60)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("confirms at your terminal", r.stderr)
        # At the terminal: shown in full, confirmed, run.
        status, screen = self.approve_at_terminal(request_id)
        self.assertEqual(status, 0, screen)
        self.assertIn("delete terraform_data.website", screen)
        self.assertIn("ran:", screen)
        out, err = proc.communicate(timeout=300)
        self.assertEqual(proc.returncode, 0, (out, err))
        self.assertIn("No webhook is configured, so nobody was notified", err)
        self.assertNotIn("code", err.split("No webhook")[0].lower().replace("terraform", ""))
        self.assertEqual(out.count("Apply complete!"), 1)
        ids = self.ws.ids()
        self.assertNotIn("terraform_data.website", ids)
        self.assertEqual(ids["terraform_data.database"], self.ws.initial_ids["terraform_data.database"])
        decisions = [e["decision"] for e in audit_records(self.state_dir)]
        self.assertEqual((decisions.count("ask"), decisions.count("approved")), (1, 1), decisions)

    def test_deferred_flow_pending_then_approved_runs_once_and_a_second_repeat_is_refused(self):
        status, out, err = self.agent_run(REPLACE_DB, AGENTGUARD_APPROVAL_HOLD="2")
        self.assertEqual(status, REFUSED, (out, err))
        m = PENDING.search(err)
        self.assertTrue(m, err)
        request_id = m.group(1)
        self.assertIn("This waits up to 2 seconds", err)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)
        # The request stays open, waiting for the agent's repeat.
        found, listing = self.wait_for_request("waiting for the agent to repeat it")
        self.assertEqual(found, request_id)
        self.assertIn("replace terraform_data.database", listing)
        # Approved while nobody waits: recorded, and the exit status says nothing ran yet.
        status, screen = self.approve_at_terminal(request_id)
        self.assertEqual(status, 2, screen)
        self.assertIn("nothing ran yet", screen)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)
        # Another launch is not covered by this approval (argv differs): held on its own.
        status, out, err = self.agent_run("terraform apply -replace=terraform_data.website -auto-approve -input=false",
                                          AGENTGUARD_APPROVAL_HOLD="1")
        self.assertEqual(status, REFUSED, (out, err))
        self.assertNotEqual(PENDING.search(err).group(1), request_id)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)
        # The same launch repeated: runs once.
        status, out, err = self.agent_run(REPLACE_DB, AGENTGUARD_APPROVAL_HOLD="2")
        self.assertEqual(status, 0, (out, err))
        self.assertIn(f"request {request_id}", err)
        self.assertEqual(out.count("Apply complete!"), 1)
        after = self.ws.ids()
        self.assertNotEqual(after["terraform_data.database"], self.ws.initial_ids["terraform_data.database"])
        self.assertEqual(after["terraform_data.website"], self.ws.initial_ids["terraform_data.website"])
        # A second repeat is not covered: it is a new request and nothing runs.
        status, out, err = self.agent_run(REPLACE_DB, AGENTGUARD_APPROVAL_HOLD="1")
        self.assertEqual(status, REFUSED, (out, err))
        self.assertNotEqual(PENDING.search(err).group(1), request_id)
        self.assertEqual(self.ws.ids(), after)
        r = self.human("approvals", "--all")
        self.assertRegex(r.stdout, re.escape(request_id) + r"  \[ran\]")

    def test_a_request_whose_waiting_process_died_is_shown_dead_and_approving_it_runs_nothing(self):
        proc = self.agent(REPLACE_DB, AGENTGUARD_APPROVAL_HOLD="wait")
        request_id, _ = self.wait_for_request("holding")
        os.killpg(proc.pid, signal.SIGKILL)  # the agent's tool gives up on the command
        proc.wait()
        found, listing = self.wait_for_request("dead", timeout=30)
        self.assertEqual(found, request_id)
        self.assertIn("is gone", listing)
        status, screen = self.approve_at_terminal(request_id)
        self.assertEqual(status, 2, screen)
        self.assertIn("nothing ran yet", screen)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def test_deny_with_a_reason_reaches_the_agent(self):
        proc = self.agent(REPLACE_DB)
        request_id, _ = self.wait_for_request("holding")
        r = self.human("deny", request_id, "--reason", "keep the database; drop the replace")
        self.assertEqual(r.status, 0, r)
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, REFUSED, (out, err))
        self.assertIn('denied it: "keep the database; drop the replace"', err)
        self.assertNotIn("wait for their decision", err.lower())
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)
        # Repeating a denied launch is refused with the same reason, without a new request.
        status, out, err = self.agent_run(REPLACE_DB, AGENTGUARD_APPROVAL_HOLD="1")
        self.assertEqual(status, REFUSED, (out, err))
        self.assertIn("keep the database", err)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def test_answering_from_inside_the_guarded_tree_is_refused(self):
        proc = self.agent(REPLACE_DB, AGENTGUARD_APPROVAL_HOLD="wait")
        request_id, _ = self.wait_for_request("holding")
        for command in (f"approve {request_id}", f"deny {request_id}"):
            status, out, err = self.agent_run(f"{AGENTGUARD} {command} </dev/null; echo status=$?")
            self.assertIn("status=3", out, (out, err))
        self.human("deny", request_id)
        proc.communicate(timeout=120)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class ApprovalsWithWebhook(AgentAndHuman, unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.webhook = RecordingHTTPServer(body=b"ok", content_type="text/plain")

    def tearDown(self):
        super().tearDown()
        self.webhook.stop()

    def approval_messages(self):
        out = []
        for req in list(self.webhook.requests):
            body = json.loads(req["body"])
            if isinstance(body.get("approval"), dict):
                out.append((req["headers"].get("X-Agentguard-Sequence"), body["approval"]))
        return out

    def wait_for_status(self, status, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            msgs = self.approval_messages()
            if any(a.get("status") == status for _, a in msgs):
                return msgs
            time.sleep(0.2)
        self.fail(f"no '{status}' message: {self.approval_messages()}")

    def test_wrong_code_can_be_retried_by_the_human_and_the_messages_arrive_in_order(self):
        hook = {"AGENTGUARD_WEBHOOK_URL": "json:" + self.webhook.url}
        status, out, err = self.agent_run(REPLACE_DB, AGENTGUARD_APPROVAL_HOLD="2", **hook)
        self.assertEqual(status, REFUSED, (out, err))
        request_id = PENDING.search(err).group(1)
        pending = self.wait_for_status("pending")
        code = pending[0][1]["code"]
        self.assertNotIn(code, out + err)
        self.assertNotIn("page_url", pending[0][1], "no approval page is configured: no link")
        # A typo: refused, and the request stays open for another try.
        r = self.human("approve", request_id, "AAAA-AAAA")
        self.assertEqual(r.status, 1, r)
        self.assertIn("not the code that was sent", r.stderr)
        r = self.human("approve", request_id, code)
        self.assertEqual(r.status, 2, r)  # approved; nothing ran yet
        status, out, err = self.agent_run(REPLACE_DB, AGENTGUARD_APPROVAL_HOLD="2", **hook)
        self.assertEqual(status, 0, (out, err))
        self.assertNotEqual(self.ws.ids()["terraform_data.database"], self.ws.initial_ids["terraform_data.database"])
        msgs = self.wait_for_status("ran")
        mine = [(h, a) for h, a in msgs if a["id"] == request_id]
        # In order, never a stale state after a newer one: pending first, ran last, each state once
        # (an "approved" still unsent when the launch already ran is skipped, never sent late).
        statuses = [a["status"] for _, a in mine]
        self.assertEqual(statuses[0], "pending", mine)
        self.assertEqual(statuses[-1], "ran", mine)
        self.assertIn(statuses, (["pending", "approved", "ran"], ["pending", "ran"]))
        self.assertEqual([int(h) for h, _ in mine], [a["seq"] for _, a in mine])
        self.assertEqual([a["seq"] for _, a in mine], sorted({a["seq"] for _, a in mine}))
        self.assertTrue(all("code" not in a for _, a in mine[1:]), "only the first message carries the code")

    def start_approval_page(self):
        """`agentguard ui` in the human's terminal: returns its address and an opener logged in with
        the one-time link it printed."""
        ui = subprocess.Popen([AGENTGUARD, "ui"], env=self.human_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.procs.append(ui)
        for line in ui.stdout:
            m = re.search(r"Log in once with: (http://127\.0\.0\.1:(\d+)/login/[0-9a-f]+)", line)
            if m:
                opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
                self.assertEqual(opener.open(m.group(1), timeout=30).status, 200)
                return f"http://127.0.0.1:{m.group(2)}", opener
        self.fail(f"agentguard ui printed no login link: {ui.stderr.read()}")

    def test_approval_messages_link_to_the_request_on_the_approval_page(self):
        base, browser = self.start_approval_page()
        page_policy = os.path.join(self.state_dir, "approval-page.toml")
        with open(page_policy, "w") as f:
            f.write(f'schema = 1\n[notify]\napproval_page = "{base}/"\n')
        hook = {"AGENTGUARD_WEBHOOK_URL": f"json:{self.webhook.url}/j slack:{self.webhook.url}/s discord:{self.webhook.url}/d"}
        status, out, err = self.agent_run(REPLACE_DB, [page_policy], AGENTGUARD_APPROVAL_HOLD="1", **hook)
        self.assertEqual(status, REFUSED, (out, err))
        request_id = PENDING.search(err).group(1)
        link = f"{base}/requests/{request_id}"
        deadline = time.time() + 120
        while time.time() < deadline and len({r["path"] for r in self.webhook.requests}) < 3:
            time.sleep(0.2)
        first = {}
        for req in list(self.webhook.requests):
            first.setdefault(req["path"], json.loads(req["body"]))
        self.assertEqual(set(first), {"/j", "/s", "/d"}, self.webhook.requests)
        # Each format carries the link in its own syntax.
        self.assertEqual(first["/j"]["approval"]["page_url"], link)
        self.assertIn(f"<{link}|open this request>", json.dumps(first["/s"]["blocks"]))
        self.assertIn(f"<{link}>", first["/d"]["content"])
        # The link is true: the page the human runs shows this request, with what it would replace;
        # without the login it shows nothing.
        page = browser.open(link, timeout=30).read().decode()
        self.assertIn(f'data-request-id="{request_id}"', page)
        self.assertIn("replace terraform_data.database", page)
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(link, timeout=30)
        self.assertEqual(refused.exception.code, 403)
        # The update after the answer says what happened, without the link.
        self.assertEqual(self.human("deny", request_id, "--reason", "not now").status, 0)
        msgs = self.wait_for_status("denied")
        self.assertTrue(all("page_url" not in a for _, a in msgs if a["status"] != "pending"), msgs)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def test_hostile_argv_and_cwd_are_escaped_in_every_format_and_on_the_page(self):
        # The agent names its directory and an argument so that, unescaped, Slack would ping the
        # channel and show a link of the agent's choosing, and a page would render markup.
        hostile_dir = os.path.join(self.ws.dir, "<!here>&co")
        os.makedirs(hostile_dir)
        with open(os.path.join(hostile_dir, "main.tf"), "w") as f:
            f.write('variable "note" {\n  default = ""\n}\nresource "terraform_data" "database" { input = "db" }\n')
        env = clean_env(**TF_ENV)
        for argv in (["terraform", "init", "-input=false", "-no-color"],
                     ["terraform", "apply", "-auto-approve", "-input=false", "-no-color"]):
            self.assertEqual(run(argv, cwd=hostile_dir, env=env).status, 0)
        base, browser = self.start_approval_page()
        hostile_arg = "-var=note=<https://evil.example|Approve here> <b>&</b>"
        hook = {"AGENTGUARD_WEBHOOK_URL": f"json:{self.webhook.url}/j slack:{self.webhook.url}/s discord:{self.webhook.url}/d"}
        status, out, err = self.agent_run(f"cd '{hostile_dir}' && {REPLACE_DB} '{hostile_arg}'", AGENTGUARD_APPROVAL_HOLD="1", **hook)
        self.assertEqual(status, REFUSED, (out, err))
        request_id = PENDING.search(err).group(1)
        deadline = time.time() + 120
        while time.time() < deadline and len({r["path"] for r in self.webhook.requests}) < 3:
            time.sleep(0.2)
        first = {}
        for req in list(self.webhook.requests):
            first.setdefault(req["path"], json.loads(req["body"]))
        self.assertEqual(set(first), {"/j", "/s", "/d"}, self.webhook.requests)
        # JSON is data: the receiver gets the exact text.
        self.assertEqual(first["/j"]["cwd"], hostile_dir)
        self.assertIn(hostile_arg, first["/j"]["argv"])
        # Slack: `&`, `<`, `>` from the agent are escaped in every text Slack parses.
        slack_texts = [first["/s"]["text"]]
        def collect(node):
            if isinstance(node, dict):
                if node.get("type") == "mrkdwn":
                    slack_texts.append(node["text"])
                for v in node.values():
                    collect(v)
            elif isinstance(node, list):
                for v in node:
                    collect(v)
        collect(first["/s"]["blocks"])
        joined = "\n".join(slack_texts)
        self.assertNotIn("<!here>", joined)
        self.assertNotIn("<https://evil.example", joined)
        self.assertIn("&lt;!here&gt;&amp;co", joined)
        self.assertIn("&lt;https://evil.example|Approve here&gt; &lt;b&gt;&amp;&lt;/b&gt;", joined)
        # Discord: no mentions at all; outside code, the agent's text cannot make markup.
        discord = first["/d"]
        self.assertEqual(discord["allowed_mentions"], {"parse": []})
        outside, in_code = [], False
        for i, part in enumerate(re.split(r"(```|`)", discord["content"])):
            if part in ("```", "`"):
                in_code = not in_code
            elif not in_code:
                outside.append(part)
        self.assertNotIn("<!here>", "".join(outside))
        self.assertNotIn("<https://evil.example", "".join(outside))
        # The page renders it as text.
        page = browser.open(f"{base}/requests/{request_id}", timeout=30).read().decode()
        self.assertIn("&lt;!here&gt;&amp;co", page)
        self.assertIn("&lt;https://evil.example|Approve here&gt; &lt;b&gt;&amp;&lt;/b&gt;", page)
        self.assertNotIn("<!here>", page)
        self.assertNotIn("<b>&</b>", page)
        self.assertEqual(self.human("deny", request_id).status, 0)

    def test_an_answer_written_without_the_code_closes_the_request(self):
        hook = {"AGENTGUARD_WEBHOOK_URL": "json:" + self.webhook.url}
        status, out, err = self.agent_run(REPLACE_DB, AGENTGUARD_APPROVAL_HOLD="1", **hook)
        request_id = PENDING.search(err).group(1)
        # The agent (same user) writes an approval into the state directory itself, guessing the code.
        path = os.path.join(self.state_dir, "approvals", request_id + ".response.json")
        with open(path, "w") as f:
            json.dump({"decision": "approve", "code": "AAAA-AAAA", "by": "agent", "time_unix": int(time.time())}, f)
        status, out, err = self.agent_run(REPLACE_DB, AGENTGUARD_APPROVAL_HOLD="1", **hook)
        self.assertEqual(status, REFUSED, (out, err))
        self.assertIn("without the right code", err)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)
        r = self.human("approvals", "--all")
        self.assertRegex(r.stdout, re.escape(request_id) + r"  \[rejected\]")


if __name__ == "__main__":
    unittest.main()
