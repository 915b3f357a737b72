"""TLS stacks the preload's SSL_write hooks never see, each run under `agentguard run` against a
loopback HTTPS endpoint that records what reaches it (docs/https-guard.md §1c):

- a C program writing through an OpenSSL SSL BIO (BIO_f_ssl + BIO_write, shared libssl): libssl's
  SSL BIO calls its internal write, not SSL_write; inspected by the BIO_write/BIO_read hooks;
- the OpenSSL inside the `cryptography` wheel (statically linked into its `_rust.abi3.so`, used
  the way pyOpenSSL uses it), in a process without the shared libssl: redirected at connect() to
  the session's proxy, which decrypts it with the session CA (SSL_CERT_FILE);
- the same, in a process that has also loaded the shared libssl (`import ssl`): moved to the proxy
  at its first write, since no hooked library made its ClientHello; while Python's own ssl in
  that process (blocking and asyncio) stays direct and inspected in-process.

Each delete must never reach the endpoint and must be recorded; the read must still arrive; the
same delete without the guard does arrive, so the tests can fail."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import AGENTGUARD, audit_records, clean_env, require_build  # noqa: E402
from https_endpoint import HttpsEndpoint  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CC = shutil.which("cc")
HAVE_LIBSSL_DEV = os.path.exists("/usr/include/openssl/ssl.h")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_DEFAULT_REGION": "us-east-1"}
DESCRIBE = ["rds", "POST", "/", "Action=DescribeDBInstances&Version=2014-10-31"]
DELETE = ["rds", "POST", "/", "Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=db1&SkipFinalSnapshot=true"]


def cryptography_binding_available():
    probe = "from cryptography.hazmat.bindings.openssl.binding import Binding; Binding().lib.SSL_do_handshake"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0


def cryptography_openssl_is_bundled():
    """True for the wheel (OpenSSL linked into `_rust.abi3.so`); False for a distribution's build
    against the shared libssl (Debian's python3-cryptography), which the TLS hooks already see."""
    probe = ("from cryptography.hazmat.bindings.openssl.binding import Binding; Binding(); "
             "print('/libssl.so' in open('/proc/self/maps').read())")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    return proc.returncode == 0 and proc.stdout.strip() == "False"


class TlsStacksTest(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.tmp = tempfile.mkdtemp(prefix="ag-tls-stacks-")
        self.state = os.path.join(self.tmp, "state")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_guarded(self, argv, **env):
        return subprocess.run([AGENTGUARD, "run", "--default-only", "--state-dir", self.state, "--"] + argv,
                              env=clean_env(**CREDENTIALS, **env), capture_output=True, text=True, timeout=120)

    def refused_operations(self):
        return [e.get("operation") for e in audit_records(self.state)
                if e.get("kind") == "http" and e.get("decision") == "deny"]

    def check_client(self, argv_for, program_name):
        """argv_for(endpoint, call) -> argv. Runs a read and a delete guarded, then the delete unguarded."""
        with HttpsEndpoint(self.tmp) as ep:
            read = self.run_guarded(argv_for(ep, DESCRIBE), SSL_CERT_FILE=ep.cert)
            delete = self.run_guarded(argv_for(ep, DELETE), SSL_CERT_FILE=ep.cert)
            self.assertTrue(read.stdout.strip().endswith("HTTP/1.1 200 OK -"), read)
            self.assertTrue(delete.stdout.strip().endswith("HTTP/1.1 403 Forbidden AccessDenied"), delete)
            # The delete never arrived; the read did.
            self.assertEqual(ep.operations(), ["DescribeDBInstances"], (read, delete))
            self.assertEqual(self.refused_operations(), ["DeleteDBInstance"])
            for e in audit_records(self.state):
                if e.get("kind") == "http":
                    self.assertTrue(os.path.basename(e.get("resolved_path", "")).startswith(program_name), e)

            ep.requests.clear()
            control = subprocess.run(argv_for(ep, DELETE), env=clean_env(**CREDENTIALS, SSL_CERT_FILE=ep.cert),
                                     capture_output=True, text=True, timeout=60)
            self.assertEqual(ep.operations(), ["DeleteDBInstance"], control)
        return read, delete

    @unittest.skipUnless(CC and HAVE_LIBSSL_DEV, "cc and libssl-dev are needed")
    def test_ssl_bio_program_deletes_never_arrive(self):
        program = os.path.join(self.tmp, "tls_call")
        subprocess.run([CC, "-O1", "-o", program, os.path.join(HERE, "c_tls", "tls_call.c"), "-lssl", "-lcrypto"],
                       check=True, capture_output=True, timeout=300)
        self.check_client(lambda ep, call: [program, "bio", "127.0.0.1", str(ep.port)] + call, "tls_call")

    @unittest.skipUnless(cryptography_binding_available(), "python's cryptography (with its OpenSSL binding) is needed")
    def test_cryptography_bundled_openssl_deletes_never_arrive(self):
        script = os.path.join(HERE, "bundled_openssl_call.py")
        read, delete = self.check_client(lambda ep, call: [sys.executable, script, "127.0.0.1", str(ep.port)] + call,
                                         "python")
        # The premise: no shared libssl in the process, so its TLS is the bundled copy's (or, with a
        # distribution's cryptography built against the shared libssl, the hooked one's).
        self.assertIn("loaded-libssl", delete.stdout)

    @unittest.skipUnless(cryptography_binding_available() and cryptography_openssl_is_bundled(),
                         "needs python's cryptography wheel with its own OpenSSL")
    def test_bundled_openssl_next_to_the_shared_libssl_goes_through_the_proxy(self):
        # Python's own `ssl` has loaded the shared libssl, so the process is inspected in-process
        # and not redirected at connect; the bundled copy's ClientHello is one no hooked library
        # made, and the preload moves that connection to the proxy at its first write.
        script = os.path.join(HERE, "bundled_openssl_call.py")
        read, delete = self.check_client(
            lambda ep, call: [sys.executable, script, "--import-ssl", "127.0.0.1", str(ep.port)] + call, "python")
        self.assertIn("loaded-libssl yes", delete.stdout)

    @unittest.skipUnless(cryptography_binding_available() and cryptography_openssl_is_bundled(),
                         "needs python's cryptography wheel with its own OpenSSL")
    def test_the_hooked_libssl_beside_a_private_copy_stays_in_process(self):
        # The other half: in the same kind of process, Python's own ssl (blocking, and asyncio's
        # memory BIO, where Python writes the ClientHello after libssl made it) trusts only the
        # endpoint's certificate. Taken to the proxy, its handshake would fail: it must stay
        # direct, and its delete is still refused in-process.
        script = os.path.join(HERE, "stdlib_tls_call.py")
        with HttpsEndpoint(self.tmp) as ep:
            read = self.run_guarded([sys.executable, script, ep.cert, "127.0.0.1", str(ep.port)] + DESCRIBE)
            delete = self.run_guarded([sys.executable, script, ep.cert, "127.0.0.1", str(ep.port)] + DELETE)
        for proc in (read, delete):
            self.assertIn("loaded-libssl yes", proc.stdout, proc)
            self.assertIn("loaded-cryptography yes", proc.stdout, proc)
        self.assertIn("blocking HTTP/1.1 200 OK -", read.stdout, read)
        self.assertIn("asyncio HTTP/1.1 200 OK -", read.stdout, read)
        self.assertIn("blocking HTTP/1.1 403 Forbidden AccessDenied", delete.stdout, delete)
        # asyncio's reply to a refusal: the AccessDenied, or an early end of stream (memory BIOs: the
        # socket is not the preload's to shut, docs/https-guard.md §1a); never the endpoint's 200.
        self.assertNotIn("asyncio HTTP/1.1 200", delete.stdout, delete)
        self.assertEqual(ep.operations(), ["DescribeDBInstances", "DescribeDBInstances"], (read, delete))
        self.assertEqual(self.refused_operations().count("DeleteDBInstance"), 2, (read, delete))

    @unittest.skipUnless(shutil.which("curl") and shutil.which("wget"), "curl and wget are needed")
    def test_curl_and_wget_in_a_session_stay_in_process(self):
        # curl (the shared libssl) and wget (GnuTLS) trust only the endpoint's certificate: their
        # ClientHellos must be recognised as the hooked libraries' (SSL_get_client_random,
        # gnutls_session_get_random) and stay direct, or the handshake with the proxy would fail.
        auth = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/rds/aws4_request, "
                "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)
        with HttpsEndpoint(self.tmp) as ep:
            clients = {
                "wget": ["wget", "-q", "-O", "-", "--content-on-error", "--tries=1", "--ca-certificate=" + ep.cert,
                         "--header", "Authorization: " + auth, "--header", "X-Amz-Date: 20260101T000000Z",
                         "--post-data", "Action=DescribeDBInstances&Version=2014-10-31", ep.url + "/"],
                "curl": ["curl", "-sS", "--cacert", ep.cert, "--aws-sigv4", "aws:amz:us-east-1:rds",
                         "--user", "AKIDEXAMPLE:secret", "-d", "Action=DescribeDBInstances&Version=2014-10-31",
                         ep.url + "/"],
            }
            for name, argv in clients.items():
                proc = self.run_guarded(argv)
                self.assertEqual(proc.returncode, 0, (name, proc))
                self.assertIn("<DescribeDBInstancesResponse>", proc.stdout, (name, proc))
            self.assertEqual(ep.operations(), ["DescribeDBInstances", "DescribeDBInstances"])


if __name__ == "__main__":
    unittest.main()
