"""SigV4-shaped AWS requests over Python's own `ssl` (the shared libssl, whose writes the TLS hooks
see), from a process that has also loaded the `cryptography` wheel's private OpenSSL: once with a
blocking socket (`http.client`; the ClientHello is written inside SSL_do_handshake) and once with
asyncio (a memory BIO; Python itself writes the ClientHello to the socket, after libssl made it).
Each trusts only CAFILE, never the session's CA: had the guard taken either connection to its
proxy, the handshake would fail.

    python3 stdlib_tls_call.py CAFILE HOST PORT SERVICE METHOD PATH [BODY]

Prints `loaded-libssl yes|no`, `loaded-cryptography yes|no`, then one line per transport:
`blocking|asyncio STATUS-LINE CODE`."""
import asyncio
import http.client
import ssl
import sys

from cryptography.hazmat.bindings.openssl.binding import Binding

cafile, host, port, service, method, path = sys.argv[1:7]
body = sys.argv[7] if len(sys.argv) > 7 else ""
Binding()  # the private OpenSSL is loaded next to the shared one
with open("/proc/self/maps") as maps:
    text = maps.read()
print("loaded-libssl", "yes" if "/libssl.so" in text else "no")
print("loaded-cryptography", "yes" if "_rust.abi3.so" in text else "no", flush=True)

headers = {"Authorization": f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/{service}/aws4_request, "
                            f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}",
           "X-Amz-Date": "20260101T000000Z", "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD", "Connection": "close"}
if body:
    headers["Content-Type"] = "application/x-www-form-urlencoded"


def context():
    c = ssl.create_default_context(cafile=cafile)
    c.check_hostname = False  # the endpoint's certificate names its IP; verification stays on
    return c


def code_of(reply):
    return reply.split(b"<Code>", 1)[1].split(b"<", 1)[0].decode() if b"<Code>" in reply else "-"


def blocking():
    try:
        conn = http.client.HTTPSConnection(host, int(port), context=context(), timeout=30)
        conn.request(method, path, body=body.encode(), headers=headers)
        reply = conn.getresponse()
        return f"HTTP/1.1 {reply.status} {reply.reason} {code_of(reply.read())}"
    except (OSError, ssl.SSLError) as e:
        return f"error {e}"


async def with_asyncio():
    try:
        reader, writer = await asyncio.open_connection(host, int(port), ssl=context())
        head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write((head + f"Content-Length: {len(body)}\r\n\r\n" + body).encode())
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), 30)
        writer.close()
        status_line = reply.split(b"\r\n", 1)[0].decode()
        return f"{status_line} {code_of(reply)}" if reply else "no-reply"
    except (OSError, ssl.SSLError, asyncio.TimeoutError) as e:
        return f"error {e!r}"


print("blocking", blocking(), flush=True)
print("asyncio", asyncio.run(with_asyncio()), flush=True)
