"""A loopback HTTP proxy that only tunnels (CONNECT host:port, then bytes both ways), standing in
for a company's outbound proxy in the tests. It records the targets it was asked for."""
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


class ConnectProxy:
    def __enter__(self):
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Tunnel)
        self.server.daemon_threads = True
        self.server.targets = []
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        return self

    @property
    def targets(self):
        return list(self.server.targets)

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
