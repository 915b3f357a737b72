"""The approval page (`agentguard ui`) in a real headless Chromium, driven over the DevTools
protocol: the human logs in with the one-time link from their terminal, sees a held
`terraform apply` with its pending deletion, and approves it - or denies a replace with a reason -
by clicking. Screenshots are kept under the build's test-output directory.

Also: without the login cookie nothing is shown; the link works once; a form without the session's
CSRF token is refused; a wrong Host header is refused."""
import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from tf_support import no_stateless_default_policy
from harness import AGENTGUARD, BUILD_DIR, REFUSED, TERRAFORM, TerraformWorkspace, clean_env, require_build

try:
    import websocket  # python3-websocket (Debian; tools/install-deps.sh)
except ImportError:
    # A python3 other than Debian's (pyenv, a venv) does not see Debian's packages: look there.
    import sys
    sys.path.append("/usr/lib/python3/dist-packages")
    import websocket

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TF_ENV = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
OUTPUT_DIR = os.path.join(BUILD_DIR, "test-output", "approval-page")


class Browser:
    """Headless Chromium with its own profile, and one page driven over the DevTools protocol."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="ag-chromium-")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={self.profile}", "--remote-debugging-port=0", "--window-size=1200,1600", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 60
        while not (os.path.exists(port_file) and self.read(port_file).count("\n") >= 1):
            if time.time() > deadline or self.proc.poll() is not None:
                raise AssertionError("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port = int(self.read(port_file).split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0

    @staticmethod
    def read(path):
        with open(path) as f:
            return f.read()

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg["result"]

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise AssertionError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_for(self, expression, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.evaluate(expression):
                    return
            except AssertionError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {expression}; page: {self.evaluate('document.body && document.body.innerText')}")

    def navigate(self, url):
        self.call("Page.navigate", url=url)

    def click(self, selector):
        """A real mouse click in the middle of the element."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).scrollIntoView({{block: 'center'}})")
        rect = self.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
                             " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=rect[0], y=rect[1], button="left", clickCount=1)

    def type_into(self, selector, text):
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", text=text)

    def screenshot(self, name):
        os.makedirs(OUTPUT_DIR, exist_ok=True)
        # Headless Chromium on a loaded machine sometimes has no laid-out viewport yet right after a
        # navigation ("Cannot take screenshot with 0 width"): the picture is for people, the
        # assertions are made before it, so wait for a layout and try again (bounded).
        for attempt in range(20):
            try:
                data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
                break
            except AssertionError as e:
                if "0 width" not in str(e) or attempt == 19:
                    raise
                time.sleep(0.25)
        path = os.path.join(OUTPUT_DIR, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def close(self):
        try:
            self.ws.close()
        finally:
            self.proc.kill()
            self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class ApprovalPage(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.ws = TerraformWorkspace()
        self.state_dir = tempfile.mkdtemp(prefix="ag-state-")
        self.procs = []
        self.ui = subprocess.Popen([AGENTGUARD, "ui"], env=clean_env(AGENTGUARD_STATE_DIR=self.state_dir),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.login = None
        for line in self.ui.stdout:
            m = re.search(r"Log in once with: (http://127\.0\.0\.1:(\d+)/login/[0-9a-f]+)", line)
            if m:
                self.login, self.base = m.group(1), f"http://127.0.0.1:{m.group(2)}"
                break
        self.assertTrue(self.login, "agentguard ui printed no login link")
        self.browser = Browser()

    def tearDown(self):
        self.browser.close()
        self.ui.terminate()
        self.ui.wait()
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.ws.cleanup()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def agent(self, script):
        policy = no_stateless_default_policy(self.state_dir)  # terraform_data stands in for a database
        argv = [AGENTGUARD, "run", "--policy", policy, "--state-dir", self.state_dir, "--", "bash",
                "-c", script]
        p = subprocess.Popen(argv, cwd=self.ws.dir, env=clean_env(**TF_ENV, AGENTGUARD_APPROVAL_HOLD="wait"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def held_request_id(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            d = os.path.join(self.state_dir, "approvals")
            for name in os.listdir(d) if os.path.isdir(d) else []:
                if name.endswith(".request.json"):
                    return name[: -len(".request.json")]
            time.sleep(0.2)
        self.fail("nothing was held")

    def status_of(self, url, **kw):
        try:
            return urllib.request.urlopen(urllib.request.Request(url, **kw), timeout=30).status
        except urllib.error.HTTPError as e:
            return e.code

    def log_in(self):
        self.browser.call("Page.enable")
        self.browser.navigate(self.login)
        self.browser.wait_for("location.pathname === '/' && !!document.getElementById('requests')")

    def test_a_held_apply_with_a_pending_deletion_is_approved_by_a_click(self):
        with open(os.path.join(self.ws.dir, "main.tf")) as f:
            lines = [l for l in f if '"website"' not in l]
        with open(os.path.join(self.ws.dir, "main.tf"), "w") as f:
            f.writelines(lines)
        proc = self.agent("terraform apply -auto-approve -input=false -no-color")
        request_id = self.held_request_id()
        # Nothing without the login: no page, no answer.
        self.assertEqual(self.status_of(self.base + "/"), 403)
        self.assertEqual(self.status_of(self.base + f"/requests/{request_id}/approve", data=b"csrf=x", method="POST"), 403)
        self.log_in()
        # The link is spent.
        self.assertEqual(self.status_of(self.login), 403)
        card = f'[data-request-id="{request_id}"]'
        self.browser.wait_for(f"!!document.querySelector('{card}')")
        text = self.browser.evaluate(f"document.querySelector('{card}').innerText")
        self.assertIn("delete terraform_data.website", text)
        self.assertIn("terraform apply -auto-approve -input=false -no-color", text)
        self.assertIn(self.ws.dir, text)
        # A terraform_data resource holds no data: listed as a deletion, not marked stateful.
        self.assertEqual(self.browser.evaluate(f"document.querySelectorAll('{card} li.destroys').length"), 1)
        self.assertEqual(self.browser.evaluate(f"document.querySelectorAll('{card} li.stateful').length"), 0)
        self.browser.screenshot("pending-deletion.png")
        self.assertEqual(self.ws.ids(), self.ws.initial_ids, "nothing may happen before the click")
        self.browser.click(f"{card} .approve-button")
        out, err = proc.communicate(timeout=300)
        self.assertEqual(proc.returncode, 0, (out, err))
        self.assertEqual(out.count("Apply complete!"), 1)
        ids = self.ws.ids()
        self.assertNotIn("terraform_data.website", ids)
        self.assertEqual(ids["terraform_data.database"], self.ws.initial_ids["terraform_data.database"])
        self.browser.wait_for("!!document.getElementById('flash') && document.getElementById('flash').innerText.startsWith('ran')")
        # The audit timeline shows the request and its approval, and filters by decision.
        self.browser.navigate(self.base + "/?decision=approved")
        self.browser.wait_for("document.querySelectorAll('#timeline tbody tr.decision-approved').length === 1")
        self.assertEqual(self.browser.evaluate("document.querySelectorAll('#timeline tr.decision-ask').length"), 0)
        self.browser.screenshot("approved.png")

    def test_a_held_replace_is_denied_by_a_click_with_a_reason(self):
        proc = self.agent("terraform apply -replace=terraform_data.database -auto-approve -input=false -no-color")
        request_id = self.held_request_id()
        self.log_in()
        card = f'[data-request-id="{request_id}"]'
        self.browser.wait_for(f"!!document.querySelector('{card}')")
        self.assertIn("replace terraform_data.database", self.browser.evaluate(f"document.querySelector('{card}').innerText"))
        self.browser.type_into(f"{card} input.reason", "keep the <b>database</b>")
        self.browser.click(f"{card} .deny-button")
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, REFUSED, (out, err))
        self.assertIn('denied it: "keep the <b>database</b>"', err)
        self.assertEqual(self.ws.ids(), self.ws.initial_ids)
        self.browser.wait_for("!!document.getElementById('flash')")
        # The reason is shown as text, never as markup.
        self.assertIn("<b>database</b>", self.browser.evaluate("document.getElementById('flash').innerText"))
        self.assertEqual(self.browser.evaluate("document.querySelectorAll('#flash b').length"), 0)
        self.browser.screenshot("denied.png")

    def test_a_wrong_host_header_is_refused(self):
        # A DNS-rebinding page reaches us under its own name: refused before any route.
        self.assertEqual(self.status_of(self.login, headers={"Host": "evil.example"}), 421)


if __name__ == "__main__":
    unittest.main()
