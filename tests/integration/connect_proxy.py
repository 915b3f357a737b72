"""A loopback HTTP proxy standing in for a company's outbound proxy in the tests: it tunnels
(CONNECT host:port, then bytes both ways) and forwards absolute-form http:// requests (one per
connection). It records the targets it was asked for ("host:port") and the Proxy-Authorization
headers it got."""
import socket
import socketserver
import threading


class _Tunnel(socketserver.BaseRequestHandler):
    def handle(self):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(1)
            if not chunk:
                return
            head += chunk
        words = head.split(b"\r\n", 1)[0].split()
        for line in head.split(b"\r\n")[1:]:
            if line.lower().startswith(b"proxy-authorization:"):
                self.server.authorizations.append(line.split(b":", 1)[1].strip().decode())
        if len(words) == 3 and words[1].startswith(b"http://"):
            self.forward(words, head)
            return
        if len(words) != 3 or words[0] != b"CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        host, _, port = words[1].decode().rpartition(":")
        self.server.targets.append(f"{host}:{port}")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=30)
        except OSError:
            self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pump(src, dst):
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            for s in (dst,):
                try:
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        other = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
        other.start()
        pump(self.request, upstream)
        other.join(30)
        upstream.close()


    def forward(self, words, head):
        """One absolute-form request: to its host in origin-form with `Connection: close`, the
        response back as it comes, then both connections end."""
        authority, _, path = words[1][len(b"http://"):].partition(b"/")
        host, _, port = authority.decode().rpartition(":") if b":" in authority else (authority.decode(), "", "80")
        self.server.targets.append(f"{host}:{port}")
        lines = [line for line in head.split(b"\r\n")[1:] if line and not line.lower().startswith(
            (b"connection:", b"proxy-connection:", b"proxy-authorization:"))]
        length = next((int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length:")), 0)
        body = b""
        while len(body) < length:
            chunk = self.request.recv(length - len(body))
            if not chunk:
                return
            body += chunk
        with socket.create_connection((host, int(port)), timeout=30) as upstream:
            upstream.sendall(b" ".join([words[0], b"/" + path, words[2]]) + b"\r\n" + b"\r\n".join(lines) +
                             b"\r\nConnection: close\r\n\r\n" + body)
            # The response says the connection ends with it (the endpoint may not), as a proxy
            # that closes after each response must, or a client would reuse it.
            response = b""
            while b"\r\n\r\n" not in response and (data := upstream.recv(65536)):
                response += data
            head, _, rest = response.partition(b"\r\n\r\n")
            kept = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
            self.request.sendall(b"\r\n".join(kept) + b"\r\nConnection: close\r\n\r\n" + rest)
            while data := upstream.recv(65536):
                self.request.sendall(data)


class ConnectProxy:
    def __enter__(self):
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Tunnel)
        self.server.daemon_threads = True
        self.server.targets = []
        self.server.authorizations = []
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        return self

    @property
    def targets(self):
        return list(self.server.targets)

    @property
    def authorizations(self):
        return list(self.server.authorizations)

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
