#!/usr/bin/env python3
"""TLS figures for run_bench.py: the added time per small HTTPS request (boto3 describe calls
against a loopback HTTPS endpoint) and the throughput ratio of a bulk upload with curl. Prints
JSON rows. The server runs in this process, unguarded; only the clients are guarded."""
import argparse
import http.server
import json
import os
import resource
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading

DESCRIBE_BODY = (b'<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">'
                 b"<DescribeDBInstancesResult><DBInstances/></DescribeDBInstancesResult>"
                 b"<ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></DescribeDBInstancesResponse>")

CLIENT = r"""
import sys, time, boto3, botocore.config
n = int(sys.argv[2])
c = boto3.client("rds", endpoint_url=sys.argv[1], region_name="us-east-1", verify=False,
                 aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                 config=botocore.config.Config(retries={"max_attempts": 1}))
c.describe_db_instances()
t0, c0 = time.perf_counter(), time.process_time()
for _ in range(n):
    c.describe_db_instances()
# Wall time per call, and this process's CPU time per call: the guard's work is in-process CPU,
# and CPU time is far less disturbed than wall time when other jobs share the machine.
print((time.perf_counter() - t0) / n, (time.process_time() - c0) / n)
"""


def make_cert(work):
    key, crt = os.path.join(work, "key.pem"), os.path.join(work, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return key, crt


def start_server(key, crt):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The reply goes out as header block + body: without TCP_NODELAY, Nagle and the client's
        # delayed ACK add 40 ms to every request and drown what is measured.
        disable_nagle_algorithm = True

        def do_POST(self):
            remaining = int(self.headers.get("Content-Length") or 0)
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                remaining -= len(chunk)
            body = DESCRIBE_BODY
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_PUT = do_POST

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"https://127.0.0.1:{server.server_address[1]}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--guard-env-json", required=True)
    args = ap.parse_args()
    guard = json.loads(args.guard_env_json)
    plain = {k: v for k, v in os.environ.items() if not (k.startswith("AGENTGUARD_") or k == "LD_PRELOAD")}
    guarded = dict(plain, **guard)
    rounds = 3 if args.quick else 7
    work = tempfile.mkdtemp(prefix="ag-tls-")
    rows = []
    try:
        key, crt = make_cert(work)
        server, url = start_server(key, crt)
        n = 20 if args.quick else 200
        per = {"unguarded": [], "guarded": []}
        cpu = {"unguarded": [], "guarded": []}
        for r in range(rounds):
            for name, env in ((("unguarded", plain), ("guarded", guarded)) if r % 2 == 0 else
                              (("guarded", guarded), ("unguarded", plain))):
                out = subprocess.run([sys.executable, "-c", CLIENT, url, str(n)], env=env, capture_output=True,
                                     text=True, check=True).stdout
                wall, cpu_time = out.strip().splitlines()[-1].split()
                per[name].append(float(wall))
                cpu[name].append(float(cpu_time))
        # Each round runs both back to back, so the median of per-round differences cancels most
        # of the drift when other jobs share the machine.
        u, g = statistics.median(per["unguarded"]), statistics.median(per["guarded"])
        d_wall = statistics.median(b - a for a, b in zip(per["unguarded"], per["guarded"]))
        d_cpu = statistics.median(b - a for a, b in zip(cpu["unguarded"], cpu["guarded"]))
        rows.append({"measure": "small HTTPS request", "work": f"boto3 DescribeDBInstances x{n} over loopback TLS",
                     "unguarded": f"{u * 1e6:.0f} us", "guarded": f"{g * 1e6:.0f} us",
                     "result": f"{d_wall * 1e6:+.0f} us", "target": "<= +50 us", "snoopy": "-", "value": d_wall * 1e6})
        cu, cg = statistics.median(cpu["unguarded"]), statistics.median(cpu["guarded"])
        rows.append({"measure": "small HTTPS request, client CPU", "work": f"boto3 DescribeDBInstances x{n}, process CPU time",
                     "unguarded": f"{cu * 1e6:.0f} us", "guarded": f"{cg * 1e6:.0f} us",
                     "result": f"{d_cpu * 1e6:+.0f} us", "target": "<= +50 us", "snoopy": "-", "value": d_cpu * 1e6})

        size_mb = 20 if args.quick else 200
        blob = os.path.join(work, "blob")
        with open(blob, "wb") as f:
            f.write(os.urandom(1 << 20) * size_mb)
        speeds = {"unguarded": [], "guarded": []}
        upload_cpu = {"unguarded": [], "guarded": []}
        curl = shutil.which("curl")
        for r in range(rounds):
            for name, env in ((("unguarded", plain), ("guarded", guarded)) if r % 2 == 0 else
                              (("guarded", guarded), ("unguarded", plain))):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                out = subprocess.run([curl, "-sk", "-o", "/dev/null", "-w", "%{speed_upload}", "-T", blob,
                                      url + "/upload"], env=env, capture_output=True,
                                     text=True, check=True).stdout
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                speeds[name].append(float(out))
                upload_cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        su, sg = statistics.median(speeds["unguarded"]), statistics.median(speeds["guarded"])
        ratio = statistics.median(b / a for a, b in zip(speeds["unguarded"], speeds["guarded"]))
        rows.append({"measure": "bulk upload throughput", "work": f"curl PUT of {size_mb} MB over loopback TLS",
                     "unguarded": f"{su / 1e6:.0f} MB/s", "guarded": f"{sg / 1e6:.0f} MB/s", "result": f"{ratio:.3f}x",
                     "target": ">= 0.97x", "snoopy": "-", "value": ratio})
        # The throughput is bound by the single-threaded Python server on the same two cores, so it
        # hides (and its noise swamps) the client's own cost; curl's CPU time per upload does not.
        cu, cg = statistics.median(upload_cpu["unguarded"]), statistics.median(upload_cpu["guarded"])
        cpu_ratio = statistics.median(b / a for a, b in zip(upload_cpu["unguarded"], upload_cpu["guarded"]))
        rows.append({"measure": "bulk upload, client CPU", "work": f"curl's user+sys time for the {size_mb} MB PUT",
                     "unguarded": f"{cu * 1e3:.0f} ms", "guarded": f"{cg * 1e3:.0f} ms", "result": f"{cpu_ratio:.3f}x",
                     "target": "(<= 1.03x)", "snoopy": "-", "value": cpu_ratio})
        server.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
