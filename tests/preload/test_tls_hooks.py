"""The TLS hooks' write/read contract, against a stand-in TLS library that is congested (each
write takes at most a few bytes, every other write fails with WANT_WRITE/EAGAIN) and strict (a
retry must repeat the same pointer and length, as OpenSSL requires). The client library calling
it is loaded RTLD_LOCAL, as python loads libssl, so the hooks must find the real functions by
walking the loaded objects.

What reaches the stand-in library must be exactly the allowed requests, byte for byte, and
nothing of a refused one; the refused one's reply must come back through the read calls."""
import json
import os
import subprocess
import tempfile
import unittest

LIB = os.environ.get("AGENTGUARD_PRELOAD_LIB", "")
DRIVERS = os.environ.get("AGENTGUARD_PRELOAD_DRIVERS", "")
BLOB_TOOL = os.environ.get("AGENTGUARD_BLOB_TOOL", "")
GATE = os.environ.get("AGENTGUARD_GATE_BIN", "")
SOURCE = os.environ.get("AGENTGUARD_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
DRIVER = os.path.join(DRIVERS, "driver_tls")

AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/{svc}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)


def query_request(action, extra=""):
    body = f"Action={action}&Version=2014-10-31{extra}".encode()
    head = (f"POST / HTTP/1.1\r\nHost: rds.us-east-1.amazonaws.com\r\nAuthorization: {AUTH.format(svc='rds')}\r\n"
            f"X-Amz-Date: 20260101T000000Z\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body


def s3_put(body):
    head = (f"PUT /bucket/key HTTP/1.1\r\nHost: s3.us-east-1.amazonaws.com\r\nAuthorization: {AUTH.format(svc='s3')}\r\n"
            f"x-amz-content-sha256: UNSIGNED-PAYLOAD\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    return head + body


def chunked_put(body, chunk=1000):
    head = (f"PUT /bucket/key2 HTTP/1.1\r\nHost: s3.us-east-1.amazonaws.com\r\nAuthorization: {AUTH.format(svc='s3')}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    out = bytearray(head)
    for i in range(0, len(body), chunk):
        part = body[i:i + chunk]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return bytes(out + b"0\r\n\r\n")


@unittest.skipUnless(os.path.exists(DRIVER) and os.path.exists(LIB) and os.path.exists(BLOB_TOOL),
                     "build preload_test_drivers and agentguard_api_rules_blob")
class TlsHookContractTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ag-tls-hooks-")
        cls.rules = os.path.join(cls.tmp, "rules.blob")
        subprocess.run([BLOB_TOOL, cls.rules, os.path.join(SOURCE, "policy", "default-api-rules.toml")], check=True)

    def drive(self, mode, pieces, data, rules=None, max_write=7, preload=True, extra_env=None):
        out = tempfile.mktemp(dir=self.tmp)
        open(out, "wb").close()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FAKE_TLS_OUT": out, "FAKE_TLS_MAX": str(max_write),
               "LD_LIBRARY_PATH": DRIVERS, "AGENTGUARD_WATCH": "v1;p=nothing-watched"}
        if preload:
            env.update(LD_PRELOAD=LIB, AGENTGUARD_API_RULES=rules or self.rules)
        env.update(extra_env or {})
        proc = subprocess.run([DRIVER, mode, pieces], input=data, env=env, capture_output=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode(errors="replace"))
        with open(out, "rb") as f:
            return f.read(), proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")

    def test_allowed_requests_pass_exactly_under_partial_writes_and_retries(self):
        big = (query_request("DescribeDBInstances") + s3_put(os.urandom(200_000)) + query_request("ListTagsForResource")
               + chunked_put(os.urandom(50_000)) + query_request("DescribeDBClusters"))
        small = (query_request("DescribeDBInstances") + s3_put(os.urandom(3000)) + chunked_put(os.urandom(2500), 700)
                 + query_request("DescribeDBClusters"))
        for mode in ("ssl", "ssl_ex", "gnutls", "gnutls_null"):
            for pieces, max_write, stream in (("600,1,91,4096", 7, small), ("1", 3, small), ("65536", 100_000, big),
                                              ("17,70000", 1000, big)):
                with self.subTest(mode=mode, pieces=pieces):
                    wire, stdout, _ = self.drive(mode, pieces, stream, max_write=max_write)
                    self.assertEqual(len(wire), len(stream))
                    self.assertEqual(wire, stream)
                    self.assertIn("HTTP/1.1 200 OK", stdout)

    def test_refused_request_never_reaches_the_library_and_its_reply_is_read_back(self):
        allowed = query_request("DescribeDBInstances")
        denied = query_request("DeleteDBInstance", "&DBInstanceIdentifier=db1&SkipFinalSnapshot=true")
        later = query_request("DescribeDBInstances")
        for mode in ("ssl", "ssl_ex", "gnutls", "gnutls_null"):
            with self.subTest(mode=mode):
                wire, stdout, stderr = self.drive(mode, "650,1,30", allowed + denied + later)
                self.assertEqual(wire, allowed)  # nothing of the refused request, nothing after it
                self.assertIn("HTTP/1.1 403 Forbidden", stdout)
                self.assertIn("<Code>AccessDenied</Code>", stdout)
                self.assertIn("Blocked by agentguard rule destroy-by-name", stdout)
                self.assertIn("Connection: close", stdout)
                self.assertNotIn("200 OK", stdout)  # reads never reach the library again
                if not mode.startswith("gnutls"):
                    self.assertIn("get_error=6", stdout)  # a clean close after the reply
                self.assertIn("agentguard: blocked API request", stderr)  # no gate configured

    def test_without_the_preload_the_delete_goes_out(self):
        denied = query_request("DeleteDBInstance", "&DBInstanceIdentifier=db1")
        wire, _, _ = self.drive("ssl", "100", denied, preload=False)
        self.assertEqual(wire, denied)

    def test_unreadable_rules_fail_closed_for_aws_only(self):
        missing = os.path.join(self.tmp, "missing.blob")
        wire, stdout, _ = self.drive("ssl", "4096", query_request("DescribeDBInstances"), rules=missing)
        self.assertEqual(wire, b"")
        self.assertIn("api-rules-unreadable", stdout)
        plain = b"GET /index.html HTTP/1.1\r\nHost: example.org\r\n\r\n"
        wire, _, _ = self.drive("ssl", "4096", plain, rules=missing)
        self.assertEqual(wire, plain)

    def test_non_http_bytes_pass_through_and_http2_is_refused(self):
        other = b"\x16\x03binary protocol bytes" + os.urandom(5000)
        wire, _, _ = self.drive("ssl", "10,300", other)
        self.assertEqual(wire, other)
        h2 = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + os.urandom(100)
        wire, stdout, _ = self.drive("ssl", "100", h2)
        self.assertEqual(wire, b"")
        self.assertIn("uninspectable-request", stdout)

    @unittest.skipUnless(os.path.exists(GATE), "build agentguard_gate")
    def test_http2_refusal_is_recorded_by_the_real_gate(self):
        # The refusal message says it is recorded: the gate's --report-http must take a request
        # with no service or operation (nothing of HTTP/2 is readable) and write the audit record.
        state = tempfile.mkdtemp(dir=self.tmp)
        h2 = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + os.urandom(100)
        wire, stdout, stderr = self.drive("ssl", "100", h2, extra_env={"AGENTGUARD_GATE": GATE, "AGENTGUARD_STATE_DIR": state})
        self.assertEqual(wire, b"")
        self.assertIn("uninspectable-request", stdout)
        self.assertNotIn("are required", stderr)
        self.assertNotIn("agentguard: blocked HTTPS request", stderr)  # printed only when the report failed
        with open(os.path.join(state, "audit.jsonl")) as f:
            records = [json.loads(line) for line in f if line.strip()]
        records = [r.get("event", r) for r in records]  # audit lines wrap the event with its hash chain
        http_events = [r for r in records if r.get("kind") == "http"]
        self.assertEqual(len(http_events), 1, records)
        self.assertEqual((http_events[0]["decision"], http_events[0]["rule_id"]), ("deny", "uninspectable-request"))
        self.assertIn("HTTP/2", http_events[0]["message"])


if __name__ == "__main__":
    unittest.main()
