"""One SigV4-shaped AWS request over the OpenSSL *inside the `cryptography` wheel* (its
`_rust.abi3.so` links OpenSSL statically and exports none of it), made with the same calls
pyOpenSSL makes on that copy (SSL_CTX_new, SSL_set_fd, SSL_set_connect_state, SSL_do_handshake,
SSL_write, SSL_read). The preload's TLS hooks cannot see these calls.

    python3 bundled_openssl_call.py [--import-ssl] HOST PORT SERVICE METHOD PATH [BODY]

Prints which stacks the process has loaded (`loaded-libssl yes|no`, from /proc/self/maps), then
the reply's status line and <Code>, if any. --import-ssl also imports Python's own `ssl` module,
which loads the system's shared libssl next to the bundled copy."""
import socket
import sys

args = sys.argv[1:]
if args and args[0] == "--import-ssl":
    import ssl  # noqa: F401  (only loaded, never used: the request still goes through the bundled copy)
    args = args[1:]
host, port, service, method, path = args[:5]
body = args[5] if len(args) > 5 else ""

from cryptography.hazmat.bindings.openssl.binding import Binding  # noqa: E402

with open("/proc/self/maps") as maps:
    print("loaded-libssl", "yes" if "/libssl.so" in maps.read() else "no", flush=True)

binding = Binding()
lib, ffi = binding.lib, binding.ffi
ctx = lib.SSL_CTX_new(lib.TLS_method())
lib.SSL_CTX_set_default_verify_paths(ctx)  # the bundled copy reads SSL_CERT_FILE like any OpenSSL
lib.SSL_CTX_set_verify(ctx, lib.SSL_VERIFY_PEER, ffi.NULL)
sock = socket.create_connection((host, int(port)))
conn = lib.SSL_new(ctx)
lib.X509_VERIFY_PARAM_set1_ip(lib.SSL_get0_param(conn), socket.inet_aton(host), 4)
lib.SSL_set_fd(conn, sock.fileno())
lib.SSL_set_connect_state(conn)
if lib.SSL_do_handshake(conn) != 1:
    print("tls-error")
    sys.exit(5)
request = (f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: AWS4-HMAC-SHA256 "
           f"Credential=AKIDEXAMPLE/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host;x-amz-date, "
           f"Signature={'0' * 64}\r\nX-Amz-Date: 20260101T000000Z\r\nX-Amz-Content-Sha256: UNSIGNED-PAYLOAD\r\n"
           + ("Content-Type: application/x-www-form-urlencoded\r\n" if body else "")
           + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}").encode()
data = ffi.new("char[]", request)
if lib.SSL_write(conn, data, len(request)) != len(request):
    print("write-error")
    sys.exit(6)
reply = b""
buf = ffi.new("char[]", 65536)
while True:
    n = lib.SSL_read(conn, buf, 65536)
    if n <= 0:
        break
    reply += ffi.buffer(buf, n)[:]
status = reply.split(b"\r\n", 1)[0].decode("latin-1") if reply else "no-reply"
code = "-"
if b"<Code>" in reply:
    code = reply.split(b"<Code>", 1)[1].split(b"<", 1)[0].decode("latin-1")
print(status, code)
