"""The guard protects itself (issue 15, docs/threat-model.md "The guard protects itself"): each
attack a same-user agent made on the guard's own files, channel, approvals and processes, tried
for real from inside `agentguard run`, and the legitimate uses that must keep working.

The agent is a shell (or a Python program) started by the real `agentguard run`; the human is this
process, outside the tree. Webhook receivers are loopback servers the test starts; what they got
(or never got) is the assertion."""
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import AGENTGUARD, BLOCKED, GATE, REFUSED, TERRAFORM, TerraformWorkspace, clean_env, require_build, run
from test_approvals import at_terminal
from tf_support import no_stateless_default_policy
from webhook_sink import WebhookSink

TF_ENV = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
REPLACE_DB = "terraform apply -replace=terraform_data.database -auto-approve -input=false -no-color"
PENDING = re.compile(r"agentguard: pending approval (ev_\S+)")


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class SelfGuardCase(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.state_dir = tempfile.mkdtemp(prefix="ag-state-")
        self.scratch = tempfile.mkdtemp(prefix="ag-scratch-")
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(self.state_dir, ignore_errors=True)
        shutil.rmtree(self.scratch, ignore_errors=True)

    def agent(self, script, cwd=None, policy=None, shell="bash", prefix=(), strict=False, **env):
        """Starts the agent (`agentguard run -- bash -c script`); env is run's own environment."""
        argv = [*prefix, AGENTGUARD, "run", "--state-dir", self.state_dir] + (["--strict"] if strict else [])
        argv += ["--policy", policy] if policy else ["--default-only"]
        argv += ["--", shell, "-c", script]
        p = subprocess.Popen(argv, cwd=cwd or self.scratch, env=clean_env(**TF_ENV, **env), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def agent_run(self, script, **kw):
        p = self.agent(script, **kw)
        out, err = p.communicate(timeout=300)
        return p.returncode, out, err

    def human(self, *args):
        return run([AGENTGUARD, *args], env=clean_env(AGENTGUARD_STATE_DIR=self.state_dir))


class GuardFiles(SelfGuardCase):
    def test_the_state_directory_cannot_be_changed_from_inside(self):
        # The trust files as the session made them: the policy snapshot, the session's API rules.
        script = r"""
S="$AGENTGUARD_STATE_DIR"
try() { name=$1; shift; if "$@" 2>>"$S_ERR"; then echo "DONE $name"; else echo "REFUSED $name"; fi; }
S_ERR=/dev/stderr
ls "$S"/policy-cache/*.snap "$S"/sessions/*.api-rules > "$OUT/trust-files"
snap=$(ls "$S"/policy-cache/*.snap | head -1)
rules=$(ls "$S"/sessions/*.api-rules | head -1)
try snapshot sh -c "printf planted > '$snap'"
try snapshot-python python3 -c "import os,sys; open(sys.argv[1]+'.x','w').write('x'); os.replace(sys.argv[1]+'.x', sys.argv[1])" "$snap"
try api-rules cp /dev/null "$rules"
try api-rules-rm rm -f "$rules"
try last-good sh -c "mkdir -p '$S/policy-last-good' && printf '{}' > '$S/policy-last-good/planted.json'"
try audit-append sh -c "echo '{}' >> '$S/audit.jsonl'"
try audit-rm rm -f "$S/audit.jsonl"
try approval sh -c "mkdir -p '$S/approvals' && echo '{\"decision\":\"approve\"}' > '$S/approvals/ev_x.response.json'"
try spool sh -c "mkdir -p '$S/spool' && echo x > '$S/spool/planted.json'"
try move-state mv "$S" "$S.moved"
try key sh -c "echo x > '$S/keys/state.key'"
true
"""
        # One refused launch first, so the audit log exists; then the attacks.
        status, out, err = self.agent_run("terraform destroy -auto-approve >/dev/null 2>&1; " + script,
                                          OUT=self.scratch)
        self.assertEqual(status, 0, (out, err))
        with open(os.path.join(self.scratch, "trust-files")) as f:
            trust = f.read().split()
        self.assertEqual(len(trust), 2, trust)
        self.assertNotIn("DONE", out, (out, err))
        for name in ("snapshot", "snapshot-python", "api-rules", "api-rules-rm", "last-good", "audit-append",
                     "audit-rm", "approval", "spool", "move-state", "key"):
            self.assertIn("REFUSED " + name + "\n", out, (out, err))
        self.assertIn(BLOCKED, err)
        self.assertIn("one of agentguard's own files", err)
        for path in trust:
            self.assertTrue(os.path.exists(path), path)
            self.assertNotEqual(read_bytes(path), b"planted")
        self.assertGreater(os.path.getsize(trust[1]), 0)
        self.assertFalse(glob.glob(os.path.join(self.state_dir, "policy-last-good", "planted.json")))
        self.assertFalse(os.path.exists(os.path.join(self.state_dir, "approvals", "ev_x.response.json")))
        self.assertFalse(os.path.exists(self.state_dir + ".moved"))
        # The audit log still holds the refused destroy, and the refused writes were recorded too.
        with open(os.path.join(self.state_dir, "audit.jsonl")) as f:
            events = [json.loads(line)["event"] for line in f if line.strip()]
        self.assertTrue(any(e.get("rule_id") == "protected-paths.guard" for e in events), events[-3:])
        self.assertTrue(any("destroy" in " ".join(e.get("argv") or []) for e in events))
        self.assertEqual(self.human("audit", "verify").status, 0)

    def test_the_policy_in_force_cannot_be_edited_from_inside(self):
        policy = os.path.join(self.scratch, "team-policy.toml")
        with open(policy, "w") as f:
            f.write('schema = 1\n')
        before = read_bytes(policy)
        status, out, err = self.agent_run(
            f"echo 'disable = [\"*\"]' >> {policy} || echo REFUSED-edit; "
            f"mv {policy} {policy}.old || echo REFUSED-move; "
            f"mv {self.scratch} {self.scratch}.moved || echo REFUSED-dir", policy=policy)
        self.assertIn("REFUSED-edit", out, (out, err))
        self.assertIn("REFUSED-move", out, (out, err))
        self.assertIn("REFUSED-dir", out, (out, err))
        self.assertEqual(read_bytes(policy), before)

    def test_the_session_record_and_the_webhook_secret_cannot_be_read(self):
        secret_file = os.path.join(self.scratch, "webhook-secret")
        with open(secret_file, "w") as f:
            f.write("s3cret-signing-key\n")
        with WebhookSink() as sink:
            script = r"""
S="$AGENTGUARD_STATE_DIR"
cat "$S/sessions/$AGENTGUARD_SESSION.json" || echo REFUSED-record
python3 -c 'import sys; print(open(sys.argv[1]).read())' "$S/sessions/$AGENTGUARD_SESSION.json" || echo REFUSED-record-python
cat "$SECRET" || echo REFUSED-secret
ln -s "$SECRET" "$OUT/link" && cat "$OUT/link" || echo REFUSED-secret-link
cat "$S/keys/state.key" > /dev/null || echo REFUSED-key
env | grep '^AGENTGUARD_WEBHOOK' || echo NO-WEBHOOK-VARIABLES
"""
            status, out, err = self.agent_run(script, SECRET=secret_file, OUT=self.scratch,
                                              AGENTGUARD_WEBHOOK_URL="json:" + sink.url,
                                              AGENTGUARD_WEBHOOK_SECRET_FILE=secret_file)
        self.assertEqual(status, 0, (out, err))
        for marker in ("REFUSED-record\n", "REFUSED-record-python", "REFUSED-secret\n", "REFUSED-secret-link",
                       "REFUSED-key", "NO-WEBHOOK-VARIABLES"):
            self.assertIn(marker, out, (out, err))
        self.assertNotIn("s3cret-signing-key", out + err)
        self.assertNotIn(str(sink.port), out)
        self.assertIn("blocked reading", err)

    def test_reading_commands_keep_working_inside_the_tree(self):
        status, out, err = self.agent_run(
            "terraform destroy -auto-approve >/dev/null 2>&1; "
            f"{AGENTGUARD} log; echo log=$?; {AGENTGUARD} policy show >/dev/null; echo show=$?; "
            f"{AGENTGUARD} doctor --no-webhook-test; echo doctor=$?")
        self.assertIn("log=0", out, (out, err))
        self.assertIn("destroy", out.split("log=0")[0])
        self.assertIn("show=0", out, (out, err))
        self.assertIn("doctor=0", out, (out, err))
        self.assertIn("state directory protected from this tree", out)
        self.assertNotIn("blocked writing", err)
        self.assertNotIn("blocked reading", err)


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class HumanChannel(SelfGuardCase):
    def test_a_launch_cannot_redirect_or_silence_the_webhook(self):
        go = os.path.join(self.scratch, "go")
        with WebhookSink() as human, WebhookSink() as agent_listener:
            p = self.agent(
                f"AGENTGUARD_WEBHOOK_URL=json:{agent_listener.url} terraform destroy -auto-approve; "
                "AGENTGUARD_WEBHOOK_URL=not-a-url terraform destroy -auto-approve -lock=false; "
                f"for i in $(seq 600); do [ -e {go} ] && break; sleep 0.1; done; true",
                AGENTGUARD_WEBHOOK_URL="json:" + human.url)
            # While the session runs, the human hears of both refusals.
            deadline = time.time() + 60
            while time.time() < deadline and len(set(human.event_ids())) < 2:
                human.wait_for(len(human.requests) + 1, timeout=1)
            heard_in_session = len(set(human.event_ids()))
            open(go, "w").close()
            out, err = p.communicate(timeout=120)
            self.assertGreaterEqual(err.count(BLOCKED), 2, err)
            self.assertEqual(heard_in_session, 2, (human.requests, err))
            self.assertEqual(agent_listener.requests, [], "the agent's listener must never be sent anything")


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class Approvals(SelfGuardCase):
    def setUp(self):
        super().setUp()
        self.ws = TerraformWorkspace()
        self.policy = no_stateless_default_policy(self.scratch)

    def tearDown(self):
        super().tearDown()
        self.ws.cleanup()

    def wait_for_request(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(r"^(ev_\S+)  \[holding\]", self.human("approvals").stdout, re.M)
            if m:
                return m.group(1)
            time.sleep(0.2)
        self.fail("no request is holding")

    def test_self_approval_through_the_environment_fails(self):
        with WebhookSink() as agent_listener:
            # The agent points the held launch's notifier at itself, then writes the answer.
            p = self.agent(f"AGENTGUARD_WEBHOOK_URL=json:{agent_listener.url} {REPLACE_DB}", cwd=self.ws.dir,
                           policy=self.policy, AGENTGUARD_APPROVAL_HOLD="wait")
            request_id = self.wait_for_request()
            got_code = agent_listener.wait_for(1, timeout=5)
            status, out, err = self.agent_run(
                f"echo '{{\"decision\":\"approve\",\"by\":\"definitely-a-human@ops\"}}' > "
                f"$AGENTGUARD_STATE_DIR/approvals/{request_id}.response.json || echo REFUSED",
                cwd=self.ws.dir, policy=self.policy)
            self.assertIn("REFUSED", out, (out, err))
            self.assertFalse(got_code, agent_listener.requests)
            self.human("deny", request_id)
            p.communicate(timeout=120)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)

    def test_the_approver_is_who_the_os_says(self):
        p = self.agent(REPLACE_DB, cwd=self.ws.dir, policy=self.policy, AGENTGUARD_APPROVAL_HOLD="wait")
        request_id = self.wait_for_request()
        status, screen = at_terminal([AGENTGUARD, "deny", request_id, "--reason", "not now"],
                                     clean_env(AGENTGUARD_STATE_DIR=self.state_dir))
        self.assertEqual(status, 0, screen)
        p.communicate(timeout=120)
        with open(os.path.join(self.state_dir, "approvals", request_id + ".response.json")) as f:
            answer = json.load(f)
        who = answer["approver"]
        self.assertEqual(who["uid"], os.getuid())
        import pwd
        self.assertEqual(who["user"], pwd.getpwuid(os.getuid()).pw_name)
        self.assertTrue(who["tty"].startswith("/dev/pts/"), who)
        self.assertGreater(who["pid"], 1)
        self.assertNotEqual(who["pid"], os.getpid())
        with open(os.path.join(self.state_dir, "audit.jsonl")) as f:
            messages = [json.loads(line)["event"].get("message", "") for line in f]
        self.assertTrue(any(f"uid {os.getuid()}" in m and who["tty"] in m for m in messages), messages)


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class NoPeeking(SelfGuardCase):
    PEEK = r"""
import os, subprocess, sys, time
me = os.getpid()
held = subprocess.Popen(sys.argv[1].split(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def parent(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])
def gates():
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/comm") as f:
                exe = f.read().strip()
            pid = int(d)
            p = pid
            while p > 1 and p != me:
                p = parent(p)
            if p == me and exe.endswith("agentguard-gate"):
                found.append(pid)
        except OSError:
            pass
    return found
deadline = time.time() + 120
while not gates() and time.time() < deadline:
    time.sleep(0.1)
open(os.environ["GO"], "w").close()
while not os.path.exists(os.environ["GO"] + ".code") and time.time() < deadline:
    time.sleep(0.1)
code = open(os.environ["GO"] + ".code").read().encode()
if not gates():
    print("NO GATE FOUND")
for pid in gates():
    for what in ("environ", "maps", "mem"):
        try:
            open(f"/proc/{pid}/{what}", "rb").close()
            print("OPENED", what)
        except OSError as e:
            print("REFUSED", what, e.errno)
    try:
        with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
            for line in maps:
                addresses, perms = line.split()[:2]
                if "r" not in perms:
                    continue
                start, end = (int(x, 16) for x in addresses.split("-"))
                try:
                    mem.seek(start)
                    if code in mem.read(end - start):
                        print("FOUND THE CODE")
                except OSError:
                    pass
    except OSError:
        pass
sys.stdout.flush()
open(os.environ["GO"] + ".done", "w").close()
held.wait()
"""

    def test_the_held_launchs_parent_cannot_read_the_gates_memory(self):
        self.check_the_gates_memory_is_unreadable(strict=False)

    def test_in_a_strict_session_too(self):
        # There every exec the gate makes (terraform plan and show for the review, the notifier)
        # carries the session's token, so the gate stays unreadable and the review still runs.
        probe = run([GATE, "--probe-supervisor"])
        if probe.status != 0:
            self.skipTest("no seccomp user notification here: " + probe.stdout)
        self.check_the_gates_memory_is_unreadable(strict=True)

    def check_the_gates_memory_is_unreadable(self, strict):
        ws = TerraformWorkspace()
        self.addCleanup(ws.cleanup)
        policy = no_stateless_default_policy(self.scratch)
        go = os.path.join(self.scratch, "go")
        peek = os.path.join(self.scratch, "peek.py")
        with open(peek, "w") as f:
            f.write(self.PEEK)
        with WebhookSink() as human:
            # The agent's user has no capabilities: as root (CI), the test drops them all, as an
            # ordinary user has none. (Root keeping CAP_SYS_PTRACE or the DAC overrides can read any
            # process: out of reach of any same-user design.)
            prefix = ("setpriv", "--bounding-set=-all", "--inh-caps=-all") if os.getuid() == 0 else ()
            p = self.agent(f"python3 {peek} '{REPLACE_DB}'", cwd=ws.dir, policy=policy, GO=go, prefix=prefix, strict=strict,
                           AGENTGUARD_APPROVAL_HOLD="wait", AGENTGUARD_WEBHOOK_URL="json:" + human.url)
            deadline = time.time() + 120
            while not os.path.exists(go) and time.time() < deadline:
                time.sleep(0.1)
            self.assertTrue(human.wait_for(1, timeout=60), "the human must be sent the request")
            code = human.requests[0].json["approval"]["code"]
            request_id = human.requests[0].json["approval"]["id"]
            with open(go + ".code", "w") as f:
                f.write(code)
            # The reader has its turn while the launch is held; then the human answers.
            deadline = time.time() + 120
            while not os.path.exists(go + ".done") and time.time() < deadline:
                time.sleep(0.1)
            self.human("deny", request_id)
            out, err = p.communicate(timeout=120)
        self.assertNotIn("FOUND THE CODE", out, (out, err))
        for what in ("environ", "maps", "mem"):
            self.assertIn("REFUSED " + what, out, (out, err))
        self.assertEqual(ws.ids(), ws.initial_ids)


class KeyedRecord(SelfGuardCase):
    def test_a_rechained_log_fails_verify_and_the_receivers_anchors(self):
        with WebhookSink() as human:
            status, out, err = self.agent_run(
                "terraform destroy -auto-approve; terraform destroy -auto-approve -lock=false; true",
                AGENTGUARD_WEBHOOK_URL="json:" + human.url)
            self.assertTrue(human.wait_for(1, timeout=30), err)
            payloads = os.path.join(self.scratch, "payloads.jsonl")
            with open(payloads, "w") as f:
                for request in human.requests:
                    f.write(json.dumps(request.json) + "\n")
        anchors = [r.json["audit"] for r in human.requests]
        self.assertTrue(all(a["seq"] >= 1 and len(a["hash"]) == 64 for a in anchors), anchors)
        r = self.human("audit", "verify", "--against", payloads)
        self.assertEqual(r.status, 0, r)
        self.assertIn("every MAC checked", r.stdout)
        self.assertRegex(r.stdout, r"[1-9]\d* record\(s\) match what the receiver saved")

        # The attack: remove the first refusal and re-chain the rest (no key: no MACs), head too.
        log = os.path.join(self.state_dir, "audit.jsonl")
        with open(log) as f:
            records = [json.loads(line) for line in f if line.strip()]
        kept = [rec for rec in records if rec["seq"] != anchors[0]["seq"]]
        prev = "0" * 64
        lines = []
        for seq, rec in enumerate(kept, 1):
            rec.pop("mac", None)
            rec["seq"], rec["prev"] = seq, prev
            rec.pop("hash", None)
            body = json.dumps(rec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            rec["hash"] = hashlib.sha256((prev + body).encode()).hexdigest()
            prev = rec["hash"]
            lines.append(json.dumps(rec, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
        with open(log, "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(os.path.join(self.state_dir, "audit.head"), "w") as f:
            json.dump({"records": len(kept), "hash": prev}, f)

        r = self.human("audit", "verify")
        self.assertEqual(r.status, 1, r)
        self.assertIn("has no MAC", r.stdout)
        # Had the attacker removed the key as well, the chain alone would pass: the receiver's
        # anchors still disagree with the rewritten log.
        key = os.path.join(self.state_dir, "keys", "state.key")
        os.rename(key, key + ".away")
        self.assertEqual(self.human("audit", "verify").status, 0)
        r = self.human("audit", "verify", "--against", payloads)
        self.assertEqual(r.status, 1, r)
        self.assertRegex(r.stdout, r"differs from what the receiver got|is not in the log")


if __name__ == "__main__":
    unittest.main()
