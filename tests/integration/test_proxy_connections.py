"""The inspecting proxy's connection handling, driven directly (docs/https-guard.md §1d): the proxy
is started by hand with the default API rules, as bench/proxy_bench.py does, and real clients talk
to it and to loopback endpoints the tests start.

- Plain http:// as a forward proxy (what HTTP_PROXY sends): keep-alive, a chunked body, two hosts
  on one client connection, a request that is not an AWS call, a refused delete, and the requests
  it will not carry (a Host header that differs from the target, origin-form).
- The idle timeout: silent connections are closed (the endpoint's side too), busy ones are not,
  nor spliced ones (not HTTP: the program's own long-lived connections)."""
import hashlib
import http.client
import os
import socket
import struct
import subprocess
import sys
import tempfile
import shutil
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILD_DIR, SOURCE_DIR, clean_env, require_build  # noqa: E402
from https_endpoint import HttpsEndpoint  # noqa: E402

PROXY = os.path.join(BUILD_DIR, "lib", "agentguard", "agentguard-proxy")
BLOB_TOOL = os.path.join(BUILD_DIR, "bin", "agentguard-api-rules-blob")


def signed(service):
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/{service}/aws4_request, "
                             "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
            "X-Amz-Date": "20260101T000000Z"}


class ProxyByHand:
    def __init__(self, tmp, *extra):
        rules = os.path.join(tmp, "rules.blob")
        subprocess.run([BLOB_TOOL, rules, os.path.join(SOURCE_DIR, "policy", "default-api-rules.toml")], check=True)
        self.proc = subprocess.Popen([PROXY, "--session", "test", "--ca-out", os.path.join(tmp, "ca.pem")] + list(extra),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=clean_env(AGENTGUARD_API_RULES=rules))
        self.port = int(self.proc.stdout.readline())

    def stop(self):
        _, err = self.proc.communicate(timeout=30)  # closes its standard input: the session's end
        return err.decode()


class ForwardHttpTest(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.tmp = tempfile.mkdtemp(prefix="ag-proxy-conn-")
        self.proxy = ProxyByHand(self.tmp)

    def tearDown(self):
        self.proxy.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_keep_alive_chunked_two_hosts_and_a_refusal_on_one_connection(self):
        with HttpsEndpoint(self.tmp, tls=False) as one, HttpsEndpoint(self.tmp, tls=False) as two:
            conn = http.client.HTTPConnection("127.0.0.1", self.proxy.port, timeout=30)

            def call(method, ep, path, body=None, headers=None, **kw):
                conn.request(method, f"{ep.url}{path}", body=body, headers=dict(headers or {}, Host=f"127.0.0.1:{ep.port}"), **kw)
                reply = conn.getresponse()
                return reply.status, reply.read()

            status, _ = call("POST", one, "/", b"Action=DescribeDBInstances&Version=2014-10-31",
                             dict(signed("rds"), **{"Content-Type": "application/x-www-form-urlencoded"}))
            self.assertEqual(status, 200)
            client_socket = conn.sock
            chunks = [os.urandom(70000), os.urandom(1), os.urandom(300000)]
            status, _ = call("PUT", one, "/bucket/big", iter(chunks), dict(signed("s3"), **{"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}),
                             encode_chunked=True)
            self.assertEqual(status, 200)
            status, body = call("GET", two, "/plain/page")  # not an AWS call: carried as it is
            self.assertEqual((status, body), (200, b"{}"))
            status, _ = call("POST", one, "/", b"Action=DescribeDBInstances&Version=2014-10-31",
                             dict(signed("rds"), **{"Content-Type": "application/x-www-form-urlencoded"}))
            self.assertEqual(status, 200)
            self.assertIs(conn.sock, client_socket)  # one client connection throughout
            status, body = call("DELETE", one, "/full-bucket/a.txt", headers=signed("s3"))
            self.assertEqual(status, 403)
            self.assertIn(b"AccessDenied", body)
            self.assertIn(b"Blocked by agentguard rule", body)
            conn.close()

            self.assertEqual(one.operations(), ["DescribeDBInstances", "PUT /bucket/big", "DescribeDBInstances"])
            self.assertEqual(two.operations(), ["GET /plain/page"])
            put = one.requests[1]
            self.assertEqual(put.header("Transfer-Encoding"), "chunked")
            self.assertEqual(put.sha256, hashlib.sha256(b"".join(chunks)).hexdigest())
            self.assertEqual([r.target for r in one.requests], ["/", "/bucket/big", "/"])
            # Kept alive to the first host until the request for the second, then a new connection.
            self.assertEqual([r.connection for r in one.requests], [1, 1, 2])

    def test_requests_it_will_not_carry(self):
        with HttpsEndpoint(self.tmp, tls=False) as ep:
            cases = [
                # The classifier reads Host; the request would go to the target's host: they must agree.
                f"DELETE {ep.url}/full-bucket/a.txt HTTP/1.1\r\nHost: example.com\r\n\r\n",
                # A proxy is told the host in the target.
                "GET /full-bucket/a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                # Not through itself.
                f"GET http://127.0.0.1:{self.proxy.port}/ HTTP/1.1\r\nHost: 127.0.0.1:{self.proxy.port}\r\n\r\n",
            ]
            for request in cases:
                with socket.create_connection(("127.0.0.1", self.proxy.port), timeout=30) as s:
                    s.sendall(request.encode())
                    reply = b""
                    while chunk := s.recv(65536):
                        reply += chunk
                    self.assertTrue(reply.startswith(b"HTTP/1.1 400 "), reply)
            self.assertEqual(ep.operations(), [])


class IdleTimeoutTest(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.tmp = tempfile.mkdtemp(prefix="ag-proxy-idle-")
        self.proxy = ProxyByHand(self.tmp, "--idle-timeout-ms", "400")

    def tearDown(self):
        self.proxy.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def redirected_connection(self):
        """A connection to the proxy as the preload makes one (the redirect header naming a loopback
        listener), and the listener's side of the proxy's connection to it."""
        with socket.create_server(("127.0.0.1", 0)) as listener:
            listener.settimeout(60)
            client = socket.create_connection(("127.0.0.1", self.proxy.port), timeout=60)
            client.sendall(b"AGP1" + bytes([4, 0]) + struct.pack("!H", listener.getsockname()[1]) +
                           socket.inet_aton("127.0.0.1") + bytes(12))
            endpoint_side, _ = listener.accept()
            endpoint_side.settimeout(60)
            return client, endpoint_side

    def test_a_connection_that_never_speaks_is_closed(self):
        with socket.create_connection(("127.0.0.1", self.proxy.port), timeout=60) as s:
            self.assertEqual(s.recv(1), b"")  # the proxy closed it (recv would time out otherwise)

    def test_a_silent_redirected_connection_is_closed_on_both_sides(self):
        client, endpoint_side = self.redirected_connection()
        with client, endpoint_side:
            self.assertEqual(client.recv(1), b"")
            self.assertEqual(endpoint_side.recv(1), b"")

    def test_a_spliced_connection_may_stay_silent(self):
        # A server that speaks first (SSH, a database) is not HTTP: spliced, and the program's own
        # business: not timed out for idleness (TCP keep-alive finds dead peers instead).
        client, endpoint_side = self.redirected_connection()
        with client, endpoint_side:
            endpoint_side.sendall(b"SSH-2.0-test\r\n")
            self.assertEqual(client.recv(64), b"SSH-2.0-test\r\n")
            time.sleep(2.0)  # five idle timeouts of silence
            client.sendall(b"still here")
            self.assertEqual(endpoint_side.recv(64), b"still here")
            endpoint_side.sendall(b"so am I")
            self.assertEqual(client.recv(64), b"so am I")

    def test_a_kept_alive_connection_in_use_stays_open_and_closes_once_silent(self):
        with HttpsEndpoint(self.tmp, tls=False) as ep:
            conn = http.client.HTTPConnection("127.0.0.1", self.proxy.port, timeout=60)
            started = time.monotonic()
            count = 0
            while time.monotonic() - started < 2.0:  # five timeouts' worth, a request every ~20 ms
                conn.request("GET", f"{ep.url}/page", headers={"Host": f"127.0.0.1:{ep.port}"})
                self.assertEqual(conn.getresponse().read(), b"{}")
                count += 1
                time.sleep(0.02)
            self.assertEqual({r.connection for r in ep.requests}, {1})
            self.assertEqual(len(ep.requests), count)
            self.assertEqual(conn.sock.recv(1), b"")  # then silence: closed by the proxy
            conn.close()


if __name__ == "__main__":
    unittest.main()
