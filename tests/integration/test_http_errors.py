"""The HTTPS guard's error replies, read by real botocore.

For each protocol a real boto3 client sends a destructive call to a loopback plain-HTTP server.
The server runs the raw request through agentguard's core (reassembler, classifier, reply
builder) via the agentguard-http-reply helper and answers with the reply a blocked call gets.
We check that botocore raises the service's access-denied error code, that the message names
the rule and says a human was told, and that the client made exactly one attempt in the legacy,
standard and adaptive retry modes.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import unittest

try:
    import boto3
    import botocore.parsers
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError:  # pragma: no cover - the CI image has boto3
    boto3 = None

BUILD = os.environ.get("AGENTGUARD_BUILD_DIR", "")
SOURCE = os.environ.get("AGENTGUARD_SOURCE_DIR",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
RULE = "test-rule"
MESSAGE = "DeleteThing <destroys> \"data\" & more."


def helper_path(tmp):
    """The reply tool CMake builds (tests/http_tools): the core's own error reply for a request."""
    built = os.path.join(BUILD, "bin", "agentguard-http-reply")
    if not os.path.exists(built):
        raise AssertionError(f"{built} is missing: build the tree (cmake --build) before the tests")
    return built


class ReplyServer:
    """Loopback HTTP server: each request is answered with agentguard's reply for it."""

    def __init__(self, helper):
        self.helper = helper
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        self.failures = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def read_request(self, conn):
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
            if name.strip().lower() == b"expect" and b"100-continue" in value.lower() and not body:
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    raw = self.read_request(conn)
                    if not raw:
                        continue
                    self.requests.append(raw)
                    result = subprocess.run([self.helper, RULE, MESSAGE], input=raw, capture_output=True)
                    if result.returncode != 0:
                        self.failures.append(result.stderr.decode())
                    conn.sendall(result.stdout)
                except OSError as e:
                    self.failures.append(str(e))

    def close(self):
        self.sock.close()


@unittest.skipIf(boto3 is None, "boto3 is not installed")
class HttpErrorRepliesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="agentguard-http-errors-")
        cls.helper = helper_path(cls.tmp)
        cls.server = ReplyServer(cls.helper)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def client(self, service, mode):
        endpoint = f"http://127.0.0.1:{self.server.port}"
        return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint,
                            aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                            config=Config(retries={"mode": mode, "max_attempts": 5},
                                          s3={"addressing_style": "path"}))

    def check(self, service, call, code):
        for mode in ("legacy", "standard", "adaptive"):
            with self.subTest(service=service, mode=mode):
                before = len(self.server.requests)
                with self.assertRaises(ClientError) as caught:
                    call(self.client(service, mode))
                error = caught.exception.response["Error"]
                self.assertEqual(error["Code"], code)
                self.assertIn(f"Blocked by agentguard rule {RULE}: {MESSAGE}", error["Message"])
                self.assertIn("The refusal is recorded for a human; ask them to run it.", error["Message"])
                self.assertEqual(len(self.server.requests) - before, 1, "the SDK retried a blocked call")
                self.assertEqual(self.server.failures, [])

    def test_query(self):
        self.check("rds", lambda c: c.delete_db_instance(DBInstanceIdentifier="prod", SkipFinalSnapshot=True),
                   "AccessDenied")

    def test_query_cloudformation(self):
        self.check("cloudformation", lambda c: c.delete_stack(StackName="prod"), "AccessDenied")

    def test_ec2(self):
        self.check("ec2", lambda c: c.terminate_instances(InstanceIds=["i-1"]), "UnauthorizedOperation")

    def test_json(self):
        self.check("dynamodb", lambda c: c.delete_table(TableName="orders"), "AccessDeniedException")

    def test_json_query_compatible_sqs(self):
        self.check("sqs", lambda c: c.purge_queue(QueueUrl="https://sqs.us-east-1.amazonaws.com/1/q"),
                   "AccessDeniedException")

    def test_rest_json(self):
        self.check("lambda", lambda c: c.delete_function(FunctionName="my-fn"), "AccessDeniedException")

    def test_rest_json_backup(self):
        self.check("backup", lambda c: c.delete_backup_vault(BackupVaultName="v"), "AccessDeniedException")

    def test_rest_xml_s3(self):
        self.check("s3", lambda c: c.delete_bucket(Bucket="my-bucket"), "AccessDenied")

    def test_rest_xml_s3_upload(self):
        self.check("s3", lambda c: c.put_object(Bucket="my-bucket", Key="k", Body=b"x" * 2048), "AccessDenied")

    def test_rest_xml_route53(self):
        self.check("route53", lambda c: c.delete_hosted_zone(Id="Z1"), "AccessDenied")

    @unittest.skipIf(shutil.which("aws") is None, "aws CLI not installed")
    def test_aws_cli_prints_access_denied_once(self):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret",
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                   AWS_RETRY_MODE="standard", AWS_MAX_ATTEMPTS="5")
        before = len(self.server.requests)
        result = subprocess.run(["aws", "rds", "delete-db-instance", "--db-instance-identifier", "prod",
                                 "--skip-final-snapshot", "--endpoint-url", f"http://127.0.0.1:{self.server.port}"],
                                env=env, capture_output=True, text=True, timeout=120)
        self.assertIn(result.returncode, (254, 255), result.stderr)  # v2 exits 254 on a service error, v1 255
        self.assertIn("An error occurred (AccessDenied) when calling the DeleteDBInstance operation: "
                      f"Blocked by agentguard rule {RULE}", result.stderr)
        self.assertEqual(len(self.server.requests) - before, 1)

    def test_rpc_v2_cbor(self):
        # No botocore 1.43 service resolves to CBOR, so feed the reply to botocore's CBOR parser.
        raw = (b"POST /service/GraniteServiceVersion20100801/operation/DeleteAlarms HTTP/1.1\r\n"
               b"Host: monitoring.us-east-1.amazonaws.com\r\nSmithy-Protocol: rpc-v2-cbor\r\n"
               b"Content-Type: application/cbor\r\nContent-Length: 1\r\n"
               b"Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/monitoring/aws4_request, "
               b"SignedHeaders=host, Signature=0\r\n\r\n\xa0")
        reply = subprocess.run([self.helper, RULE, MESSAGE], input=raw, capture_output=True, check=True).stdout
        head, _, body = reply.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        self.assertEqual(headers["Smithy-Protocol"], "rpc-v2-cbor")
        self.assertEqual(int(headers["Content-Length"]), len(body))
        self.assertEqual(headers["Connection"], "close")
        model = botocore.session.get_session().get_service_model("cloudwatch")
        parser = botocore.parsers.create_parser("smithy-rpc-v2-cbor")
        parsed = parser.parse({"status_code": status, "headers": headers, "body": body},
                              model.operation_model("DeleteAlarms").output_shape)
        self.assertEqual(parsed["Error"]["Code"], "AccessDeniedException")
        self.assertIn(f"Blocked by agentguard rule {RULE}", parsed["Error"]["Message"])


if __name__ == "__main__":
    unittest.main()
