"""The HTTPS guard inside an `agentguard run` session: the API rules the session compiled from the
policy, a boto3 script whose argv says nothing, the refused call recorded like a refused launch."""
import os
import shutil
import tempfile
import unittest

from harness import AGENTGUARD, audit_records, clean_env, require_build, run
from https_endpoint import HttpsEndpoint

SCRIPT = """
import boto3, botocore, sys
c = boto3.client("rds", endpoint_url=sys.argv[1], region_name="us-east-1", verify=sys.argv[2],
                 aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="not-a-secret",
                 config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 5}))
try:
    c.delete_db_instance(DBInstanceIdentifier="prod", SkipFinalSnapshot=True)
    print("DELETED")
except botocore.exceptions.ClientError as e:
    print("code=" + e.response["Error"]["Code"])
c.describe_db_instances()
print("described")
"""


class HttpsGuardInASession(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.dir = tempfile.mkdtemp(prefix="ag-https-")
        self.state = os.path.join(self.dir, "state")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_delete_refused_in_process_describe_passes_event_recorded(self):
        with HttpsEndpoint(self.dir) as ep:
            r = run([AGENTGUARD, "run", "--default-only", "--state-dir", self.state, "--", "python3", "-c", SCRIPT,
                     ep.url, ep.cert], env=clean_env(), timeout=120)
            operations = ep.operations()
        self.assertIn("code=AccessDenied", r.stdout, r)
        self.assertIn("described", r.stdout, r)
        self.assertNotIn("DELETED", r.stdout)
        self.assertEqual(operations, ["DescribeDBInstances"], "the delete (or a retry of it) reached the endpoint")
        events = [e for e in audit_records(self.state) if e["kind"] == "http"]
        self.assertEqual(len(events), 1, audit_records(self.state))
        self.assertEqual((events[0]["service"], events[0]["operation"], events[0]["decision"], events[0]["rule_id"]),
                         ("rds", "DeleteDBInstance", "deny", "destroy-by-name"))
        self.assertIn("python3", events[0]["argv"][0])

    def test_plain_http_delete_refused_in_a_session_event_recorded(self):
        # The same over http:// (LocalStack, moto, MinIO): the preload inspects plain TCP writes.
        with HttpsEndpoint(self.dir, tls=False) as ep:
            r = run([AGENTGUARD, "run", "--default-only", "--state-dir", self.state, "--", "python3", "-c", SCRIPT,
                     ep.url, "unused-over-http"], env=clean_env(), timeout=120)
            operations = ep.operations()
        self.assertIn("code=AccessDenied", r.stdout, r)
        self.assertIn("described", r.stdout, r)
        self.assertEqual(operations, ["DescribeDBInstances"], "the delete (or a retry of it) reached the endpoint")
        events = [e for e in audit_records(self.state) if e["kind"] == "http"]
        self.assertEqual([(e["service"], e["operation"], e["decision"], e["rule_id"]) for e in events],
                         [("rds", "DeleteDBInstance", "deny", "destroy-by-name")], audit_records(self.state))


if __name__ == "__main__":
    unittest.main()
