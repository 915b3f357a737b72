"""The separated mode (issue 15, docs/threat-model.md "The separated mode"): agentguard-service runs
under a user of its own and keeps the approvals, the audit log and its key; the agent runs as
another user; a third user is the human who answers.

A static program (gcc -static: no dynamic loader, so no preload) running as the agent's user,
inside the agent's own guarded session, tries to read the key and the approval code, to answer the
held launch itself (in the service's files, over the socket, and in its own state directory, where
the same-user mode keeps answers), and to rewrite the audit log. Each attempt is asserted on what
the kernel or the service answered, and on what happened after: the launch stays held, the state
still holds every resource id, the log still verifies. Then the human answers from their own
account with the code the webhook got, and the held launch runs: the database is replaced.

Root only (CI): the test makes three users, the socket directory this build was configured with
(/run/agentguard by default) and starts the service there as its user; it skips when that
directory exists already (a real service on this machine). The service keeps only this test's
agent user, and lets only this test's approver answer, so other tests running at the same time
(as root or as other users) stay in the same-user mode."""
import glob
import hashlib
import hmac
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import uuid

from https_endpoint import HttpsEndpoint
from harness import AGENTGUARD, BUILD_DIR, GATE, SOURCE_DIR, TERRAFORM, TerraformWorkspace, clean_env, require_build, run
from test_setuid_launchers import reachable_for_others, restore_modes
from tf_support import no_stateless_default_policy
from webhook_sink import WebhookSink

SERVICE = os.path.join(BUILD_DIR, "lib", "agentguard", "agentguard-service")
SOCKET = "/run/agentguard/agentguard.sock"
SOCKET_DIR = os.path.dirname(SOCKET)
TF_ENV = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
REPLACE_DB = "terraform apply -replace=terraform_data.database -auto-approve -input=false -no-color"
ATTACKER_SOURCE = os.path.join(SOURCE_DIR, "tests", "integration", "separated", "static_attacker.c")


class User:
    def __init__(self, role, system=False):
        self.name = f"ag{role}{uuid.uuid4().hex[:5]}"
        subprocess.run(["useradd", "-M", "-s", "/bin/bash", *(["--system"] if system else []), self.name], check=True)
        self.uid = pwd.getpwnam(self.name).pw_uid
        self.gid = pwd.getpwnam(self.name).pw_gid

    def argv(self, argv):
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups", "--", *argv]

    def owns(self, *paths):
        for path in paths:
            for root, dirs, files in os.walk(path):
                for name in [root] + [os.path.join(root, n) for n in dirs + files]:
                    os.lchown(name, self.uid, self.gid)

    def remove(self):
        # A notifier of this throw-away user may still be finishing (userdel refuses while it runs).
        for pid, _ in processes_of(self.uid, None):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.time() + 10
        while processes_of(self.uid, None) and time.time() < deadline:
            time.sleep(0.05)
        subprocess.run(["userdel", self.name], check=False, capture_output=True)
        subprocess.run(["groupdel", self.name], check=False, capture_output=True)


def processes_of(uid, comm):
    """(pid, cmdline) of the processes of `uid` whose name is `comm` (any name: None)."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.stat(f"/proc/{d}").st_uid != uid:
                continue
            with open(f"/proc/{d}/comm") as f:
                if comm is not None and f.read().strip() != comm:
                    continue
            with open(f"/proc/{d}/cmdline", "rb") as f:
                found.append((int(d), f.read().replace(b"\0", b" ").decode(errors="replace")))
        except OSError:
            pass
    return found


@unittest.skipUnless(os.geteuid() == 0, "making users and starting the service as its own user needs root (CI)")
@unittest.skipUnless(TERRAFORM, "terraform is not installed")
@unittest.skipUnless(shutil.which("gcc"), "gcc is needed for the static attacker")
class SeparatedMode(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.path.exists(SOCKET_DIR):
            raise unittest.SkipTest(f"{SOCKET_DIR} exists: a real agentguard service may be running here")
        cls.service_user, cls.agent, cls.approver = User("svc", system=True), User("agent"), User("appr")
        cls.opened = reachable_for_others(BUILD_DIR)
        cls.base = tempfile.mkdtemp(prefix="ag-separated-")
        os.chmod(cls.base, 0o755)
        cls.service_state = os.path.join(cls.base, "service-state")
        os.mkdir(cls.service_state)
        cls.service_user.owns(cls.service_state)
        cls.attacker = os.path.join(cls.base, "static-attacker")
        subprocess.run(["gcc", "-static", "-O1", "-o", cls.attacker, ATTACKER_SOURCE], check=True)
        out = subprocess.run(["file", cls.attacker], capture_output=True, text=True).stdout
        assert "statically linked" in out, out
        os.makedirs(SOCKET_DIR, mode=0o755)
        os.chown(SOCKET_DIR, cls.service_user.uid, cls.service_user.gid)
        cls.service_log = open(os.path.join(cls.base, "service.log"), "w")
        cls.service = None
        cls.start_service()

    @classmethod
    def start_service(cls):
        cls.service = subprocess.Popen(
            cls.service_user.argv([SERVICE, "--state-dir", cls.service_state, "--agent-user", cls.agent.name,
                                   "--approver-user", cls.approver.name]),
            stdout=cls.service_log, stderr=subprocess.STDOUT, env=clean_env())
        deadline = time.time() + 30
        while not os.path.exists(SOCKET) and time.time() < deadline and cls.service.poll() is None:
            time.sleep(0.05)
        if not os.path.exists(SOCKET):
            cls.tearDownClass()
            raise AssertionError("the service did not start")

    @classmethod
    def tearDownClass(cls):
        if cls.service is not None and cls.service.poll() is None:
            cls.service.terminate()
            cls.service.wait(timeout=30)
        cls.service_log.close()
        shutil.rmtree(SOCKET_DIR, ignore_errors=True)
        restore_modes(cls.opened)
        for user in (cls.service_user, cls.agent, cls.approver):
            user.remove()
        shutil.rmtree(cls.base, ignore_errors=True)

    def setUp(self):
        require_build(self)
        self.scratch = tempfile.mkdtemp(prefix="ag-agent-", dir=self.base)
        self.state = os.path.join(self.scratch, "state")
        os.mkdir(self.state)
        self.agent.owns(self.scratch)
        os.chmod(self.scratch, 0o755)

    def tearDown(self):
        shutil.rmtree(self.scratch, ignore_errors=True)

    def as_user(self, user, argv, cwd="/", **env):
        return run(user.argv(argv), env=clean_env(HOME=self.scratch, USER=user.name, **env), cwd=cwd, timeout=300)

    def service_records(self):
        with open(os.path.join(self.service_state, "audit.jsonl")) as f:
            return [json.loads(line) for line in f if line.strip()]

    def test_doctor_names_the_mode_inside_and_outside_a_session(self):
        outside = self.as_user(self.agent, [AGENTGUARD, "doctor", "--no-webhook-test"], AGENTGUARD_STATE_DIR=self.state)
        self.assertIn("mode: separated: the agentguard service (user " + self.service_user.name, outside.stdout, outside)
        inside = self.as_user(self.agent, [AGENTGUARD, "run", "--default-only", "--state-dir", self.state, "--",
                                           AGENTGUARD, "doctor", "--no-webhook-test"])
        self.assertEqual(inside.status, 0, inside)
        self.assertIn("mode: separated:", inside.stdout, inside)
        # Root and the approver are not agent users of this service: the same-user mode is theirs.
        mine = run([AGENTGUARD, "doctor", "--no-webhook-test"], env=clean_env(AGENTGUARD_STATE_DIR=self.state))
        self.assertIn("mode: same-user: the agentguard service at " + SOCKET + " does not keep this user's sessions",
                      mine.stdout, mine)

    def test_a_service_that_does_not_answer_is_never_replaced_by_the_state_directory(self):
        # Killed (no clean stop): its socket stays, nothing answers behind it.
        self.service.kill()
        self.service.wait()
        try:
            self.assertTrue(os.path.exists(SOCKET))
            doctor = self.as_user(self.agent, [AGENTGUARD, "doctor", "--no-webhook-test"], AGENTGUARD_STATE_DIR=self.state)
            self.assertIn("FAIL  mode: separated, but the agentguard service (" + SOCKET + ") does not answer", doctor.stdout,
                          doctor)
            session = self.as_user(self.agent, [AGENTGUARD, "run", "--default-only", "--state-dir", self.state, "--",
                                                "echo", "must-not-run"])
            self.assertEqual(session.status, 2, session)
            self.assertNotIn("must-not-run", session.stdout)
            self.assertIn("cannot start a guarded session: the agentguard service (" + SOCKET + ") does not answer",
                          session.stderr)
            # Nothing was recorded in the state directory instead.
            self.assertFalse(os.path.exists(os.path.join(self.state, "audit.jsonl")))
            # The human is told that the agents' requests cannot be shown.
            listing = self.as_user(self.approver, [AGENTGUARD, "approvals"])
            self.assertIn("does not answer", listing.stderr, listing)
            self.assertIn("the requests of its agent users are not shown", listing.stderr, listing)
            # Users the service never kept (root here, and the approver) stay in the same-user mode:
            # a dead service stops only its agent users' sessions.
            mine = run([AGENTGUARD, "doctor", "--no-webhook-test"], env=clean_env(AGENTGUARD_STATE_DIR=self.state))
            self.assertIn("WARN  mode: same-user: the agentguard service (" + SOCKET + ") does not answer", mine.stdout, mine)
            self.assertIn("it does not keep this user's sessions", mine.stdout)
            root_state = tempfile.mkdtemp(prefix="ag-root-state-", dir=self.base)
            root_session = run([AGENTGUARD, "run", "--default-only", "--state-dir", root_state, "--", "echo", "root-ran"])
            self.assertEqual(root_session.status, 0, root_session)
            self.assertIn("root-ran", root_session.stdout)
        finally:
            self.start_service()

    # ---- the trust files: planted in the user's state directory, never read in the separated mode

    def team_policy(self, text):
        """A policy layer only root may change (the agent's static program cannot edit it)."""
        directory = tempfile.mkdtemp(prefix="ag-team-", dir=self.base)
        os.chmod(directory, 0o755)
        path = os.path.join(directory, "team-policy.toml")
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path

    def cached_files(self, policy, text):
        """(key, snapshot payload, compiled API rules) of the layers [builtin default, `policy` with
        `text`], as a same-user session (root's) caches them: the key depends on the texts alone."""
        with open(policy) as f:
            real = f.read()
        with open(policy, "w") as f:
            f.write(text)
        state = tempfile.mkdtemp(prefix="ag-root-cache-", dir=self.base)
        try:
            made = run([AGENTGUARD, "run", "--state-dir", state, "--policy", policy, "--", "true"],
                       env=clean_env(HOME=state))
            self.assertEqual(made.status, 0, made)
            [snap] = glob.glob(os.path.join(state, "policy-cache", "*.snap"))
            with open(snap, "rb") as f:
                header, key, _check, payload = f.read().split(b"\n", 3)
            with open(snap[:-len(".snap")] + ".api-rules", "rb") as f:
                rules = f.read().split(b"\n", 3)[3]
            return header, key.decode(), payload, rules
        finally:
            with open(policy, "w") as f:
                f.write(real)
            shutil.rmtree(state, ignore_errors=True)

    def user_key(self):
        """The agent user's own state key: its static programs can read it (the test reads it as root)."""
        made = self.as_user(self.agent, [AGENTGUARD, "run", "--state-dir", self.state, "--default-only", "--", "true"])
        self.assertEqual(made.status, 0, made)
        with open(os.path.join(self.state, "keys", "state.key"), "rb") as f:
            return f.read()

    def forged(self, name, data):
        """A file the static program copies from (readable by the agent's user)."""
        directory = os.path.join(self.base, "forged-" + os.path.basename(self.scratch))
        os.makedirs(directory, mode=0o755, exist_ok=True)
        path = os.path.join(directory, name)
        with open(path, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        os.chmod(path, 0o644)
        return path

    def guarded_workspace(self):
        ws = TerraformWorkspace()
        self.addCleanup(ws.cleanup)
        os.chmod(ws.dir, 0o755)
        self.agent.owns(ws.dir)
        return ws

    def session(self, ws, policy, script, **env):
        return self.as_user(self.agent, [AGENTGUARD, "run", "--state-dir", self.state, "--policy", policy, "--",
                                         "bash", "-c", script], cwd=ws.dir, **env)

    def test_a_planted_snapshot_and_api_rules_blob_are_never_read(self):
        strict = f"schema = 1\n# the team's policy ({uuid.uuid4().hex}): the built-in default, nothing disabled\n"
        lenient = strict + 'disable = ["terraform-destroy", "destroy-by-name"]\n'
        policy = self.team_policy(strict)
        header, key, _, _ = self.cached_files(policy, strict)
        _, lenient_key, lenient_payload, lenient_rules = self.cached_files(policy, lenient)
        self.assertNotEqual(key, lenient_key)
        # What a static program of the agent's user can make: the lenient policy's snapshot framed
        # under the real layers' key with the user's own state key, and the lenient rules' blob.
        state_key = self.user_key()
        mac = hmac.new(state_key, key.encode() + b"\n" + lenient_payload, hashlib.sha256).hexdigest()
        snap = self.forged("snap", header + b"\n" + key.encode() + b"\n" + mac.encode() + b"\n" + lenient_payload)
        blob = self.forged("api-rules", lenient_rules)
        ws = self.guarded_workspace()
        out = self.scratch
        a = self.attacker
        with HttpsEndpoint(self.scratch, tls=False) as endpoint:
            script = f"""
{a} read $AGENTGUARD_STATE_DIR/keys/state.key
{a} copy {snap} $AGENTGUARD_STATE_DIR/policy-cache/{key}.snap
{a} copy {blob} $AGENTGUARD_STATE_DIR/sessions/$AGENTGUARD_SESSION.api-rules
{a} copy {blob} $AGENTGUARD_API_RULES
echo api-rules=$AGENTGUARD_API_RULES
terraform destroy -auto-approve -input=false -no-color > {out}/destroy.out 2>&1
echo destroy-status=$?
curl -sS --noproxy '*' --aws-sigv4 aws:amz:us-east-1:rds --user AKIDEXAMPLE:secret -w '\n%{{http_code}}' \
  -d 'Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=db1' {endpoint.url}/
echo
echo curl-status=$?
"""
            session = self.session(ws, policy, script, **TF_ENV)
            self.assertEqual(session.status, 0, session)
            with open(os.path.join(out, "destroy.out")) as f:
                destroy = f.read()
            # What it planted decides nothing: the destroy and the API call are refused ...
            self.assertEqual(endpoint.requests, [], session)
            self.assertIn("<Code>AccessDenied</Code>", session.stdout, session)
            self.assertIn("\n403\n", session.stdout)
            self.assertNotIn("destroy-status=0", session.stdout, (session, destroy))
            self.assertIn("terraform-destroy", destroy)
            self.assertEqual(ws.ids(), ws.initial_ids)
            # ... although the static program wrote the user's copies (its own directory) ...
            self.assertIn(f"read {self.state}/keys/state.key: ok 32 bytes", session.stdout)
            self.assertIn(f"copy {self.state}/policy-cache/{key}.snap: ok", session.stdout)
            self.assertRegex(session.stdout, rf"copy {self.state}/sessions/s_\w+\.api-rules: ok")
            # ... because the session's rules are the service's file, which it cannot write.
            rules = re.search(r"api-rules=(\S+)", session.stdout).group(1)
            self.assertTrue(rules.startswith(os.path.join(self.service_state, "policy-cache", str(self.agent.uid)) + "/"),
                            session.stdout)
            self.assertIn(f"copy {rules}: refused 13", session.stdout)
            self.assertEqual(os.stat(rules).st_uid, self.service_user.uid)

    def test_a_planted_last_good_record_is_never_read(self):
        strict = f"schema = 1\n# the team's policy ({uuid.uuid4().hex})\n"
        lenient = strict + 'disable = ["terraform-destroy"]\n'
        policy = self.team_policy(strict)
        ws = self.guarded_workspace()
        project = os.path.join(ws.dir, ".agentguard.toml")
        # The record the same-user mode would fall back to for these layers (gate/policy_loading.cpp),
        # holding the lenient text, with a MAC under the user's own key.
        record_name = hashlib.sha256(f"{policy}\nproject:\n{project}\n".encode()).hexdigest()[:32] + ".json"
        record = {"hash": "0" * 64, "layers": [{"file": policy, "project": False, "text": lenient}]}
        record["mac"] = hmac.new(self.user_key(), json.dumps(record, separators=(",", ":"), sort_keys=True).encode(),
                                 hashlib.sha256).hexdigest()
        planted = self.forged("last-good.json", json.dumps(record, separators=(",", ":"), sort_keys=True))
        a = self.attacker
        script = f"""
{a} copy {planted} $AGENTGUARD_STATE_DIR/policy-last-good/{record_name}
echo 'this is [not toml' > .agentguard.toml
terraform destroy -auto-approve -input=false -no-color > {self.scratch}/destroy.out 2>&1
echo destroy-status=$?
"""
        session = self.session(ws, policy, script, **TF_ENV)
        self.assertEqual(session.status, 0, session)
        with open(os.path.join(self.scratch, "destroy.out")) as f:
            destroy = f.read()
        self.assertIn(f"copy {self.state}/policy-last-good/{record_name}: ok", session.stdout)
        # A broken layer in the separated mode refuses: there is no last good policy to fall back to.
        self.assertNotIn("destroy-status=0", session.stdout, (session, destroy))
        self.assertIn(".agentguard.toml", destroy)
        self.assertEqual(ws.ids(), ws.initial_ids)

    # ---- the human channel: sent by the service, with a secret the agent's user never sees

    def channel_session(self, ws, human, secret, script):
        return self.as_user(self.agent, [AGENTGUARD, "run", "--default-only", "--state-dir", self.state, "--",
                                         "bash", "-c", script], cwd=ws.dir, **TF_ENV,
                            AGENTGUARD_WEBHOOK_URL="json:" + human.url, AGENTGUARD_WEBHOOK_SECRET=secret)

    def assert_refusal_reached(self, human, destroy):
        self.assertTrue(human.wait_for(1, timeout=60), ("the human must hear of the refusal", destroy))
        [refusal] = [r for r in human.requests if "terraform-destroy" in json.dumps(r.json)]
        self.assertTrue(refusal.signature_ok, refusal)  # signed with the session's secret, by the service

    def test_an_emptied_spool_does_not_silence_the_human(self):
        ws = self.guarded_workspace()
        secret = uuid.uuid4().hex
        a = self.attacker
        # The user's notifier cannot send while the static program holds its lock; meanwhile the
        # program empties the user's spool.
        script = f"""
{a} lock $AGENTGUARD_STATE_DIR/notify.lock 5 &
sleep 1
terraform destroy -auto-approve -input=false -no-color > {self.scratch}/destroy.out 2>&1
echo destroy-status=$?
{a} empty $AGENTGUARD_STATE_DIR/spool
wait
"""
        with WebhookSink(secret=secret) as human:
            session = self.channel_session(ws, human, secret, script)
            self.assertEqual(session.status, 0, session)
            with open(os.path.join(self.scratch, "destroy.out")) as f:
                destroy = f.read()
            self.assertIn(f"lock {self.state}/notify.lock: ok", session.stdout)
            self.assertNotIn("destroy-status=0", session.stdout)
            self.assertIn("a human has been notified", destroy)
            self.assert_refusal_reached(human, destroy)
        self.assertEqual(ws.ids(), ws.initial_ids)

    def test_the_webhook_secret_is_nowhere_the_agents_user_can_read(self):
        ws = self.guarded_workspace()
        secret = uuid.uuid4().hex
        a = self.attacker
        script = f"""
{a} ask {SOCKET} '{{"op":"session.channel","session":"'$AGENTGUARD_SESSION'"}}'
{a} find {secret} $AGENTGUARD_STATE_DIR {self.service_state}
terraform destroy -auto-approve -input=false -no-color > {self.scratch}/destroy.out 2>&1
echo destroy-status=$?
"""
        with WebhookSink(secret=secret) as human:
            session = self.channel_session(ws, human, secret, script)
            self.assertEqual(session.status, 0, session)
            with open(os.path.join(self.scratch, "destroy.out")) as f:
                destroy = f.read()
            # The service tells the session's own user which webhooks there are, not where or how they are signed.
            answer = re.search(r"^ask: (.*)$", session.stdout, re.M).group(1)
            self.assertTrue(json.loads(answer)["ok"], answer)
            self.assertNotIn(secret, answer)
            self.assertNotIn(human.url, answer)
            self.assertEqual(json.loads(answer)["channel"]["webhooks"][0]["format"], "json")
            self.assertIn("find done", session.stdout)
            self.assertNotIn("found ", session.stdout)
            # ... and the refusal still reaches the human, signed with that secret.
            self.assertNotIn("destroy-status=0", session.stdout)
            self.assert_refusal_reached(human, destroy)

    def test_a_static_agent_cannot_reach_the_trust_anchors_and_a_humans_approval_runs_the_launch(self):
        ws = TerraformWorkspace()
        self.addCleanup(ws.cleanup)
        os.chmod(ws.dir, 0o755)
        self.agent.owns(ws.dir)
        policy = no_stateless_default_policy(self.scratch)
        os.chmod(policy, 0o644)
        out = self.scratch
        service_approvals = os.path.join(self.service_state, "approvals")
        service_log = os.path.join(self.service_state, "audit.jsonl")
        service_key = os.path.join(self.service_state, "keys", "state.key")
        a = self.attacker
        # The agent: the held launch in the background, then the static program's attempts.
        script = f"""
{a} put $AGENTGUARD_STATE_DIR/sessions/$AGENTGUARD_SESSION.json "$AGENT_CHANNEL" > {out}/channel.out 2>&1
{REPLACE_DB} > {out}/held.out 2> {out}/held.err &
while [ ! -e {out}/go ]; do sleep 0.1; done
read ID GATES NOTIFIERS CODE < {out}/go
{{
{a} read {service_key}
{a} read {service_approvals}/$ID.request.json
{a} write {service_approvals}/$ID.response.json
{a} append {service_log}
{a} write {service_log}
{a} unlink {service_log}
{a} rename {service_log} {service_log}.moved
for g in ${{GATES//,/ }}; do {a} mem $g; done
{a} ask {SOCKET} '{{"op":"approvals.write_response","id":"'$ID'","response":{{"decision":"approve","code":"'$CODE'"}}}}'
{a} ask {SOCKET} '{{"op":"approvals.read_request","id":"'$ID'"}}'
{a} ask {SOCKET} '{{"op":"audit.append","event":{{"id":"ev_forged","decision":"approved","message":"approved by definitely-a-human@ops"}}}}'
mkdir -p {self.state}/approvals
{a} write {self.state}/approvals/$ID.response.json
{a} find $CODE {self.state} {self.service_state} $(for p in ${{GATES//,/ }} ${{NOTIFIERS//,/ }}; do echo proc:$p; done)
}} > {out}/attack.out 2>&1
touch {out}/attacked
wait
echo held-status=$?
"""
        with WebhookSink() as human, WebhookSink() as agent_listener:
            # First the channel: the static program points the session's record at its own listener.
            agent_channel = json.dumps({"session": "x", "webhooks": [
                {"name": "agent", "url": agent_listener.url, "format": "json", "secret": ""}]})
            session = subprocess.Popen(
                self.agent.argv([AGENTGUARD, "run", "--state-dir", self.state, "--policy", policy, "--", "bash", "-c",
                                 script]),
                cwd=ws.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env=clean_env(**TF_ENV, HOME=ws.dir, USER=self.agent.name, AGENTGUARD_APPROVAL_HOLD="wait",
                              AGENTGUARD_WEBHOOK_URL="json:" + human.url, AGENT_CHANNEL=agent_channel))
            try:
                self.assertTrue(human.wait_for(1, timeout=120), "the human must be sent the request")
                with open(os.path.join(out, "channel.out")) as f:
                    self.assertIn(": ok", f.read())  # its own state directory: the write went through
                # ... and changed nothing: the channel is the one the session registered with the service.
                self.assertEqual(agent_listener.requests, [])
                approval = human.requests[0].json["approval"]
                request_id, code = approval["id"], approval["code"]
                gates = [pid for pid, _ in processes_of(self.agent.uid, "agentguard-gate")]
                notifiers = [pid for pid, cmd in processes_of(self.service_user.uid, "agentguard") if "notify" in cmd]
                self.assertTrue(gates, "the held launch's gate must be running")
                with open(os.path.join(out, "go"), "w") as f:
                    f.write(f"{request_id} {','.join(map(str, gates))} {','.join(map(str, notifiers)) or 0} {code}\n")
                deadline = time.time() + 120
                while not os.path.exists(os.path.join(out, "attacked")) and time.time() < deadline:
                    time.sleep(0.1)
                with open(os.path.join(out, "attack.out")) as f:
                    attack = f.read()

                # The key and the code: nowhere the agent's user can read.
                self.assertIn(f"read {service_key}: refused 13", attack)
                self.assertIn(f"read {service_approvals}/{request_id}.request.json: refused 13", attack)
                for gate in gates:
                    self.assertIn(f"mem {gate}: refused 13", attack)
                    self.assertIn(f"memory of {gate}: refused 13", attack)
                self.assertTrue(notifiers, "the notifier holding the code must be running")
                for notifier in notifiers:
                    self.assertIn(f"memory of {notifier}: refused 13", attack)
                self.assertIn("find done", attack)
                self.assertNotIn("found ", attack, attack)
                # Its own answers: refused by the kernel in the service's files, by the service on the socket.
                self.assertIn(f"write {service_approvals}/{request_id}.response.json: refused 13", attack)
                self.assertIn("a request cannot be answered by the user whose launch it holds", attack)
                # It sees its own request, not the code: only the salted hash is kept.
                self.assertNotIn(code, attack.split("find done")[0].replace(f"'{code}'", ""))
                # The record: no write, no removal, no rename; what it sends is stamped with its uid.
                for what in ("append", "write", "unlink", "rename"):
                    self.assertIn(f"{what} {service_log}: refused 13", attack)
                forged = [r for r in self.service_records() if r["event"].get("id") == "ev_forged"]
                self.assertEqual(len(forged), 1, attack)
                self.assertEqual(forged[0]["event"]["sent_by"]["uid"], self.agent.uid)
                # The same-user mode's answer file is written (its own directory) and ignored.
                self.assertIn(f"write {self.state}/approvals/{request_id}.response.json: ok", attack)
                time.sleep(1)  # the gate polls every 200 ms: it has looked
                listing = self.as_user(self.approver, [AGENTGUARD, "approvals"])
                self.assertRegex(listing.stdout, rf"{request_id}  \[holding\]", (listing, attack))
                self.assertEqual(ws.ids(), ws.initial_ids)
                self.assertIsNone(session.poll())

                # The agent's user with the right code is still not an approver; the human is.
                self_approval = self.as_user(self.agent, [AGENTGUARD, "approve", request_id, code],
                                             AGENTGUARD_STATE_DIR=self.state)
                self.assertNotEqual(self_approval.status, 0, self_approval)
                self.assertIn("cannot be answered by the user whose launch it holds", self_approval.stderr, self_approval)
                answer = self.as_user(self.approver, [AGENTGUARD, "approve", request_id, code])
                self.assertEqual(answer.status, 0, answer)
                stdout, stderr = session.communicate(timeout=300)
            finally:
                if session.poll() is None:
                    session.kill()
                    session.wait()
        self.assertIn("held-status=0", stdout, (stdout, stderr))
        self.assertEqual(agent_listener.requests, [], "the code and the updates go to the human only")
        with open(os.path.join(out, "held.err")) as f:
            held_err = f.read()
        self.assertIn(f"approved by {self.approver.name}@", held_err)
        after = ws.ids()
        self.assertNotEqual(after["terraform_data.database"], ws.initial_ids["terraform_data.database"])
        self.assertEqual(after["terraform_data.website"], ws.initial_ids["terraform_data.website"])

        # The record, kept by the service: who asked (the agent's uid, from the socket), who answered.
        records = self.service_records()
        asked = [r["event"] for r in records if r["event"].get("id") == request_id]
        self.assertEqual(asked[0]["sent_by"]["uid"], self.agent.uid)
        approved = [r["event"] for r in records if r["event"].get("decision") == "approved" and r["event"].get("id") != "ev_forged"]
        self.assertTrue(approved, records)
        self.assertIn(f"uid {self.approver.uid}", approved[-1]["message"])
        with open(os.path.join(self.service_state, "approvals", request_id + ".response.json")) as f:
            response = json.load(f)
        self.assertEqual(response["approver"]["uid"], self.approver.uid)
        self.assertEqual(response["approver"]["user"], self.approver.name)
        self.assertFalse(os.path.exists(service_log + ".moved"))
        verify = self.as_user(self.agent, [AGENTGUARD, "audit", "verify"], AGENTGUARD_STATE_DIR=self.state)
        self.assertEqual(verify.status, 0, verify)
        self.assertIn("every MAC checked by the agentguard service", verify.stdout)
        self.assertIn(f"{len(records)} records in {service_log}", verify.stdout)


if __name__ == "__main__":
    unittest.main()
