"""The HTTPS guard end to end: real clients (aws CLI, boto3, curl --aws-sigv4 over OpenSSL, wget
over GnuTLS, python http.client) run under libagentguard.so against a loopback HTTPS endpoint that
records what reaches it. Destructive AWS calls must never arrive, the client must get the service's
AccessDenied after one attempt, and everything else must arrive unchanged.

The guard variables are set by hand (LD_PRELOAD, AGENTGUARD_API_RULES compiled from the default
API rules by tests/tls_tools, AGENTGUARD_GATE = a recording stand-in for the gate's --report-http
mode, a watch list that watches nothing so the exec-level aws rules stay out of the way)."""
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILD_DIR, LIBRARY, SOURCE_DIR, clean_env  # noqa: E402
from https_endpoint import HttpsEndpoint  # noqa: E402

BLOB_TOOL = os.path.join(BUILD_DIR, "bin", "agentguard-api-rules-blob")
AWS = shutil.which("aws")
CURL = shutil.which("curl")
WGET = shutil.which("wget")
AUTH_RDS = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/rds/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)


def have_boto3():
    return subprocess.run([sys.executable, "-c", "import boto3"], capture_output=True).returncode == 0


@unittest.skipUnless(os.path.exists(LIBRARY) and os.path.exists(BLOB_TOOL), "build libagentguard.so and agentguard-api-rules-blob")
class HttpsGuardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ag-https-")
        cls.rules = os.path.join(cls.tmp, "rules.blob")
        subprocess.run([BLOB_TOOL, cls.rules, os.path.join(SOURCE_DIR, "policy", "default-api-rules.toml")], check=True)
        cls.gate = os.path.join(cls.tmp, "gate.sh")
        with open(cls.gate, "w") as f:
            f.write('#!/bin/sh\nprintf "%s\\n" "$@" > "$GATE_LOG_DIR/report.$$"\n'
                    'case " $LD_PRELOAD " in *agentguard*) echo preloaded > "$GATE_LOG_DIR/preloaded.$$";; esac\n')
        os.chmod(cls.gate, 0o755)
        cls.endpoint = HttpsEndpoint(cls.tmp).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.endpoint.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.endpoint.requests.clear()
        self.gate_dir = tempfile.mkdtemp(dir=self.tmp)
        self.home = tempfile.mkdtemp(dir=self.tmp)

    def env(self, guarded=True, **extra):
        env = clean_env(HOME=self.home, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret",
                        AWS_DEFAULT_REGION="us-east-1", AWS_CA_BUNDLE=self.endpoint.cert, AWS_PAGER="",
                        AWS_EC2_METADATA_DISABLED="true", GATE_LOG_DIR=self.gate_dir)
        if guarded:
            env.update(LD_PRELOAD=LIBRARY, AGENTGUARD_API_RULES=self.rules, AGENTGUARD_GATE=self.gate,
                       AGENTGUARD_WATCH="v1;p=nothing-watched")
        env.update(extra)
        return env

    def run_client(self, argv, guarded=True, timeout=120, **extra):
        return subprocess.run(argv, env=self.env(guarded, **extra), capture_output=True, text=True, timeout=timeout)

    def reports(self):
        out = []
        for path in sorted(glob.glob(os.path.join(self.gate_dir, "report.*"))):
            with open(path) as f:
                args = f.read().splitlines()
            out.append(dict(zip(args[1::2], args[2::2])) | {"mode": args[0]})
        return out

    def assert_refused(self, proc, operation, error_code="AccessDenied", rule=None):
        self.assertNotIn(operation, self.endpoint.operations(), proc)
        reports = self.reports()
        self.assertEqual(len(reports), 1, (reports, proc.stderr))
        self.assertEqual(reports[0]["mode"], "--report-http")
        self.assertEqual(reports[0]["--operation"], operation)
        self.assertEqual(reports[0]["--decision"], "deny")
        if rule:
            self.assertEqual(reports[0]["--rule"], rule)
        self.assertFalse(glob.glob(os.path.join(self.gate_dir, "preloaded.*")), "the gate must run without the preload")
        if error_code:
            self.assertIn(f"An error occurred ({error_code}) when calling the {operation} operation: "
                          "Blocked by agentguard rule", proc.stderr)

    # ---- the aws CLI ---------------------------------------------------------------------------

    def aws(self, *args, **extra):
        return self.run_client([AWS, "--endpoint-url", self.endpoint.url, *args], **extra)

    @unittest.skipUnless(AWS, "aws CLI not installed")
    def test_aws_cli_rds_delete_is_refused_once_and_describe_passes(self):
        proc = self.aws("rds", "delete-db-instance", "--db-instance-identifier", "db1", "--skip-final-snapshot")
        self.assertNotEqual(proc.returncode, 0)
        self.assert_refused(proc, "DeleteDBInstance", rule="destroy-by-name")
        self.assertEqual(self.endpoint.requests, [])  # not even a retry reached the server
        proc = self.aws("rds", "describe-db-instances")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.endpoint.operations(), ["DescribeDBInstances"])

    @unittest.skipUnless(AWS, "aws CLI not installed")
    def test_aws_cli_services(self):
        destructive = [
            (("dynamodb", "delete-table", "--table-name", "t"), "DeleteTable", "AccessDeniedException"),
            (("ec2", "terminate-instances", "--instance-ids", "i-0123456789abcdef0"), "TerminateInstances",
             "UnauthorizedOperation"),
            (("lambda", "delete-function", "--function-name", "f"), "DeleteFunction", "AccessDeniedException"),
            (("s3api", "delete-bucket", "--bucket", "data"), "DeleteBucket", "AccessDenied"),
            (("cloudformation", "delete-stack", "--stack-name", "prod"), "DeleteStack", "AccessDenied"),
        ]
        for args, operation, code in destructive:
            with self.subTest(operation=operation):
                self.setUp()
                proc = self.aws(*args)
                self.assertNotEqual(proc.returncode, 0, proc)
                self.assertEqual(self.endpoint.requests, [], proc.stderr)
                self.assert_refused(proc, operation, error_code=code)
        reads = [
            (("dynamodb", "list-tables"), "ListTables"),
            (("ec2", "describe-instances"), "DescribeInstances"),
            (("lambda", "list-functions"), "GET /2015-03-31/functions"),
            (("s3api", "list-buckets"), "GET /"),
            (("cloudformation", "describe-stacks"), "DescribeStacks"),
        ]
        for args, operation in reads:
            with self.subTest(operation=operation):
                self.setUp()
                proc = self.aws(*args)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(self.endpoint.operations(), [operation])
                self.assertEqual(self.reports(), [])

    @unittest.skipUnless(AWS, "aws CLI not installed")
    def test_aws_s3_high_level_commands(self):
        proc = self.aws("s3", "rb", "s3://data")
        self.assertNotEqual(proc.returncode, 0)
        self.assertNotIn("DELETE /data", self.endpoint.operations())
        self.assertIn("AccessDenied", proc.stderr)
        self.assertEqual(self.reports()[0]["--operation"], "DeleteBucket")
        self.setUp()
        proc = self.aws("s3", "ls")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.endpoint.operations(), ["GET /"])

    @unittest.skipUnless(AWS, "aws CLI not installed")
    def test_aws_cli_alias_and_cli_input_json(self):
        os.makedirs(os.path.join(self.home, ".aws", "cli"))
        with open(os.path.join(self.home, ".aws", "cli", "alias"), "w") as f:
            f.write("[toplevel]\nnuke = rds delete-db-instance --skip-final-snapshot\n")
        proc = self.aws("nuke", "--db-instance-identifier", "db1")
        self.assert_refused(proc, "DeleteDBInstance")
        self.setUp()
        request = os.path.join(self.home, "request.json")
        with open(request, "w") as f:
            json.dump({"DBInstanceIdentifier": "db1", "SkipFinalSnapshot": True}, f)
        proc = self.aws("rds", "delete-db-instance", "--cli-input-json", "file://" + request)
        self.assert_refused(proc, "DeleteDBInstance")

    # ---- boto3 ---------------------------------------------------------------------------------

    @unittest.skipUnless(have_boto3(), "boto3 not installed")
    def test_boto3_refusal_is_not_retried_and_keep_alive_carries_several_requests(self):
        script = textwrap.dedent("""
            import json, sys, boto3, botocore.config, botocore.exceptions
            for mode in ("legacy", "standard", "adaptive"):
                c = boto3.client("rds", endpoint_url=sys.argv[1], config=botocore.config.Config(retries={"mode": mode}))
                c.describe_db_instances(); c.describe_db_instances(); c.describe_db_instances()
                try:
                    c.delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True)
                    print("NOT REFUSED"); sys.exit(1)
                except botocore.exceptions.ClientError as e:
                    assert e.response["Error"]["Code"] == "AccessDenied", e.response
                    assert e.response["ResponseMetadata"]["RetryAttempts"] == 0, e.response
                c.describe_db_instances()
            print("ok")
        """)
        proc = self.run_client([sys.executable, "-c", script, self.endpoint.url])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        ops = self.endpoint.operations()
        self.assertEqual(ops, ["DescribeDBInstances"] * 12)
        self.assertEqual(len(self.reports()), 3)
        # The first three describes of each client share one kept-alive connection.
        conns = [r.connection for r in self.endpoint.requests]
        for i in (0, 4, 8):
            self.assertEqual(len(set(conns[i:i + 3])), 1, conns)
        # After the refusal (Connection: close) the client opened a new connection.
        self.assertNotEqual(conns[3], conns[2])

    # ---- curl (OpenSSL), wget (GnuTLS) ---------------------------------------------------------

    @unittest.skipUnless(CURL, "curl not installed")
    def test_curl_aws_sigv4(self):
        base = [CURL, "-sS", "--cacert", self.endpoint.cert, "--aws-sigv4", "aws:amz:us-east-1:rds",
                "--user", "AKIDEXAMPLE:secret", "-w", "\n%{http_code}"]
        proc = self.run_client(base + ["-d", "Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=db1",
                                       self.endpoint.url + "/"])
        self.assertTrue(proc.stdout.endswith("\n403"), proc)
        self.assertIn("<Code>AccessDenied</Code>", proc.stdout)
        self.assert_refused(proc, "DeleteDBInstance", error_code=None)
        self.setUp()
        body = "Action=DescribeDBInstances&Version=2014-10-31"
        proc = self.run_client(base + ["-d", body, self.endpoint.url + "/"])
        self.assertTrue(proc.stdout.endswith("\n200"), proc)
        self.assertEqual(self.endpoint.requests[0].body, body.encode())

    @unittest.skipUnless(CURL, "curl not installed")
    def test_curl_http2_is_kept_on_http1(self):
        proc = self.run_client([CURL, "-sS", "-v", "--http2", "--cacert", self.endpoint.cert, "--aws-sigv4",
                                "aws:amz:us-east-1:rds", "--user", "AKIDEXAMPLE:secret",
                                "-d", "Action=DescribeDBInstances&Version=2014-10-31", self.endpoint.url + "/"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("ALPN: server accepted http/1.1", proc.stderr)
        self.assertEqual(self.endpoint.operations(), ["DescribeDBInstances"])
        # Unguarded, the same curl negotiates h2 with this endpoint (so the test can fail).
        proc = self.run_client([CURL, "-sS", "-v", "--http2", "--cacert", self.endpoint.cert, "-o", "/dev/null",
                                "-m", "5", self.endpoint.url + "/"], guarded=False)
        self.assertIn("ALPN: server accepted h2", proc.stderr)

    @unittest.skipUnless(CURL, "curl not installed")
    def test_curl_100_mb_upload_passes_intact_on_nonblocking_socket(self):
        path = os.path.join(self.home, "upload.bin")
        digest = hashlib.sha256()
        with open(path, "wb") as f:
            block = os.urandom(1 << 20)
            for i in range(100):
                chunk = bytes([i]) + block[1:]
                digest.update(chunk)
                f.write(chunk)
        # curl drives OpenSSL on a non-blocking socket; a 100 MB body against a Python server fills
        # the socket buffer, so writes come back WANT_WRITE and are retried.
        proc = self.run_client([CURL, "-sS", "--cacert", self.endpoint.cert, "--aws-sigv4", "aws:amz:us-east-1:s3",
                                "--user", "AKIDEXAMPLE:secret", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                                "-T", path, self.endpoint.url + "/bucket/key.bin"], timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        [record] = self.endpoint.requests
        self.assertEqual((record.method, record.length, record.sha256), ("PUT", 100 << 20, digest.hexdigest()))
        self.assertEqual(self.reports(), [])

    @unittest.skipUnless(WGET, "wget not installed")
    def test_wget_gnutls_signed_request(self):
        def wget(body, guarded=True):
            return self.run_client([WGET, "-q", "-O", "-", "--content-on-error", "--tries=1",
                                    "--ca-certificate=" + self.endpoint.cert, "--header", "Authorization: " + AUTH_RDS,
                                    "--header", "X-Amz-Date: 20260101T000000Z", "--post-data", body,
                                    self.endpoint.url + "/"], guarded=guarded)
        proc = wget("Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=db1")
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("<Code>AccessDenied</Code>", proc.stdout)
        self.assert_refused(proc, "DeleteDBInstance", error_code=None)
        # The same read, guarded and not, arrives byte for byte the same.
        self.setUp()
        self.assertEqual(wget("Action=DescribeDBInstances&Version=2014-10-31").returncode, 0)
        self.assertEqual(wget("Action=DescribeDBInstances&Version=2014-10-31", guarded=False).returncode, 0)
        guarded_req, plain_req = self.endpoint.requests
        self.assertEqual((guarded_req.head, guarded_req.body), (plain_req.head, plain_req.body))

    # ---- python http.client: header block and body in separate writes --------------------------

    def test_http_client_split_writes(self):
        script = textwrap.dedent("""
            import http.client, ssl, sys
            ctx = ssl.create_default_context(cafile=sys.argv[2])
            conn = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ctx)
            auth = sys.argv[3]
            for body in (b"Action=DescribeDBInstances&Version=2014-10-31",
                         b"Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=db1&SkipFinalSnapshot=true"):
                conn.putrequest("POST", "/")
                conn.putheader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                conn.putheader("Authorization", auth)
                conn.putheader("Content-Length", str(len(body)))
                conn.endheaders()          # the header block: one write
                conn.send(body)            # the body: a second write
                r = conn.getresponse()
                print(r.status, r.getheader("Connection"), r.read().decode())
        """)
        proc = self.run_client([sys.executable, "-c", script, str(self.endpoint.port), self.endpoint.cert, AUTH_RDS])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        first, second = proc.stdout.splitlines()[:2]
        self.assertTrue(first.startswith("200 None <DescribeDBInstancesResponse>"), first)
        self.assertTrue(second.startswith("403 close <ErrorResponse"), second)
        self.assertIn("<Code>AccessDenied</Code>", second)
        self.assertEqual(self.endpoint.operations(), ["DescribeDBInstances"])
        self.assertEqual(self.endpoint.requests[0].body, b"Action=DescribeDBInstances&Version=2014-10-31")
        self.assertEqual(self.endpoint.requests[0].header("Authorization"), AUTH_RDS)

    # ---- failing closed ------------------------------------------------------------------------

    @unittest.skipUnless(CURL, "curl not installed")
    def test_unreadable_rules_refuse_aws_requests_but_not_others(self):
        missing = os.path.join(self.tmp, "no-such-rules.blob")
        proc = self.run_client([CURL, "-sS", "--cacert", self.endpoint.cert, "--aws-sigv4", "aws:amz:us-east-1:rds",
                                "--user", "AKIDEXAMPLE:secret", "-d", "Action=DescribeDBInstances&Version=2014-10-31",
                                self.endpoint.url + "/"], AGENTGUARD_API_RULES=missing)
        self.assertIn("<Code>AccessDenied</Code>", proc.stdout)
        self.assertIn("API rules", proc.stdout)
        self.assertEqual(self.endpoint.requests, [])
        self.assertEqual(self.reports()[0]["--rule"], "api-rules-unreadable")
        # A request that is not an AWS call is not the rules' business.
        proc = self.run_client([CURL, "-sS", "--cacert", self.endpoint.cert, self.endpoint.url + "/plain"],
                               AGENTGUARD_API_RULES=missing)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.endpoint.operations(), ["GET /plain"])


if __name__ == "__main__":
    unittest.main()
