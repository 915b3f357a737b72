"""A loopback HTTPS endpoint for the HTTPS guard tests: a self-signed certificate made with the
openssl CLI, HTTP/1.1 keep-alive, and a record of every request it receives (raw header block,
body bytes or, for large bodies, their length and SHA-256). It answers plausible AWS replies: the
query/ec2 XML envelope for `Action=`, `{}` for awsJson, XML for S3, JSON for REST services."""
import hashlib
import http.server
import os
import re
import socket
import ssl
import subprocess
import threading
import urllib.parse

KEEP_BODY = 1 << 20


def make_certificate(directory, host="127.0.0.1"):
    key, cert = os.path.join(directory, f"key-{host}.pem"), os.path.join(directory, f"cert-{host}.pem")
    names = "IP:127.0.0.1,DNS:localhost" + (f",IP:{host}" if host != "127.0.0.1" else "")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", f"/CN={host}",
                    "-addext", f"subjectAltName={names}"],
                   check=True, capture_output=True)
    return key, cert


def serve(host, handler, cert_and_key=None, alpn=None):
    """A threading HTTP server for `handler` on a free port of `host`, over TLS when given a
    certificate and key, served by a daemon thread. Returns (server, thread)."""
    server = http.server.ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    if cert_and_key:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*cert_and_key)
        if alpn:
            context.set_alpn_protocols(alpn)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


class _LineRecorder:
    """Wraps the handler's rfile so the raw request line and header block are kept byte for byte."""

    def __init__(self, raw):
        self.raw, self.lines = raw, []

    def readline(self, *args):
        line = self.raw.readline(*args)
        self.lines.append(line)
        return line

    def read(self, *args):
        return self.raw.read(*args)

    def take(self):
        head, self.lines = b"".join(self.lines), []
        return head

    def __getattr__(self, name):
        return getattr(self.raw, name)


class Recorded:
    def __init__(self, method, target, head, body, length, sha256, connection):
        self.method, self.target, self.head = method, target, head
        self.body, self.length, self.sha256, self.connection = body, length, sha256, connection

    def header(self, name):
        m = re.search(rb"(?im)^" + re.escape(name.encode()) + rb":[ \t]*(.*?)\r?$", self.head)
        return m.group(1).decode() if m else None

    @property
    def operation(self):
        target = self.header("X-Amz-Target")
        if target:
            return target.rsplit(".", 1)[-1]
        for source in (self.body or b"", urllib.parse.urlsplit(self.target).query.encode()):
            m = re.search(rb"(?:^|&)Action=([A-Za-z0-9]+)", source)
            if m:
                return m.group(1).decode()
        return f"{self.method} {urllib.parse.urlsplit(self.target).path}"

    def __repr__(self):
        return f"<{self.method} {self.target} op={self.operation} len={self.length}>"


def _reply_for(record):
    op = record.operation
    content_type = record.header("Content-Type") or ""
    if record.header("X-Amz-Target"):
        return 200, {"Content-Type": content_type or "application/x-amz-json-1.0"}, b"{}"
    if "Action=" in (record.body or b"").decode("latin-1") or "Action=" in record.target:
        if record.header("Authorization") and "/ec2/" in record.header("Authorization"):
            body = (f'<{op}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
                    f"<requestId>1</requestId></{op}Response>")
        else:
            body = (f"<{op}Response><{op}Result/><ResponseMetadata><RequestId>1</RequestId>"
                    f"</ResponseMetadata></{op}Response>")
        return 200, {"Content-Type": "text/xml"}, body.encode()
    auth = record.header("Authorization") or ""
    if "/s3/" in auth or record.header("x-amz-content-sha256"):
        path = urllib.parse.urlsplit(record.target).path
        if record.method == "GET" and path == "/":
            body = (b'<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult><Owner><ID>1</ID></Owner>'
                    b"<Buckets/></ListAllMyBucketsResult>")
        elif record.method == "GET" and path.startswith("/full-bucket/"):
            return 200, {"Content-Type": "application/octet-stream",
                         "ETag": '"5d41402abc4b2a76b9719d911017c592"', "Last-Modified": "Thu, 01 Jan 2026 00:00:00 GMT"}, b"hello"
        elif record.method == "GET" and path.rstrip("/") == "/full-bucket":
            # One object, so `aws s3 mv s3://full-bucket/ DIR --recursive` has something to move.
            body = (b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>full-bucket</Name><Prefix></Prefix>'
                    b"<KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
                    b"<Contents><Key>a.txt</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
                    b'<ETag>"5d41402abc4b2a76b9719d911017c592"</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass></Contents>'
                    b"</ListBucketResult>")
        elif record.method == "GET":
            body = (b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><Prefix></Prefix>'
                    b"<KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>")
        else:
            body = b""
        return 200, {"Content-Type": "application/xml", "ETag": '"d41d8cd98f00b204e9800998ecf8427e"'}, body
    if record.method == "GET" and "/functions" in record.target:
        return 200, {"Content-Type": "application/json"}, b'{"Functions": []}'
    return 200, {"Content-Type": "application/json"}, b"{}"


class HttpsEndpoint:
    """with HttpsEndpoint(tmpdir) as ep: ep.url, ep.cert, ep.requests. tls=False: the same endpoint
    over plain http:// (ep.cert is None)."""

    def __init__(self, directory, tls=True, host="127.0.0.1"):
        self.tls, self.host = tls, host
        self.key, self.cert = make_certificate(directory, host) if tls else (None, None)
        self.requests = []
        self.connections = 0
        self._lock = threading.Lock()

    def __enter__(self):
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The reply goes out as header block + body: without TCP_NODELAY, Nagle and the client's
            # delayed ACK add 40 ms to every request and drown what is measured.
            disable_nagle_algorithm = True

            def setup(self):
                super().setup()
                self.rfile = _LineRecorder(self.rfile)
                with endpoint._lock:
                    endpoint.connections += 1
                    self.connection_number = endpoint.connections

            def _handle(self):
                head = self.rfile.take()
                digest, length, kept = hashlib.sha256(), 0, bytearray()
                if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
                    while True:
                        size = int(self.rfile.raw.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            while self.rfile.raw.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            break
                        chunk = self.rfile.read(size)
                        self.rfile.raw.readline()
                        digest.update(chunk)
                        length += len(chunk)
                        if len(kept) < KEEP_BODY:
                            kept += chunk[:KEEP_BODY - len(kept)]
                else:
                    remaining = int(self.headers.get("Content-Length") or 0)
                    while remaining > 0:
                        chunk = self.rfile.read(min(remaining, 1 << 20))
                        if not chunk:
                            break
                        remaining -= len(chunk)
                        digest.update(chunk)
                        length += len(chunk)
                        if len(kept) < KEEP_BODY:
                            kept += chunk[:KEEP_BODY - len(kept)]
                record = Recorded(self.command, self.path, head, bytes(kept) if length <= KEEP_BODY else None,
                                  length, digest.hexdigest(), self.connection_number)
                with endpoint._lock:
                    endpoint.requests.append(record)
                status, headers, body = _reply_for(record)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("x-amzn-RequestId", "1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

            def log_message(self, *args):
                pass

        self.server, self.thread = serve(self.host, Handler, (self.cert, self.key) if self.tls else None,
                                         alpn=["h2", "http/1.1"])
        self.port = self.server.server_address[1]
        self.url = f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def operations(self):
        with self._lock:
            return [r.operation for r in self.requests]
