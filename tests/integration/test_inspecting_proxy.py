"""The session's inspecting proxy (docs/https-guard.md §1d): clients whose TLS the preload cannot
hook, run under `agentguard run` against loopback HTTPS endpoints that record what reaches them.

- node with the real AWS SDK for JavaScript v3 (node links OpenSSL statically): redirected at
  connect() by the preload, decrypted with the session CA (NODE_EXTRA_CA_CERTS).
- a C program linked with libssl.a (static OpenSSL, dynamic libc): redirected at connect(),
  trusting the session CA through SSL_CERT_FILE.
- a static Go program (CGO_ENABLED=0, Go's own crypto/tls): steered by the gate with HTTPS_PROXY
  and SSL_CERT_FILE.

Each delete must never reach the endpoint, the client must get the service's AccessDenied, the
refusal must be in the audit log, and the reads must still work. The same calls without the guard
reach the endpoint, so the tests can fail."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import AGENTGUARD, BUILD_DIR, audit_records, clean_env, require_build  # noqa: E402
from connect_proxy import ConnectProxy  # noqa: E402
from https_endpoint import HttpsEndpoint  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NODE, NPM, GO, CC = shutil.which("node"), shutil.which("npm"), shutil.which("go"), shutil.which("cc")
STATIC_LIBSSL = os.path.exists("/usr/lib/x86_64-linux-gnu/libssl.a")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_DEFAULT_REGION": "us-east-1"}


def node_sdk_dir():
    """The pinned SDK (package-lock.json), installed once per build tree with `npm ci`."""
    target = os.path.join(BUILD_DIR, "test-node-aws")
    os.makedirs(target, exist_ok=True)
    for name in ("package.json", "package-lock.json", "calls.mjs"):
        shutil.copyfile(os.path.join(HERE, "node_aws", name), os.path.join(target, name))
    if not os.path.isdir(os.path.join(target, "node_modules", "@aws-sdk", "client-s3")):
        subprocess.run([NPM, "ci", "--no-audit", "--no-fund"], cwd=target, check=True, capture_output=True, timeout=600)
    return target


def non_loopback_address():
    """An address of this machine that is not loopback: Go's net/http never proxies loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing address
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def http_events(state_dir):
    return [e for e in audit_records(state_dir) if e.get("kind") == "http"]


class InspectingProxyTest(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.tmp = tempfile.mkdtemp(prefix="ag-proxy-")
        self.state = os.path.join(self.tmp, "state")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_guarded(self, argv, **env):
        return subprocess.run([AGENTGUARD, "run", "--default-only", "--state-dir", self.state, "--"] + argv,
                              env=clean_env(**CREDENTIALS, **env), capture_output=True, text=True, timeout=300)

    def assert_refusals_recorded(self, operations, program):
        events = http_events(self.state)
        self.assertEqual(sorted(e.get("operation") for e in events), sorted(operations), events)
        for e in events:
            self.assertEqual(e.get("decision"), "deny", e)
            self.assertIn("Blocked by agentguard rule", e.get("message", ""), e)
            # The record names the client process (found from the connection's ports), not the proxy.
            self.assertEqual(os.path.basename(e.get("resolved_path", "")), program, e)

    @unittest.skipUnless(NODE and NPM, "node and npm are needed")
    def test_node_aws_sdk_v3_deletes_never_arrive(self):
        sdk = node_sdk_dir()
        script = os.path.join(sdk, "calls.mjs")
        with HttpsEndpoint(self.tmp) as ep:
            proc = self.run_guarded([NODE, script, ep.url], NODE_EXTRA_CA_CERTS=ep.cert)
            lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
            self.assertEqual(lines.get("DescribeDBInstances"), "ok", proc)
            self.assertEqual(lines.get("GetObject"), "ok", proc)
            self.assertTrue(lines.get("DeleteDBInstance", "").startswith("AccessDenied"), proc)
            self.assertIn("Blocked by agentguard rule", lines.get("DeleteDBInstance", ""), proc)
            self.assertTrue(lines.get("DeleteObject", "").startswith("AccessDenied"), proc)
            self.assertEqual(ep.operations(), ["DescribeDBInstances", "GET /full-bucket/a.txt"], proc)
            self.assert_refusals_recorded(["DeleteDBInstance", "DeleteObject"], "node")

            # Without the guard the same deletes arrive.
            ep.requests.clear()
            env = clean_env(**CREDENTIALS, NODE_EXTRA_CA_CERTS=ep.cert)
            subprocess.run([NODE, script, ep.url], env=env, capture_output=True, text=True, timeout=300)
            self.assertIn("DeleteDBInstance", ep.operations())
            self.assertIn("DELETE /full-bucket/a.txt", ep.operations())

    @unittest.skipUnless(NODE and NPM, "node and npm are needed")
    def test_node_that_refuses_the_session_ca_reaches_nothing(self):
        # NODE_EXTRA_CA_CERTS pointed elsewhere inside the session: node does not trust the proxy's
        # certificate, so its calls fail and nothing arrives (fail closed), rather than going around.
        sdk = node_sdk_dir()
        with HttpsEndpoint(self.tmp) as ep:
            proc = self.run_guarded(["env", f"NODE_EXTRA_CA_CERTS={ep.cert}", NODE, os.path.join(sdk, "calls.mjs"), ep.url],
                                    NODE_EXTRA_CA_CERTS=ep.cert)
            self.assertNotIn("DeleteDBInstance ok", proc.stdout, proc)
            self.assertNotIn("DeleteObject ok", proc.stdout, proc)
            self.assertEqual(ep.operations(), [], proc)

    def build_static_go_client(self):
        address = non_loopback_address()
        if address is None:
            self.skipTest("no non-loopback address on this machine (Go never proxies loopback)")
        program = os.path.join(self.tmp, "go_aws")
        build_env = dict(os.environ, CGO_ENABLED="0", GO111MODULE="off", GOFLAGS="")
        subprocess.run([GO, "build", "-o", program, os.path.join(HERE, "go_aws", "main.go")], env=build_env,
                       check=True, capture_output=True, timeout=600)
        return program, address

    @unittest.skipUnless(NODE, "node is needed")
    def test_a_redirected_socket_reports_the_destination_it_asked_for(self):
        # node is redirected at connect() (no shared libssl); getpeername() must still answer the
        # endpoint's address and port, not the proxy's (socket.remoteAddress / remotePort).
        address = non_loopback_address() or "127.0.0.1"
        script = ("const s = require('net').connect(+process.argv[2], process.argv[1], () => {"
                  " console.log(`${s.remoteAddress} ${s.remotePort} ${s.localPort}`); s.end(); });")
        with socket.create_server((address, 0)) as listener:
            port = listener.getsockname()[1]
            proc = self.run_guarded([NODE, "-e", script, address, str(port)])
            remote_address, remote_port, local_port = proc.stdout.split()
            self.assertEqual((remote_address, int(remote_port)), (address, port), proc)
            # It really went through the proxy: the endpoint's peer is another socket than node's.
            listener.settimeout(30)
            conn, peer = listener.accept()
            conn.close()
            self.assertNotEqual(peer[1], int(local_port))

    def assert_go_deletes_refused_and_reads_served(self, program, ep, guard_env, control_env, unset):
        """The Go client under the guard: the reads reach the endpoint, the deletes get AccessDenied,
        never arrive, and are in the audit log. The same run without the guard delivers them."""
        proc = self.run_guarded([program, ep.url], **guard_env)
        lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
        self.assertEqual(lines.get("DescribeDBInstances"), "200 -", proc)
        self.assertEqual(lines.get("GetObject"), "200 -", proc)
        self.assertEqual(lines.get("DeleteDBInstance"), "403 AccessDenied", proc)
        self.assertEqual(lines.get("DeleteObject"), "403 AccessDenied", proc)
        self.assertEqual(ep.operations(), ["DescribeDBInstances", "GET /full-bucket/a.txt"], proc)
        # The endpoint got origin-form request lines, as from a direct client.
        self.assertEqual([r.target for r in ep.requests], ["/", "/full-bucket/a.txt"])
        self.assert_refusals_recorded(["DeleteDBInstance", "DeleteObject"], "go_aws")

        ep.requests.clear()
        control = clean_env(NO_PROXY="*", **control_env)
        for name in unset:
            control.pop(name, None)
        proc = subprocess.run([program, ep.url], env=control, capture_output=True, text=True, timeout=300)
        self.assertIn("DeleteDBInstance", ep.operations(), proc.stdout)
        self.assertIn("DELETE /full-bucket/a.txt", ep.operations(), proc.stdout)

    @unittest.skipUnless(GO, "go is needed")
    def test_static_go_client_over_plain_http_deletes_never_arrive(self):
        # No preload in a static binary: the gate's HTTP_PROXY sends Go's http:// requests to the
        # proxy in absolute-form, where they are decided like decrypted ones.
        program, address = self.build_static_go_client()
        with HttpsEndpoint(self.tmp, tls=False, host=address) as ep:
            self.assert_go_deletes_refused_and_reads_served(program, ep, {}, {}, ("HTTP_PROXY", "http_proxy"))

    @unittest.skipUnless(GO, "go is needed")
    def test_static_go_client_over_plain_http_goes_through_the_callers_proxy(self):
        # The caller's own HTTP_PROXY (a company's, with credentials in its URL) is replaced for the
        # static program by the session proxy, which sends the allowed requests on through it in
        # absolute-form with the caller's credentials; the deletes are refused before.
        program, address = self.build_static_go_client()
        with HttpsEndpoint(self.tmp, tls=False, host=address) as ep, ConnectProxy() as company_proxy:
            via = f"http://agent%40corp:s3cret@{company_proxy.address}"
            self.assert_go_deletes_refused_and_reads_served(program, ep, {"HTTP_PROXY": via}, {},
                                                           ("HTTP_PROXY", "http_proxy"))
            self.assertEqual(company_proxy.targets, [f"{address}:{ep.port}"] * 2, "the reads went through it")
            self.assertEqual(company_proxy.authorizations, ["Basic YWdlbnRAY29ycDpzM2NyZXQ="] * 2)

    @unittest.skipUnless(GO, "go is needed")
    def test_static_go_client_deletes_never_arrive(self):
        program, address = self.build_static_go_client()
        with HttpsEndpoint(self.tmp, host=address) as ep:
            # (The endpoint offers h2 first in ALPN but speaks HTTP/1.1: Go is kept on HTTP/1.1.)
            self.assert_go_deletes_refused_and_reads_served(program, ep, {"SSL_CERT_FILE": ep.cert},
                                                           {"SSL_CERT_FILE": ep.cert, "GODEBUG": "http2client=0"},
                                                           ("HTTPS_PROXY", "https_proxy"))

    @unittest.skipUnless(GO, "go is needed")
    def test_static_go_client_reaches_its_endpoint_through_the_callers_proxy(self):
        # The caller's own HTTPS_PROXY (a company's outbound proxy; here a loopback CONNECT proxy)
        # is replaced by the session proxy for the static program, and the session proxy opens the
        # program's tunnels through it: the calls leave the way the program would have sent them,
        # and are decided on the way (before this, they went direct, around the caller's proxy).
        program, address = self.build_static_go_client()
        with HttpsEndpoint(self.tmp, host=address) as ep, ConnectProxy() as company_proxy:
            self.assert_go_deletes_refused_and_reads_served(
                program, ep, {"SSL_CERT_FILE": ep.cert, "HTTPS_PROXY": "http://" + company_proxy.address},
                {"SSL_CERT_FILE": ep.cert, "GODEBUG": "http2client=0"}, ("HTTPS_PROXY", "https_proxy"))
            self.assertTrue(company_proxy.targets, "the guarded run's tunnels went through the caller's proxy")
            self.assertEqual(set(company_proxy.targets), {f"{address}:{ep.port}"})

    def static_libssl_program(self):
        program = os.path.join(self.tmp, "tls_call")
        subprocess.run([CC, "-O1", "-o", program, os.path.join(HERE, "c_tls", "tls_call.c"),
                        "-Wl,-Bstatic", "-lssl", "-lcrypto", "-Wl,-Bdynamic", "-ldl", "-lpthread"],
                       check=True, capture_output=True, timeout=300)
        return program

    @unittest.skipUnless(CC and STATIC_LIBSSL, "cc and libssl.a (libssl-dev) are needed")
    def test_a_client_of_another_proxy_is_inspected_inside_its_tunnel(self):
        # A client configured with its own outbound proxy (a company's; here a loopback CONNECT
        # proxy) connects to that proxy and opens a tunnel: the redirect brings it to the session's
        # proxy first, which sets the tunnel up through the client's proxy and decides what goes
        # through it like any other connection. Before this was built, the CONNECT made the session
        # proxy splice the tunnel unread, and the delete arrived.
        program = self.static_libssl_program()
        with HttpsEndpoint(self.tmp) as ep, ConnectProxy() as company_proxy:
            describe = ["rds", "POST", "/", "Action=DescribeDBInstances&Version=2014-10-31"]
            delete = ["rds", "POST", "/", "Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=db1"]
            read = self.run_guarded([program, "ssl", "127.0.0.1", str(ep.port)] + describe, SSL_CERT_FILE=ep.cert,
                                    TLS_CALL_VIA=company_proxy.address)
            refused = self.run_guarded([program, "ssl", "127.0.0.1", str(ep.port)] + delete, SSL_CERT_FILE=ep.cert,
                                       TLS_CALL_VIA=company_proxy.address)
            self.assertEqual(read.stdout.strip(), "HTTP/1.1 200 OK -", read)
            self.assertEqual(refused.stdout.strip(), "HTTP/1.1 403 Forbidden AccessDenied", refused)
            self.assertEqual(ep.operations(), ["DescribeDBInstances"])
            self.assertEqual(company_proxy.targets, [f"127.0.0.1:{ep.port}"] * 2, "both went through the client's proxy")
            self.assert_refusals_recorded(["DeleteDBInstance"], "tls_call")

            # Unguarded, the same tunnel carries the delete (the test can fail).
            ep.requests.clear()
            subprocess.run([program, "ssl", "127.0.0.1", str(ep.port)] + delete,
                           env=clean_env(SSL_CERT_FILE=ep.cert, TLS_CALL_VIA=company_proxy.address),
                           capture_output=True, timeout=60)
            self.assertEqual(ep.operations(), ["DeleteDBInstance"])

    @unittest.skipUnless(CC and STATIC_LIBSSL, "cc and libssl.a (libssl-dev) are needed")
    def test_static_libssl_program_deletes_never_arrive(self):
        program = self.static_libssl_program()
        with HttpsEndpoint(self.tmp) as ep:
            calls = [("DescribeDBInstances", ["rds", "POST", "/", "Action=DescribeDBInstances&Version=2014-10-31"]),
                     ("DeleteDBInstance", ["rds", "POST", "/", "Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=db1"]),
                     ("DeleteObject", ["s3", "DELETE", "/full-bucket/a.txt"])]
            out = {}
            for name, args in calls:
                proc = self.run_guarded([program, "ssl", "127.0.0.1", str(ep.port)] + args, SSL_CERT_FILE=ep.cert)
                out[name] = proc.stdout.strip()
            self.assertEqual(out["DescribeDBInstances"], "HTTP/1.1 200 OK -", out)
            self.assertEqual(out["DeleteDBInstance"], "HTTP/1.1 403 Forbidden AccessDenied", out)
            self.assertEqual(out["DeleteObject"], "HTTP/1.1 403 Forbidden AccessDenied", out)
            self.assertEqual(ep.operations(), ["DescribeDBInstances"])
            self.assert_refusals_recorded(["DeleteDBInstance", "DeleteObject"], "tls_call")

            ep.requests.clear()
            subprocess.run([program, "ssl", "127.0.0.1", str(ep.port)] + calls[1][1], env=clean_env(SSL_CERT_FILE=ep.cert),
                           capture_output=True, timeout=60)
            self.assertEqual(ep.operations(), ["DeleteDBInstance"])


if __name__ == "__main__":
    unittest.main()
