"""The API guard on plain http:// (docs/https-guard.md §1b): real clients (aws CLI, boto3, curl,
node, python sockets) run under libagentguard.so against a loopback http:// endpoint that records
what reaches it. The preload marks each TCP connection at connect() and sends its writes through
the same reassembler and API decision as the TLS hooks: destructive AWS calls never arrive, the
client gets the service's AccessDenied after one attempt, the refusal is reported to the gate, and
everything else (reads, uploads, other protocols on TCP) arrives unchanged."""
import hashlib
import os
import shutil
import socket
import socketserver
import subprocess
import sys
import textwrap
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from https_endpoint import HttpsEndpoint  # noqa: E402
from test_https_guard import AUTH_RDS, AWS, CURL, HttpsGuardTest, have_boto3  # noqa: E402

NODE = shutil.which("node")


class PlainHttpGuardTest(HttpsGuardTest):
    # The HTTPS tests' fixture (rules blob, recording gate, environment), over plain http://.
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint.__exit__(None, None, None)
        cls.endpoint = HttpsEndpoint(cls.tmp, tls=False).__enter__()

    def env(self, guarded=True, **extra):
        env = super().env(guarded, **extra)
        del env["AWS_CA_BUNDLE"]  # no certificate over http://
        return env

    @unittest.skipUnless(AWS, "aws CLI not installed")
    def test_plain_aws_cli_rds_delete_refused_describe_passes(self):
        proc = self.aws("rds", "delete-db-instance", "--db-instance-identifier", "db1", "--skip-final-snapshot")
        self.assertNotEqual(proc.returncode, 0)
        self.assert_refused(proc, "DeleteDBInstance", rule="destroy-by-name")
        self.assertEqual(self.endpoint.requests, [])
        self.assertEqual(self.reports()[0]["--endpoint"], "127.0.0.1/")
        proc = self.aws("rds", "describe-db-instances")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.endpoint.operations(), ["DescribeDBInstances"])
        # Unguarded, the same delete reaches the endpoint (so the test can fail).
        self.endpoint.requests.clear()
        proc = self.aws("rds", "delete-db-instance", "--db-instance-identifier", "db1", "--skip-final-snapshot",
                        guarded=False)
        self.assertEqual(self.endpoint.operations(), ["DeleteDBInstance"])

    @unittest.skipUnless(AWS, "aws CLI not installed")
    def test_plain_aws_cli_s3_and_dynamodb(self):
        for args, operation, code in [(("s3api", "delete-bucket", "--bucket", "data"), "DeleteBucket", "AccessDenied"),
                                      (("dynamodb", "delete-table", "--table-name", "t"), "DeleteTable",
                                       "AccessDeniedException")]:
            with self.subTest(operation=operation):
                self.setUp()
                proc = self.aws(*args)
                self.assertNotEqual(proc.returncode, 0, proc)
                self.assertEqual(self.endpoint.requests, [], proc.stderr)
                self.assert_refused(proc, operation, error_code=code)
        self.setUp()
        proc = self.aws("s3", "ls")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.endpoint.operations(), ["GET /"])

    @unittest.skipUnless(have_boto3(), "boto3 not installed")
    def test_plain_boto3_keep_alive_refusal_and_upload(self):
        script = textwrap.dedent("""
            import hashlib, os, sys, boto3, botocore.config, botocore.exceptions
            rds = boto3.client("rds", endpoint_url=sys.argv[1], config=botocore.config.Config(retries={"mode": "standard"}))
            rds.describe_db_instances(); rds.describe_db_instances()
            try:
                rds.delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True)
                print("NOT REFUSED"); sys.exit(1)
            except botocore.exceptions.ClientError as e:
                assert e.response["Error"]["Code"] == "AccessDenied", e.response
                assert e.response["ResponseMetadata"]["RetryAttempts"] == 0, e.response
            rds.describe_db_instances()
            s3 = boto3.client("s3", endpoint_url=sys.argv[1])
            body = os.urandom(3 << 20)
            s3.put_object(Bucket="b", Key="k", Body=body)
            print(hashlib.sha256(body).hexdigest())
            try:
                s3.delete_bucket(Bucket="b")
                print("NOT REFUSED"); sys.exit(1)
            except botocore.exceptions.ClientError as e:
                assert e.response["Error"]["Code"] == "AccessDenied", e.response
            s3.list_objects_v2(Bucket="b")
            print("ok")
        """)
        proc = self.run_client([sys.executable, "-c", script, self.endpoint.url])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        digest = proc.stdout.split()[0]
        ops = self.endpoint.operations()
        self.assertEqual(ops[:3], ["DescribeDBInstances"] * 3)
        self.assertEqual(ops[3], "PUT /b/k")
        self.assertEqual(ops[4], "GET /b")
        self.assertEqual(len(ops), 5, ops)
        upload = self.endpoint.requests[3]
        self.assertEqual((upload.length, upload.sha256), (3 << 20, digest))
        self.assertEqual([r["--operation"] for r in self.reports()], ["DeleteDBInstance", "DeleteBucket"])
        conns = [r.connection for r in self.endpoint.requests]
        self.assertEqual(conns[0], conns[1])                 # kept alive
        self.assertNotEqual(conns[2], conns[1])              # a new connection after the refusal

    @unittest.skipUnless(CURL, "curl not installed")
    def test_plain_curl_sigv4_and_100_mb_upload(self):
        base = [CURL, "-sS", "--aws-sigv4", "aws:amz:us-east-1:rds", "--user", "AKIDEXAMPLE:secret",
                "-w", "\n%{http_code}"]
        proc = self.run_client(base + ["-d", "Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=db1",
                                       self.endpoint.url + "/"])
        self.assertTrue(proc.stdout.endswith("\n403"), proc)
        self.assertIn("<Code>AccessDenied</Code>", proc.stdout)
        self.assert_refused(proc, "DeleteDBInstance", error_code=None)
        self.setUp()
        path = os.path.join(self.home, "upload.bin")
        digest = hashlib.sha256()
        with open(path, "wb") as f:
            block = os.urandom(1 << 20)
            for i in range(100):
                chunk = bytes([i]) + block[1:]
                digest.update(chunk)
                f.write(chunk)
        proc = self.run_client([CURL, "-sS", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "AKIDEXAMPLE:secret",
                                "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-T", path,
                                self.endpoint.url + "/bucket/key.bin"], timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        [record] = self.endpoint.requests
        self.assertEqual((record.method, record.length, record.sha256), ("PUT", 100 << 20, digest.hexdigest()))
        self.assertEqual(self.reports(), [])

    @unittest.skipUnless(NODE, "node not installed")
    def test_plain_node_http_request(self):
        # node links libc dynamically: libuv's write/writev reach the hooks.
        script = textwrap.dedent("""
            const http = require("http");
            const [port, auth] = process.argv.slice(1);  // node -e: no script path in argv
            function post(body) {
              return new Promise((resolve, reject) => {
                const req = http.request({host: "127.0.0.1", port, method: "POST", path: "/",
                  headers: {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                            "Authorization": auth, "X-Amz-Date": "20260101T000000Z"}}, res => {
                  let data = ""; res.on("data", d => data += d); res.on("end", () => resolve(res.statusCode + " " + data));
                });
                req.on("error", reject);
                req.end(body);
              });
            }
            (async () => {
              console.log(await post("Action=DescribeDBInstances&Version=2014-10-31"));
              console.log(await post("Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=db1"));
            })().catch(e => { console.log("ERROR " + e); process.exit(1); });
        """)
        proc = self.run_client([NODE, "-e", script, str(self.endpoint.port), AUTH_RDS])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        first, second = proc.stdout.splitlines()[:2]
        self.assertTrue(first.startswith("200 "), first)
        self.assertTrue(second.startswith("403 <ErrorResponse"), second)
        self.assertIn("<Code>AccessDenied</Code>", second)
        self.assertEqual(self.endpoint.operations(), ["DescribeDBInstances"])
        self.assertEqual(len(self.reports()), 1)

    def test_other_tcp_protocols_pass_untouched(self):
        received = []

        class Echo(socketserver.BaseRequestHandler):
            def handle(self):
                data = b""
                while True:
                    chunk = self.request.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                received.append(data)
                self.request.sendall(hashlib.sha256(data).hexdigest().encode())

        server = socketserver.TCPServer(("127.0.0.1", 0), Echo)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            # Binary, an HTTP/2 preface, a CONNECT, and an HTTP request to a host that is not AWS
            # (whose bytes mention amazonaws.com in the body only): each one arrives as written.
            payloads = [bytes(range(256)) * 64, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\0" * 64,
                        b"CONNECT rds.us-east-1.amazonaws.com:443 HTTP/1.1\r\nHost: rds.us-east-1.amazonaws.com:443\r\n\r\n"
                        + b"\x16\x03\x01" + b"x" * 100,
                        b"POST /x HTTP/1.1\r\nHost: example.test\r\nContent-Length: 19\r\n\r\nsee amazonaws.com!!"]
            for payload in payloads:
                with self.subTest(payload=payload[:16]):
                    script = textwrap.dedent("""
                        import socket, sys
                        data = bytes.fromhex(sys.argv[2])
                        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                        for i in range(0, len(data), 7):   # small writes, as an interactive protocol would
                            s.send(data[i:i + 7])
                        s.shutdown(socket.SHUT_WR)
                        print(s.recv(100).decode())
                    """)
                    received.clear()
                    proc = self.run_client([sys.executable, "-c", script, str(server.server_address[1]), payload.hex()])
                    self.assertEqual(proc.returncode, 0, proc.stderr)
                    self.assertEqual(received, [payload])
                    self.assertEqual(proc.stdout.strip(), hashlib.sha256(payload).hexdigest())
        finally:
            server.shutdown()
            server.server_close()
        self.assertEqual(self.reports(), [])


    def test_kept_alive_connection_stays_inspected_after_a_subprocess(self):
        # CPython's subprocess closes every descriptor in a vfork child, which shares our memory:
        # the child's close()/close_range() must not clear the parent's marks.
        script = textwrap.dedent("""
            import http.client, subprocess, sys
            conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
            for action in ("DescribeDBInstances", "DeleteDBInstance"):
                body = "Action=%s&Version=2014-10-31&DBInstanceIdentifier=db1" % action
                conn.request("POST", "/", body, {"Authorization": sys.argv[2], "X-Amz-Date": "20260101T000000Z",
                             "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
                r = conn.getresponse()
                print(r.status, r.read()[:40])
                subprocess.run(["true"], check=True)   # close_fds=True, vfork
        """)
        proc = self.run_client([sys.executable, "-c", script, str(self.endpoint.port), AUTH_RDS])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([line.split()[0] for line in proc.stdout.splitlines()], ["200", "403"], proc.stdout)
        self.assertEqual(self.endpoint.operations(), ["DescribeDBInstances"])
        self.assertEqual(len({r.connection for r in self.endpoint.requests}), 1)

    def test_socket_calls_writev_sendmsg_peek_dup2_nonblocking(self):
        # python's os.writev, socket.sendmsg/recv(MSG_PEEK)/recvmsg, os.readv, os.dup2 and a
        # non-blocking socket with a tiny send buffer (send() fails with EAGAIN and is retried).
        script = textwrap.dedent("""
            import hashlib, os, select, socket, sys
            port, auth, auth_s3, scratch = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

            def query(action):
                body = ("Action=%s&Version=2014-10-31&DBInstanceIdentifier=db1" % action).encode()
                head = ("POST / HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nAuthorization: %s\\r\\n"
                        "X-Amz-Date: 20260101T000000Z\\r\\n"
                        "Content-Type: application/x-www-form-urlencoded; charset=utf-8\\r\\n"
                        "Content-Length: %d\\r\\n\\r\\n" % (auth, len(body))).encode()
                return head, body

            def response(read):
                data = b""
                while b"\\r\\n\\r\\n" not in data:
                    chunk = read(4096)
                    assert chunk, data
                    data += chunk
                head, _, rest = data.partition(b"\\r\\n\\r\\n")
                length = int([l.split(b":")[1] for l in head.split(b"\\r\\n") if l.lower().startswith(b"content-length")][0])
                while len(rest) < length:
                    rest += read(4096)
                return head.split(b"\\r\\n")[0].decode(), rest.decode()

            a = socket.create_connection(("127.0.0.1", port))
            os.writev(a.fileno(), list(query("DescribeDBInstances")))
            print("writev", response(lambda n: os.read(a.fileno(), n))[0])
            a.sendmsg(list(query("DeleteDBInstance")))
            peeked = a.recv(20, socket.MSG_PEEK)
            status, body = response(lambda n: a.recvmsg(n)[0])
            assert status.encode().startswith(peeked[:12]), (peeked, status)
            print("sendmsg", status, "AccessDenied" in body, repr(os.readv(a.fileno(), [bytearray(10)])))

            b = socket.create_connection(("127.0.0.1", port))
            with open(scratch, "wb") as f:
                os.dup2(f.fileno(), b.fileno())   # b's number now names a file
                os.write(b.fileno(), b"GET / HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n")   # an unfinished request
                print("dup2", os.fstat(f.fileno()).st_size)

            c = socket.create_connection(("127.0.0.1", port))
            c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
            c.setblocking(False)
            body = os.urandom(8 << 20)
            data = ("PUT /bucket/big HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nAuthorization: %s\\r\\n"
                    "x-amz-content-sha256: UNSIGNED-PAYLOAD\\r\\nContent-Length: %d\\r\\n\\r\\n"
                    % (auth_s3, len(body))).encode() + body
            view, again = memoryview(data), 0
            while view:
                try:
                    view = view[c.send(view[:65536]):]
                except BlockingIOError:
                    again += 1
                    select.select([], [c], [])
            c.setblocking(True)
            print("nonblocking", response(c.recv)[0], again > 0, hashlib.sha256(body).hexdigest())
        """)
        auth_s3 = AUTH_RDS.replace("/rds/", "/s3/")
        scratch = os.path.join(self.home, "scratch.bin")
        proc = self.run_client([sys.executable, "-c", script, str(self.endpoint.port), AUTH_RDS, auth_s3, scratch],
                               timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        lines = proc.stdout.splitlines()
        self.assertEqual(lines[0], "writev HTTP/1.1 200 OK")
        self.assertEqual(lines[1], "sendmsg HTTP/1.1 403 Forbidden True 0")  # then end of stream
        self.assertEqual(lines[2], f"dup2 {len('GET / HTTP/1.1  Host: 127.0.0.1  ')}")   # written at once, not held
        words = lines[3].split()
        self.assertEqual(words[:4], ["nonblocking", "HTTP/1.1", "200", "OK"])
        self.assertEqual(words[4], "True", "the send buffer never filled: EAGAIN was not exercised")
        ops = self.endpoint.operations()
        self.assertEqual(ops, ["DescribeDBInstances", "PUT /bucket/big"])
        big = self.endpoint.requests[1]
        self.assertEqual((big.length, big.sha256), (8 << 20, words[5]))
        self.assertEqual([r["--operation"] for r in self.reports()], ["DeleteDBInstance"])


# Only this file's tests: the inherited HTTPS ones run in test_https_guard.
for _name in [n for n in dir(HttpsGuardTest) if n.startswith("test_")]:
    setattr(PlainHttpGuardTest, _name, None)
del HttpsGuardTest

if __name__ == "__main__":
    unittest.main()
