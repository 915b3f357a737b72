"""A loopback S3 for the terraform `s3` backend test: path-style buckets, objects kept in memory,
over HTTPS with a certificate for the address it listens on. It implements what the backend
calls (ListObjectsV2 with prefix/delimiter, GetObject, HeadObject, PutObject, DeleteObject,
HeadBucket) and records every request, so a test can assert what reached it and what it holds."""
import hashlib
import http.server
import threading
import urllib.parse
from xml.sax.saxutils import escape

from https_endpoint import make_certificate, serve


class S3Endpoint:
    """with S3Endpoint(tmpdir, host) as s3: s3.url, s3.cert, s3.objects {(bucket, key): bytes}, s3.requests."""

    def __init__(self, directory, host="127.0.0.1", buckets=("tfstate",)):
        self.host = host
        self.key, self.cert = make_certificate(directory, host)
        self.buckets = set(buckets)
        self.objects = {}
        self.requests = []  # (method, bucket, key, query)
        self._lock = threading.Lock()

    def __enter__(self):
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _reply(self, status, body=b"", headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("x-amz-request-id", "1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _error(self, status, code):
                body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{code}</Message>'
                        f"<RequestId>1</RequestId></Error>").encode()
                self._reply(status, body if self.command != "HEAD" else b"", {"Content-Type": "application/xml"})

            def _body(self):
                if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("x-amz-decoded-content-length") is not None:
                    data = self._aws_chunked(data)
                return data

            @staticmethod
            def _aws_chunked(data):
                """The SDKs' aws-chunked body: `hex-size[;chunk-signature=...]\\r\\n bytes \\r\\n`, a 0 chunk, trailers."""
                out, at = b"", 0
                while True:
                    eol = data.index(b"\r\n", at)
                    size = int(data[at:eol].split(b";")[0], 16)
                    if size == 0:
                        return out
                    out += data[eol + 2:eol + 2 + size]
                    at = eol + 2 + size + 2

            def _handle(self):
                url = urllib.parse.urlsplit(self.path)
                parts = urllib.parse.unquote(url.path).lstrip("/").split("/", 1)
                bucket, key = parts[0], (parts[1] if len(parts) > 1 else "")
                query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
                body = self._body() if self.command in ("PUT", "POST") else b""
                with endpoint._lock:
                    endpoint.requests.append((self.command, bucket, key, url.query))
                if bucket not in endpoint.buckets:
                    return self._error(404, "NoSuchBucket")
                if not key:
                    if self.command == "HEAD":
                        return self._reply(200)
                    if self.command == "GET" and "versioning" in query:
                        return self._reply(200, b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>',
                                           {"Content-Type": "application/xml"})
                    if self.command == "GET":
                        return self._list(bucket, query)
                    return self._error(405, "MethodNotAllowed")
                with endpoint._lock:
                    if self.command == "PUT":
                        endpoint.objects[(bucket, key)] = body
                        return self._reply(200, b"", {"ETag": '"%s"' % hashlib.md5(body).hexdigest()})
                    if self.command == "DELETE":
                        endpoint.objects.pop((bucket, key), None)
                        return self._reply(204)
                    data = endpoint.objects.get((bucket, key))
                if data is None:
                    return self._error(404, "NoSuchKey")
                return self._reply(200, data, {"Content-Type": "application/octet-stream",
                                               "ETag": '"%s"' % hashlib.md5(data).hexdigest(),
                                               "Last-Modified": "Thu, 01 Jan 2026 00:00:00 GMT"})

            def _list(self, bucket, query):
                prefix = query.get("prefix", [""])[0]
                delimiter = query.get("delimiter", [""])[0]
                with endpoint._lock:
                    keys = sorted(k for (b, k) in endpoint.objects if b == bucket and k.startswith(prefix))
                contents, common = [], []
                for k in keys:
                    rest = k[len(prefix):]
                    if delimiter and delimiter in rest:
                        p = prefix + rest.split(delimiter, 1)[0] + delimiter
                        if p not in common:
                            common.append(p)
                        continue
                    size = len(endpoint.objects[(bucket, k)])
                    contents.append(f"<Contents><Key>{escape(k)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
                                    f'<ETag>"0"</ETag><Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>')
                body = ('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                        f"<Name>{bucket}</Name><Prefix>{escape(prefix)}</Prefix><KeyCount>{len(contents) + len(common)}</KeyCount>"
                        f"<MaxKeys>1000</MaxKeys><Delimiter>{escape(delimiter)}</Delimiter><IsTruncated>false</IsTruncated>"
                        + "".join(contents)
                        + "".join(f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>" for p in common)
                        + "</ListBucketResult>")
                self._reply(200, body.encode(), {"Content-Type": "application/xml"})

            do_GET = do_PUT = do_DELETE = do_HEAD = do_POST = _handle

            def log_message(self, *args):
                pass

        self.server, self.thread = serve(self.host, Handler, (self.cert, self.key))
        self.port = self.server.server_address[1]
        self.url = f"https://{self.host}:{self.port}"
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def methods(self):
        with self._lock:
            return [r[0] for r in self.requests]
