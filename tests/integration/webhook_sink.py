"""A loopback webhook receiver for agentguard's tests (and for trying notifications by hand).

Import it and drive it from a test:

    from webhook_sink import WebhookSink
    with WebhookSink(secret="s3cret") as sink:       # 127.0.0.1, random free port
        env["AGENTGUARD_WEBHOOK_URL"] = sink.url
        ... run agentguard ...
        sink.wait_for(1, timeout=10)
        request = sink.requests[0]
        request.json, request.headers["x-agentguard-event-id"], request.signature_ok

Modes, switchable at any time: sink.answer(200) / sink.answer(500) (any status), sink.hang()
(accepts the request and never answers until released or stopped), sink.go_down() (nothing listens
on the port: connection refused) and sink.come_up() (listens again on the same port).

Signatures are checked here independently of agentguard's code, with Python's hmac:
X-Agentguard-Signature == "v1=" + hex(HMAC-SHA256(secret, "<X-Agentguard-Timestamp>.<body>")).

By hand:  python3 webhook_sink.py [--port 8080] [--secret S]   prints every request it receives.
"""

import hashlib
import hmac
import http.server
import json
import socket
import threading
import time


def expected_signature(secret, timestamp, body):
    """The v1 signature a sender holding `secret` must put on `body` sent at `timestamp`."""
    if isinstance(secret, str):
        secret = secret.encode()
    if isinstance(timestamp, int):
        timestamp = str(timestamp)
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


class ReceivedRequest:
    """One request as the sink saw it."""

    def __init__(self, method, path, headers, body, secret):
        self.method = method
        self.path = path
        self.headers = {k.lower(): v for k, v in headers.items()}  # names lower-cased
        self.body = body
        self.received_at = time.time()
        try:
            self.json = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self.json = None
        self.signature_ok = None  # None: the sink has no secret to check with
        if secret is not None:
            timestamp = self.headers.get("x-agentguard-timestamp", "")
            signature = self.headers.get("x-agentguard-signature", "")
            self.signature_ok = bool(timestamp) and hmac.compare_digest(
                signature, expected_signature(secret, timestamp, body))

    @property
    def event_id(self):
        return self.headers.get("x-agentguard-event-id")

    def __repr__(self):
        return "ReceivedRequest(%s %s, event %s, %d bytes)" % (self.method, self.path, self.event_id, len(self.body))


class WebhookSink:
    """An HTTP server on loopback that records webhook requests and answers as told."""

    def __init__(self, host="127.0.0.1", port=0, status=200, secret=None):
        self.host = host
        self.port = port
        self.secret = secret
        self.requests = []          # ReceivedRequest, in arrival order (answered or not)
        self._status = status
        self._mode = "answer"       # answer | hang
        self._lock = threading.Condition()
        self._release = threading.Event()
        self._server = None
        self._thread = None

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self):
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = ReceivedRequest("POST", self.path, dict(self.headers), body, sink.secret)
                with sink._lock:
                    sink.requests.append(request)
                    mode, status = sink._mode, sink._status
                    sink._lock.notify_all()
                if mode == "hang":
                    sink._release.wait(timeout=120)
                    return  # close without an answer
                reply = b"ok\n" if 200 <= status < 300 else b"error\n"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_PUT = do_POST

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server((self.host, self.port), Handler)
        self.port = self._server.server_address[1]  # a random port stays the same across go_down/come_up
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._release.set()  # let hanging handlers finish
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- behaviour -------------------------------------------------------------------------
    @property
    def url(self):
        return "http://%s:%d/hook" % (self.host, self.port)

    def answer(self, status):
        """Answer every request with this HTTP status (200 by default)."""
        with self._lock:
            self._mode, self._status = "answer", status
        self._release.set()

    def hang(self):
        """Accept requests and never answer (until answer(), come_up() or stop())."""
        with self._lock:
            self._mode = "hang"
            self._release = threading.Event()

    def go_down(self):
        """Stop listening: senders get 'connection refused'."""
        self.stop()

    def come_up(self, status=200):
        """Listen again on the same port and answer with `status`."""
        self._release = threading.Event()
        self._mode, self._status = "answer", status
        if self._server is None:
            self.start()

    # ---- queries ---------------------------------------------------------------------------
    def wait_for(self, count, timeout=10.0):
        """True once at least `count` requests arrived, False after `timeout` seconds."""
        deadline = time.time() + timeout
        with self._lock:
            while len(self.requests) < count:
                left = deadline - time.time()
                if left <= 0:
                    return False
                self._lock.wait(left)
            return True

    def event_ids(self):
        """Every event id carried by the received requests (folded notifications list several)."""
        ids = []
        for request in list(self.requests):
            if request.json and isinstance(request.json.get("event_ids"), list):
                ids.extend(request.json["event_ids"])
            elif request.event_id:
                ids.append(request.event_id)
        return ids

    def clear(self):
        with self._lock:
            self.requests.clear()


def _main():
    import argparse
    parser = argparse.ArgumentParser(description="Print the webhook requests agentguard sends.")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--secret", default=None, help="verify X-Agentguard-Signature with this secret")
    parser.add_argument("--status", type=int, default=200, help="HTTP status to answer with")
    args = parser.parse_args()
    sink = WebhookSink(port=args.port, status=args.status, secret=args.secret).start()
    print("listening on %s (Ctrl-C to stop)" % sink.url, flush=True)
    seen = 0
    try:
        while True:
            if sink.wait_for(seen + 1, timeout=1.0):
                for request in sink.requests[seen:]:
                    print("--- %s %s" % (request.method, request.path))
                    for name in sorted(request.headers):
                        if name.startswith("x-agentguard") or name == "content-type":
                            print("%s: %s" % (name, request.headers[name]))
                    if request.signature_ok is not None:
                        print("signature: %s" % ("valid" if request.signature_ok else "INVALID"))
                    print(json.dumps(request.json, indent=2) if request.json is not None else request.body)
                    print(flush=True)
                seen = len(sink.requests)
    except KeyboardInterrupt:
        sink.stop()


if __name__ == "__main__":
    _main()
