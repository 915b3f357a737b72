"""`agentguard notify test`, `agentguard audit verify` and `agentguard log` against a loopback
webhook sink that checks signatures with Python's own hmac."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from webhook_sink import WebhookSink, expected_signature

BUILD_DIR = os.path.abspath(os.environ.get("AGENTGUARD_BUILD_DIR") or
                            os.path.join(os.path.dirname(__file__), "..", "..", "build"))
AGENTGUARD = os.path.join(BUILD_DIR, "bin", "agentguard")

EVENT_FIELDS = ["id", "time", "host", "user", "cwd", "pid", "parents", "session", "kind", "argv", "program",
                "resolved_path", "service", "operation", "endpoint", "resources", "decision", "rule_id",
                "policy_file", "message"]


def agentguard(args, state_dir, timeout=60, **env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTGUARD_") and k != "LD_PRELOAD"}
    env["AGENTGUARD_STATE_DIR"] = state_dir
    env.update(env_extra)
    return subprocess.run([AGENTGUARD] + args, env=env, capture_output=True, text=True, timeout=timeout)


class StateDirTest(unittest.TestCase):
    def setUp(self):
        self.state = tempfile.mkdtemp(prefix="agentguard-notify-")
        self.addCleanup(shutil.rmtree, self.state, True)


class NotifyTestCommand(StateDirTest):
    def test_without_a_webhook_it_fails_and_says_how_to_configure_one(self):
        result = agentguard(["notify", "test"], self.state)
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("AGENTGUARD_WEBHOOK_URL", result.stderr)

    def test_json_and_slack_are_signed_and_complete(self):
        with WebhookSink(secret="t0p-secret") as sink:
            before = int(time.time())
            # Inside a session the webhooks are the ones its record fixed at the start (what
            # `agentguard run` writes), never the environment's.
            os.makedirs(os.path.join(self.state, "sessions"))
            with open(os.path.join(self.state, "sessions", "s_test.json"), "w") as f:
                json.dump({"session": "s_test", "webhooks": [
                    {"name": "json", "url": sink.url + "/json", "format": "json", "secret": "t0p-secret"},
                    {"name": "slack", "url": sink.url + "/slack", "format": "slack", "secret": "t0p-secret"}]}, f)
            result = agentguard(["notify", "test"], self.state, AGENTGUARD_WEBHOOK_URL="json:http://127.0.0.1:9/ignored",
                                AGENTGUARD_SESSION="s_test")
            self.assertEqual(result.returncode, 0, result)
            self.assertTrue(sink.wait_for(2, timeout=5))
            by_path = {r.path: r for r in sink.requests}
            self.assertEqual(set(by_path), {"/hook/json", "/hook/slack"})

            for request in sink.requests:
                # The signature is checked here, independently of agentguard's code.
                self.assertTrue(request.signature_ok, request.headers)
                timestamp = int(request.headers["x-agentguard-timestamp"])
                self.assertLessEqual(abs(timestamp - before), 60)
                self.assertEqual(request.headers["x-agentguard-signature"],
                                 expected_signature("t0p-secret", str(timestamp), request.body))
                self.assertTrue(request.event_id.startswith("ev_"), request.event_id)
                self.assertEqual(request.headers["content-type"], "application/json")

            payload = by_path["/hook/json"].json
            self.assertEqual(payload["schema"], "agentguard.event/1")
            for field in EVENT_FIELDS:
                self.assertIn(field, payload)
            self.assertEqual(payload["id"], by_path["/hook/json"].event_id)
            self.assertEqual(payload["argv"], ["terraform", "destroy", "-auto-approve"])
            self.assertEqual(payload["decision"], "deny")
            self.assertEqual(payload["session"], "s_test")
            self.assertEqual(payload["count"], 1)
            self.assertEqual(payload["event_ids"], [payload["id"]])
            self.assertRegex(payload["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertTrue(payload["parents"] and all("pid" in p and "name" in p for p in payload["parents"]))

            slack = by_path["/hook/slack"].json
            self.assertIn("terraform destroy -auto-approve", slack["text"])
            self.assertIn(payload["host"], slack["text"])
            blocks = json.dumps(slack["blocks"])
            for needle in ["header", payload["cwd"], "agentguard.notify-test", "Nothing was run or blocked"]:
                self.assertIn(needle, blocks)

            # The report names each webhook, its format, the status and that it was signed.
            for url, fmt in (("%s/json" % sink.url, "json"), ("%s/slack" % sink.url, "slack")):
                line = next(l for l in result.stdout.splitlines() if url in l)
                self.assertIn("ok", line)
                self.assertIn("format=" + fmt, line)
                self.assertIn("signed", line)
                self.assertIn("HTTP 200", line)

    def test_secret_from_file_and_discord(self):
        secret_file = os.path.join(self.state, "secret")
        with open(secret_file, "w") as f:
            f.write("from-a-file\n")
        with WebhookSink(secret="from-a-file") as sink:
            result = agentguard(["notify", "test"], self.state, AGENTGUARD_WEBHOOK_URL="discord:" + sink.url,
                                AGENTGUARD_WEBHOOK_SECRET_FILE=secret_file)
            self.assertEqual(result.returncode, 0, result)
            self.assertTrue(sink.wait_for(1, timeout=5))
            self.assertTrue(sink.requests[0].signature_ok)
            self.assertEqual(sorted(sink.requests[0].json), ["allowed_mentions", "content"])
            self.assertIn("terraform destroy", sink.requests[0].json["content"])

    def test_unsigned_without_a_secret(self):
        with WebhookSink() as sink:
            result = agentguard(["notify", "test"], self.state, AGENTGUARD_WEBHOOK_URL=sink.url)
            self.assertEqual(result.returncode, 0, result)
            self.assertTrue(sink.wait_for(1, timeout=5))
            self.assertNotIn("x-agentguard-signature", sink.requests[0].headers)
            self.assertIn("unsigned", result.stdout)

    def test_each_failure_is_reported_and_the_exit_status_is_1(self):
        with WebhookSink(status=500) as failing, WebhookSink() as working:
            down = WebhookSink().start()
            down_url = down.url
            down.go_down()
            urls = " ".join([failing.url, working.url, down_url])
            result = agentguard(["notify", "test"], self.state, AGENTGUARD_WEBHOOK_URL=urls)
            self.assertEqual(result.returncode, 1, result)
            lines = result.stdout.splitlines()
            self.assertIn("HTTP 500", next(l for l in lines if failing.url in l))
            self.assertTrue(next(l for l in lines if failing.url in l).startswith("FAILED"))
            self.assertTrue(next(l for l in lines if working.url in l).startswith("ok"))
            self.assertTrue(next(l for l in lines if down_url in l).startswith("FAILED"))


class AuditCommands(StateDirTest):
    def write_chain(self, count):
        """A chain made the documented way: hash = sha256(prev + canonical JSON without hash)."""
        import hashlib
        prev = "0" * 64
        lines = []
        for seq in range(1, count + 1):
            record = {"seq": seq, "prev": prev,
                      "event": {"id": "ev_%d" % seq, "time": "2026-11-26T03:40:%02d.000Z" % seq, "decision": "deny",
                                "rule_id": "terraform.destroy", "program": "terraform", "cwd": "/srv/infra",
                                "argv": ["terraform", "destroy", "-target=module.m%d" % seq], "kind": "exec"}}
            canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            record["hash"] = hashlib.sha256((prev + canonical).encode()).hexdigest()
            prev = record["hash"]
            lines.append(json.dumps(record, sort_keys=True, separators=(",", ":")))
        path = os.path.join(self.state, "audit.jsonl")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path, lines

    def test_verify_accepts_an_independently_built_chain(self):
        self.write_chain(4)
        result = agentguard(["audit", "verify"], self.state)
        self.assertEqual(result.returncode, 0, result)
        self.assertTrue(result.stdout.startswith("ok: 4 records"), result.stdout)

    def test_verify_points_at_the_edited_line(self):
        path, lines = self.write_chain(4)
        lines[1] = lines[1].replace('"deny"', '"allow"')
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        result = agentguard(["audit", "verify"], self.state)
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("audit.jsonl:2:", result.stdout)
        self.assertIn("edited", result.stdout)

    def test_verify_points_at_a_removed_record(self):
        path, lines = self.write_chain(4)
        del lines[2]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        result = agentguard(["audit", "verify"], self.state)
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("audit.jsonl:3:", result.stdout)
        self.assertIn("removed", result.stdout)

    def test_log_shows_a_table_and_json(self):
        self.write_chain(3)
        result = agentguard(["log", "-n", "2"], self.state, COLUMNS="160")
        self.assertEqual(result.returncode, 0, result)
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), 3, result.stdout)  # header + 2 rows
        for column in ["TIME", "DECISION", "RULE", "PROGRAM", "CWD", "COMMAND"]:
            self.assertIn(column, lines[0])
        self.assertIn("terraform destroy -target=module.m3", lines[2])
        self.assertIn("2026-11-26 03:40:03", lines[2])
        self.assertIn("terraform.destroy", lines[2])
        self.assertNotIn("module.m1", result.stdout)

        as_json = agentguard(["log", "--json", "-n", "0"], self.state)
        records = [json.loads(l) for l in as_json.stdout.splitlines()]
        self.assertEqual([r["seq"] for r in records], [1, 2, 3])

    def test_log_follow_prints_new_events(self):
        path, lines = self.write_chain(2)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTGUARD_")}
        env["AGENTGUARD_STATE_DIR"] = self.state
        proc = subprocess.Popen([AGENTGUARD, "log", "--json", "-n", "1", "--follow"], env=env,
                                stdout=subprocess.PIPE, text=True)
        try:
            first = json.loads(proc.stdout.readline())
            self.assertEqual(first["seq"], 2)
            _, more = self.write_chain(3)  # rewrites the same chain plus record 3
            with open(path, "w") as f:
                f.write("\n".join(more) + "\n")
            third = json.loads(proc.stdout.readline())
            self.assertEqual(third["seq"], 3)
        finally:
            proc.terminate()
            proc.wait(timeout=5)
            proc.stdout.close()


if __name__ == "__main__":
    unittest.main()


class ApprovalRequest(StateDirTest):
    """`agentguard notify send-approval-request`: what the gate pipes the one-time code through."""

    def request(self, expires_in=600):
        return {"id": "ev_20261126T040000Z_00000000000000aa", "time": "2026-11-26T04:00:00.000Z", "host": "h",
                "user": "u", "cwd": "/srv", "pid": 1, "parents": [], "session": "", "kind": "exec",
                "argv": ["terraform", "apply", "-var", "db_password=hunter2"], "program": "terraform",
                "resolved_path": "/usr/bin/terraform", "decision": "ask", "rule_id": "terraform.apply.ask",
                "policy_file": "p.toml", "message": "needs a human",
                "approval": {"id": "ev_20261126T040000Z_00000000000000aa", "code": "WXYZ-2345",
                             "expires_unix": int(time.time()) + expires_in, "status": "pending", "seq": 1,
                             "approve_command": "agentguard approve ev_20261126T040000Z_00000000000000aa WXYZ-2345",
                             "deny_command": "agentguard deny ev_20261126T040000Z_00000000000000aa"}}

    def send(self, payload, urls, timeout=60):
        self.send_request_file(payload)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTGUARD_")}
        env.update({"AGENTGUARD_STATE_DIR": self.state, "AGENTGUARD_WEBHOOK_URL": urls,
                    "AGENTGUARD_WEBHOOK_SECRET": "k"})
        return subprocess.run([AGENTGUARD, "notify", "send-approval-request"], input=json.dumps(payload), env=env,
                              capture_output=True, text=True, timeout=timeout)

    def send_request_file(self, payload):
        # The gate writes the request file before it pipes the code to the notifier; the notifier
        # follows that file (no file: the request is gone and nothing is sent).
        approval = payload.get("approval")
        if approval:
            os.makedirs(os.path.join(self.state, "approvals"), exist_ok=True)
            with open(os.path.join(self.state, "approvals", approval["id"] + ".request.json"), "w") as f:
                json.dump({"id": approval["id"], "created_unix": int(time.time()),
                           "expires_unix": approval["expires_unix"], "argv": payload["argv"], "cwd": payload["cwd"],
                           "program": payload["program"], "rule_id": payload["rule_id"],
                           "message": payload["message"]}, f)

    def test_the_code_reaches_the_human_redacted_signed_and_nowhere_else(self):
        # The notifier stays with its request until it leaves "pending" (the gate starts it
        # detached); removing the request file ends it.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTGUARD_")}
        with WebhookSink(secret="k") as sink:
            payload = self.request()
            self.send_request_file(payload)
            env.update({"AGENTGUARD_STATE_DIR": self.state,
                        "AGENTGUARD_WEBHOOK_URL": "json:%s/j slack:%s/s" % (sink.url, sink.url),
                        "AGENTGUARD_WEBHOOK_SECRET": "k"})
            proc = subprocess.Popen([AGENTGUARD, "notify", "send-approval-request"], stdin=subprocess.PIPE, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                proc.stdin.write(json.dumps(payload))
                proc.stdin.close()
                self.assertTrue(sink.wait_for(2, timeout=20))
                by_path = {r.path: r for r in sink.requests}
                body = by_path["/hook/j"].json
                self.assertEqual(body["approval"]["code"], "WXYZ-2345")
                self.assertEqual(body["argv"][-1], "db_password=[REDACTED]")
                self.assertTrue(all(r.signature_ok for r in sink.requests))
                self.assertIn("agentguard approve ev_20261126T040000Z_00000000000000aa WXYZ-2345",
                              by_path["/hook/s"].json["text"])
                self.assert_nowhere_in_the_state("WXYZ-2345")  # not spooled, not logged
            finally:
                os.unlink(os.path.join(self.state, "approvals", payload["approval"]["id"] + ".request.json"))
                proc.wait(timeout=30)
            self.assert_nowhere_in_the_state("WXYZ-2345")  # nor in what the notifier left behind

    def assert_nowhere_in_the_state(self, text):
        # The notifier may still be writing (a temporary file renamed away between the listing and
        # the open): a file that is gone by then is skipped; the final files are read after it ends.
        for root, _, files in os.walk(self.state):
            for name in files:
                try:
                    with open(os.path.join(root, name), errors="replace") as f:
                        self.assertNotIn(text, f.read(), name)
                except FileNotFoundError:
                    continue

    # The notifier follows its request: it ends when the request ends (answered, expired), and when a
    # webhook still has not taken the last update, it gives up once the request has been over for
    # its bound (10 minutes; AGENTGUARD_APPROVAL_NOTIFY_SECONDS shortens it for these tests).
    def start_notifier(self, payload, urls, **env_extra):
        self.send_request_file(payload)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTGUARD_")}
        env.update({"AGENTGUARD_STATE_DIR": self.state, "AGENTGUARD_WEBHOOK_URL": urls}, **env_extra)
        proc = subprocess.Popen([AGENTGUARD, "notify", "send-approval-request"], stdin=subprocess.PIPE, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        def stop():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        self.addCleanup(stop)
        proc.stdin.write(json.dumps(payload))
        proc.stdin.close()
        return proc

    def statuses(self, sink):
        return [r.json["approval"]["status"] for r in sink.requests if r.json and "approval" in r.json]

    def test_the_notifier_ends_when_the_request_is_answered(self):
        with WebhookSink() as sink:
            payload = self.request(expires_in=600)
            proc = self.start_notifier(payload, "json:" + sink.url)
            self.assertTrue(sink.wait_for(1, timeout=30))
            self.assertIsNone(proc.poll(), "it stays while the request is pending")
            env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTGUARD_")}
            env["AGENTGUARD_STATE_DIR"] = self.state
            deny = subprocess.run([AGENTGUARD, "deny", payload["approval"]["id"], "--reason", "no"], env=env,
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(deny.returncode, 0, deny)
            # Ten minutes before the request would have expired, the notifier is done.
            self.assertEqual(proc.wait(timeout=60), 0, proc.stderr.read())
            self.assertEqual(self.statuses(sink), ["pending", "denied"])

    def test_the_notifier_ends_when_the_request_expires_with_nobody_left_to_say_so(self):
        with WebhookSink() as sink:
            payload = self.request(expires_in=3)
            proc = self.start_notifier(payload, "json:" + sink.url)
            self.assertEqual(proc.wait(timeout=60), 0, proc.stderr.read())
            self.assertEqual(self.statuses(sink), ["pending", "expired"])
            with open(os.path.join(self.state, "approvals", payload["approval"]["id"] + ".outcome.json")) as f:
                self.assertEqual(json.load(f)["status"], "expired")

    def test_with_the_webhook_down_the_notifier_retries_after_the_request_ended_then_gives_up(self):
        sink = WebhookSink().start()
        self.addCleanup(sink.stop)
        url = sink.url
        sink.go_down()
        payload = self.request(expires_in=2)
        # A bound long enough for the webhook to come back: the expired update still arrives.
        proc = self.start_notifier(payload, "json:" + url, AGENTGUARD_APPROVAL_NOTIFY_SECONDS="60")
        outcome = os.path.join(self.state, "approvals", payload["approval"]["id"] + ".outcome.json")
        deadline = time.time() + 60
        while not os.path.exists(outcome) and time.time() < deadline:
            time.sleep(0.2)
        self.assertTrue(os.path.exists(outcome), "the request never expired")
        self.assertIsNone(proc.poll(), "the request is over, but its last update was not delivered yet")
        sink.come_up()
        self.assertEqual(proc.wait(timeout=90), 0, proc.stderr.read())
        self.assertEqual(self.statuses(sink), ["expired"], "the stale pending message is never sent after it")
        # A webhook that never comes back: the notifier gives up at its bound instead of staying.
        sink.go_down()
        payload = self.request(expires_in=2)
        payload["approval"]["id"] = payload["id"] = "ev_20261126T040000Z_00000000000000bb"
        proc = self.start_notifier(payload, "json:" + url, AGENTGUARD_APPROVAL_NOTIFY_SECONDS="3")
        self.assertEqual(proc.wait(timeout=60), 0, proc.stderr.read())
        self.assertIn("FAILED", proc.stdout.read())

    def test_rejects_input_without_an_approval(self):
        payload = self.request()
        del payload["approval"]
        self.assertEqual(self.send(payload, "http://127.0.0.1:9/").returncode, 2)
