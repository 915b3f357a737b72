#!/usr/bin/env python3
"""The inspecting proxy's three figures (issue 14), each against an unguarded run in the same run:

1. a small request on a new connection (connect, TLS handshake, POST DescribeDBInstances, reply,
   close): added milliseconds through the proxy (target: at most 1 ms);
2. a small request on a kept-alive connection: added microseconds (target: at most 50 us);
3. a 200 MB upload (S3 PutObject-shaped PUT, 64 KiB writes): throughput ratio (target: >= 0.9x).

The client is this Python process (unhooked), reaching the proxy the way a redirected client
does: connect to the proxy, the preload's 24-byte redirect header, then TLS trusting the session
CA. The endpoint is a loopback HTTPS server in a child process (forked: client and server do not
share one interpreter lock). Rounds alternate direct and proxied. Latency figures: in each round
the median of the per-request times, then the median over rounds of proxied minus direct (the
per-round means are given too: they include the machine's scheduling outliers). Throughput: the
median of per-round ratios.

The proxy's own CPU time is read from /proc (every thread's schedstat: nanoseconds on a CPU; the
utime+stime of /proc/PID/stat where that is missing) around its part of each measurement: per
new connection, per kept-alive request, per MB of upload. On a 2-core machine the client and the
server already use both cores during an upload, so the proxy's decrypting and re-encrypting
competes with them; the upload row also gives the ratio a machine with a core free for the proxy
would see, estimated as min(1, proxy throughput on its own core / direct throughput), where the
proxy's throughput on its own core is the upload's bytes over the proxy's CPU time for them.
Prints JSON rows."""
import argparse
import hashlib
import json
import multiprocessing
import os
import socket
import ssl
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

BUILD = os.path.abspath(os.environ.get("AGENTGUARD_BUILD_DIR") or os.path.join(os.path.dirname(__file__), "..", "build"))
SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PROXY = os.path.join(BUILD, "lib", "agentguard", "agentguard-proxy")
BLOB_TOOL = os.path.join(BUILD, "bin", "agentguard-api-rules-blob")

AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/{svc}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)
DESCRIBE = b"Action=DescribeDBInstances&Version=2014-10-31"
REPLY = (b"<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances/></DescribeDBInstancesResult>"
         b"<ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></DescribeDBInstancesResponse>")


def make_cert(work):
    key, crt = os.path.join(work, "key.pem"), os.path.join(work, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return key, crt


def read_head(f):
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = f.readline()
        if not line:
            return None
        head += line
    return head


def serve(listener, context):
    """A minimal keep-alive HTTP/1.1 server: reads Content-Length bodies, answers REPLY."""
    def one(conn):
        try:
            tls = context.wrap_socket(conn, server_side=True)
            tls.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            f = tls.makefile("rb")
            while True:
                head = read_head(f)
                if head is None:
                    break
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                while length > 0:
                    chunk = f.read(min(length, 1 << 20))
                    if not chunk:
                        return
                    length -= len(chunk)
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n" % len(REPLY) + REPLY)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=one, args=(conn,), daemon=True).start()


class Client:
    def __init__(self, server_port, proxy_port, ca):
        self.server_port, self.proxy_port = server_port, proxy_port
        self.context = ssl.create_default_context(cafile=ca)
        self.context.set_alpn_protocols(["http/1.1"])

    def connect(self, proxied):
        s = socket.create_connection(("127.0.0.1", self.proxy_port if proxied else self.server_port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if proxied:  # the preload's redirect header: the real destination
            s.sendall(b"AGP1" + bytes([4, 0]) + struct.pack("!H", self.server_port) + socket.inet_aton("127.0.0.1") + bytes(12))
        tls = self.context.wrap_socket(s, server_hostname="127.0.0.1")
        return tls, tls.makefile("rb")

    @staticmethod
    def request(tls, f, body=DESCRIBE, svc="rds", method=b"POST", path=b"/"):
        head = (method + b" " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + AUTH.format(svc=svc).encode() +
                b"\r\nX-Amz-Date: 20260101T000000Z\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body))
        tls.sendall(head + body)
        reply = read_head(f)
        length = int([l for l in reply.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
        f.read(length)


def proxy_cpu_seconds(pid):
    """CPU time of every thread of the proxy so far."""
    total, found = 0, False
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
                found = True
    except OSError:
        found = False
    if found:
        return total / 1e9
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(fn, n):
    """(median, mean) seconds per call."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), sum(times) / n


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--connections", type=int, default=100, help="new-connection requests per round")
    ap.add_argument("--requests", type=int, default=1000, help="kept-alive requests per round")
    ap.add_argument("--upload-mb", type=int, default=200)
    ap.add_argument("--rules", help="a compiled API rules blob (default: compile policy/default-api-rules.toml)")
    ap.add_argument("--proxy", default=PROXY, help="the agentguard-proxy binary (default: the build tree's)")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="ag-proxy-bench-")
    key, crt = make_cert(work)
    rules = args.rules or os.path.join(work, "rules.bin")
    if not args.rules:
        subprocess.run([BLOB_TOOL, rules, os.path.join(SOURCE, "policy", "default-api-rules.toml")], check=True)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(crt, key)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    server = multiprocessing.get_context("fork").Process(target=serve, args=(listener, server_context), daemon=True)
    server.start()
    server_port = listener.getsockname()[1]

    ca = os.path.join(work, "session-ca.pem")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTGUARD_")}
    env["AGENTGUARD_API_RULES"] = rules
    proxy = subprocess.Popen([args.proxy, "--session", "bench", "--ca-out", ca, "--upstream-ca", crt],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    proxy_port = int(proxy.stdout.readline())
    with open(os.path.join(work, "both.pem"), "w") as out:
        out.write(open(crt).read() + open(ca).read())
    client = Client(server_port, proxy_port, os.path.join(work, "both.pem"))

    def new_connection(proxied):
        tls, f = client.connect(proxied)
        client.request(tls, f)
        tls.close()

    new_diff, kept_diff, ratios, direct_rates = [], [], [], []
    new_mean_diff, kept_mean_diff, loads = [], [], []
    cpu_new, cpu_kept, cpu_mb, free_core_ratios = [], [], [], []
    payload = os.urandom(1 << 16)
    upload = args.upload_mb * (1 << 20)

    def upload_rate(proxied):
        tls, f = client.connect(proxied)
        head = (b"PUT /bucket/big HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + AUTH.format(svc="s3").encode() +
                b"\r\nX-Amz-Date: 20260101T000000Z\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n"
                b"Content-Length: %d\r\n\r\n" % upload)
        t0 = time.perf_counter()
        tls.sendall(head)
        sent = 0
        while sent < upload:
            tls.sendall(payload)
            sent += len(payload)
        read_head(f)
        elapsed = time.perf_counter() - t0
        tls.close()
        return upload / elapsed

    for _ in range(args.rounds):
        loads.append(os.getloadavg()[0])
        direct = timed(lambda: new_connection(False), args.connections)
        cpu0 = proxy_cpu_seconds(proxy.pid)
        proxied = timed(lambda: new_connection(True), args.connections)
        cpu_new.append((proxy_cpu_seconds(proxy.pid) - cpu0) / args.connections)
        new_diff.append(proxied[0] - direct[0])
        new_mean_diff.append(proxied[1] - direct[1])
        rows = {}
        for mode in (False, True):
            tls, f = client.connect(mode)
            client.request(tls, f)
            cpu0 = proxy_cpu_seconds(proxy.pid)
            rows[mode] = timed(lambda: client.request(tls, f), args.requests)
            if mode:
                cpu_kept.append((proxy_cpu_seconds(proxy.pid) - cpu0) / args.requests)
            tls.close()
        kept_diff.append(rows[True][0] - rows[False][0])
        kept_mean_diff.append(rows[True][1] - rows[False][1])
        d = upload_rate(False)
        cpu0 = proxy_cpu_seconds(proxy.pid)
        p = upload_rate(True)
        cpu = proxy_cpu_seconds(proxy.pid) - cpu0
        direct_rates.append(d)
        ratios.append(p / d)
        cpu_mb.append(cpu / args.upload_mb)
        free_core_ratios.append(min(1.0, (upload / cpu) / d) if cpu > 0 else 1.0)

    proxy.stdin.close()
    proxy.wait(timeout=10)
    server.terminate()
    loads.append(os.getloadavg()[0])
    load = f"{min(loads):.1f}-{max(loads):.1f}"
    print(json.dumps({"figure": "new connection, small request", "added_ms": round(statistics.median(new_diff) * 1e3, 3),
                      "added_ms_of_means": round(statistics.median(new_mean_diff) * 1e3, 3),
                      "proxy_cpu_us": round(statistics.median(cpu_new) * 1e6, 1),
                      "target_ms": 1.0, "rounds": args.rounds, "load": load}))
    print(json.dumps({"figure": "kept-alive small request", "added_us": round(statistics.median(kept_diff) * 1e6, 1),
                      "added_us_of_means": round(statistics.median(kept_mean_diff) * 1e6, 1),
                      "proxy_cpu_us": round(statistics.median(cpu_kept) * 1e6, 1),
                      "target_us": 50, "rounds": args.rounds, "load": load}))
    print(json.dumps({"figure": f"{args.upload_mb} MB upload", "throughput_ratio": round(statistics.median(ratios), 3),
                      "direct_MBps": round(statistics.median(direct_rates) / 1e6, 1),
                      "proxy_cpu_ms_per_MB": round(statistics.median(cpu_mb) * 1e3, 2),
                      "ratio_with_a_free_core": round(statistics.median(free_core_ratios), 3), "target_ratio": 0.9,
                      "rounds": args.rounds, "load": load}))


if __name__ == "__main__":
    sys.exit(main())
