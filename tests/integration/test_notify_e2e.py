"""Issue 3 end to end: a real blocked `terraform destroy` reaches a webhook sink with every field and
a signature the sink verifies on its own; the refusal stays fast and the event durable when the
webhook is down, failing or hanging; 32 refusals at once are all recorded, chained and delivered;
tampering with the audit log is found at the right record."""
import json
import os
import shutil
import tempfile
import time
import unittest

from harness import (AGENTGUARD, BLOCKED, TERRAFORM, TerraformWorkspace, audit_records, clean_env, guarded,
                     require_build, run)
from webhook_sink import WebhookSink

SECRET = "e2e-webhook-secret"
TF_ENV = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class BlockedDestroyNotifiesAHuman(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_build(cls)
        cls.ws = TerraformWorkspace()

    @classmethod
    def tearDownClass(cls):
        cls.ws.cleanup()

    def setUp(self):
        self.state_dir = tempfile.mkdtemp(prefix="ag-e2e-")
        self.sink = WebhookSink(secret=SECRET).start()

    def tearDown(self):
        self.sink.stop()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def env(self):
        return dict(TF_ENV, AGENTGUARD_WEBHOOK_URL="json:" + self.sink.url, AGENTGUARD_WEBHOOK_SECRET=SECRET)

    def timed_refusal(self, extra=""):
        """Runs one blocked destroy in a guarded shell; returns (result, seconds the destroy took)."""
        script = ('s=$(date +%s%N); terraform destroy -auto-approve ' + extra +
                  '; st=$?; e=$(date +%s%N); echo "elapsed_ns=$((e-s)) status=$st"')
        r = guarded(script, cwd=self.ws.dir, state_dir=self.state_dir, extra_env=self.env(), timeout=120)
        line = [l for l in r.stdout.splitlines() if l.startswith("elapsed_ns=")]
        self.assertTrue(line, r)
        fields = dict(kv.split("=") for kv in line[0].split())
        self.assertEqual(fields["status"], "126", r)
        return r, int(fields["elapsed_ns"]) / 1e9

    def spooled_ids(self):
        spool = os.path.join(self.state_dir, "spool")
        return {f[:-5] for f in os.listdir(spool) if f.endswith(".json")} if os.path.isdir(spool) else set()

    def test_every_field_arrives_signed_and_secrets_stay_home(self):
        r, seconds = self.timed_refusal("-var db_password=hunter2")
        self.assertIn(BLOCKED, r.stderr)
        self.assertIn("a human has been notified", r.stderr)
        self.assertTrue(self.sink.wait_for(1, timeout=20), "the webhook never received the event")
        req = self.sink.requests[0]
        self.assertTrue(req.signature_ok, "signature did not verify with the sink's own HMAC")
        ev = req.json
        self.assertEqual(req.event_id, ev["id"])
        self.assertEqual(ev["schema"], "agentguard.event/1")
        for field in ("id", "time", "host", "user", "cwd", "pid", "parents", "argv", "program", "resolved_path",
                      "decision", "rule_id", "policy_file", "message"):
            self.assertIn(field, ev)
        self.assertEqual(ev["cwd"], self.ws.dir)
        self.assertEqual(ev["decision"], "deny")
        self.assertEqual(ev["rule_id"], "terraform-destroy")
        self.assertEqual(ev["program"], "terraform")
        self.assertEqual(ev["resolved_path"], os.path.realpath(TERRAFORM))
        self.assertEqual(ev["argv"][:2], ["terraform", "destroy"])
        self.assertIn("<built-in default>:", ev["policy_file"])
        self.assertTrue(ev["message"])
        self.assertGreater(ev["pid"], 1)
        self.assertTrue(ev["parents"] and all(p.get("name") and p.get("pid") for p in ev["parents"]), ev["parents"])
        self.assertEqual(ev["parents"][0]["name"], "bash")
        # The password never leaves the machine, and is not in the audit log either.
        self.assertNotIn(b"hunter2", req.body)
        with open(os.path.join(self.state_dir, "audit.jsonl")) as f:
            self.assertNotIn("hunter2", f.read())
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def check_failure_then_recovery(self, break_sink):
        break_sink()
        r, seconds = self.timed_refusal()
        self.assertLess(seconds, 1.5, f"the refusal took {seconds:.2f}s with a broken webhook")
        event_id = audit_records(self.state_dir)[-1]["id"]
        self.assertIn(event_id, self.spooled_ids(), "the undelivered event is not in the spool")
        self.sink.come_up(200)
        r = run([AGENTGUARD, "notify", "flush"], env=clean_env(AGENTGUARD_STATE_DIR=self.state_dir,
                                                              AGENTGUARD_WEBHOOK_URL="json:" + self.sink.url,
                                                              AGENTGUARD_WEBHOOK_SECRET=SECRET), timeout=60)
        deadline = time.time() + 30
        while event_id not in self.sink.event_ids() and time.time() < deadline:
            time.sleep(0.2)
        self.assertIn(event_id, self.sink.event_ids(), r)
        self.assertNotIn(event_id, self.spooled_ids())
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def test_sink_down(self):
        self.check_failure_then_recovery(self.sink.go_down)

    def test_sink_answers_500(self):
        self.check_failure_then_recovery(lambda: self.sink.answer(500))

    def test_sink_hangs(self):
        self.check_failure_then_recovery(self.sink.hang)

    def test_32_refusals_at_once_are_chained_and_all_delivered(self):
        script = "for i in $(seq 32); do terraform destroy -auto-approve 2>/dev/null & done; wait"
        guarded(script, cwd=self.ws.dir, state_dir=self.state_dir, extra_env=self.env(), timeout=300)
        records = audit_records(self.state_dir)
        self.assertEqual(len(records), 32)
        self.assertEqual({r["decision"] for r in records}, {"deny"})
        r = run([AGENTGUARD, "audit", "verify"], env=clean_env(AGENTGUARD_STATE_DIR=self.state_dir))
        self.assertEqual(r.status, 0, r)
        self.assertIn("32", r.stdout)
        ids = {r["id"] for r in records}
        deadline = time.time() + 60
        while not ids <= set(self.sink.event_ids()) and time.time() < deadline:
            run([AGENTGUARD, "notify", "flush"], env=clean_env(AGENTGUARD_STATE_DIR=self.state_dir,
                                                              AGENTGUARD_WEBHOOK_URL="json:" + self.sink.url,
                                                              AGENTGUARD_WEBHOOK_SECRET=SECRET), timeout=60)
            time.sleep(0.5)
        self.assertTrue(ids <= set(self.sink.event_ids()), f"undelivered: {ids - set(self.sink.event_ids())}")
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def test_tampering_is_found_at_the_record(self):
        for _ in range(3):
            self.timed_refusal()
        path = os.path.join(self.state_dir, "audit.jsonl")
        with open(path) as f:
            original = f.readlines()
        self.assertEqual(len(original), 3)

        def verify_with(lines):
            with open(path, "w") as f:
                f.writelines(lines)
            return run([AGENTGUARD, "audit", "verify"], env=clean_env(AGENTGUARD_STATE_DIR=self.state_dir))

        edited = list(original)
        edited[1] = edited[1].replace('"deny"', '"allow"')
        r = verify_with(edited)
        self.assertEqual(r.status, 1, r)
        self.assertIn("2", r.stdout + r.stderr)
        r = verify_with([original[0], original[2]])
        self.assertEqual(r.status, 1, r)
        r = verify_with([original[0], original[2], original[1]])
        self.assertEqual(r.status, 1, r)
        r = verify_with(original)
        self.assertEqual(r.status, 0, r)


if __name__ == "__main__":
    unittest.main()
