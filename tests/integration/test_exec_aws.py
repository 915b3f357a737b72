"""The aws CLI at launch: delete/terminate/remove and protection switched off are refused before a
single request leaves; describe/list/get and --dry-run still reach the endpoint."""
import os
import shutil
import tempfile
import unittest

from harness import BLOCKED, RecordingHTTPServer, audit_records, guarded, require_build

AWS = shutil.which("aws")


@unittest.skipUnless(AWS, "the aws CLI is not installed")
class AwsCliAtLaunch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_build(cls)
        cls.server = RecordingHTTPServer()
        cls.home = tempfile.mkdtemp(prefix="ag-aws-home-")
        os.makedirs(os.path.join(cls.home, ".aws", "cli"))
        with open(os.path.join(cls.home, ".aws", "cli", "alias"), "w") as f:
            f.write("[toplevel]\nnuke = rds delete-db-instance\n")
        cls.state_dir = tempfile.mkdtemp(prefix="ag-state-")
        cls.env = {"HOME": cls.home, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG",
                   "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                   "AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "standard"}

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.home, ignore_errors=True)
        shutil.rmtree(cls.state_dir, ignore_errors=True)

    def aws(self, args):
        return guarded(f"aws --endpoint-url {self.server.url} {args}", state_dir=self.state_dir, extra_env=self.env)

    def assert_refused_before_sending(self, args):
        before = len(self.server.requests)
        r = self.aws(args)
        self.assertIn(BLOCKED, r.stderr, r)
        self.assertEqual(r.status, 126, r)
        self.assertEqual(len(self.server.requests), before, f"a request left for {args!r}: {self.server.requests[before:]}")
        self.assertEqual(audit_records(self.state_dir)[-1]["decision"], "deny")

    def test_delete_db_instance(self):
        self.assert_refused_before_sending("rds delete-db-instance --db-instance-identifier prod --skip-final-snapshot")

    def test_terminate_instances(self):
        self.assert_refused_before_sending("ec2 terminate-instances --instance-ids i-0abc")

    def test_s3_rb(self):
        self.assert_refused_before_sending("s3 rb s3://prod-bucket --force")

    def test_s3_rm(self):
        self.assert_refused_before_sending("s3 rm s3://prod-bucket/data --recursive")

    def test_protection_switched_off(self):
        self.assert_refused_before_sending("rds modify-db-instance --db-instance-identifier prod --no-deletion-protection")

    def test_global_options_after_the_service(self):
        self.assert_refused_before_sending("--region eu-west-1 dynamodb --output json delete-table --table-name orders")

    def test_alias(self):
        self.assert_refused_before_sending("nuke --db-instance-identifier prod")

    def test_python_m_awscli(self):
        before = len(self.server.requests)
        r = guarded(f"python3 -m awscli --endpoint-url {self.server.url} rds delete-db-instance --db-instance-identifier prod",
                    state_dir=self.state_dir, extra_env=self.env)
        self.assertIn(BLOCKED, r.stderr, r)
        self.assertEqual(len(self.server.requests), before)

    def test_describe_reaches_the_endpoint(self):
        before = len(self.server.requests)
        r = self.aws("rds describe-db-instances")
        self.assertNotIn(BLOCKED, r.stderr, r)
        bodies = [q["body"] for q in self.server.requests[before:]]
        self.assertTrue(any(b"Action=DescribeDBInstances" in b for b in bodies), (r, bodies))

    def test_dry_run_is_allowed(self):
        before = len(self.server.requests)
        r = self.aws("ec2 terminate-instances --instance-ids i-0abc --dry-run")
        self.assertNotIn(BLOCKED, r.stderr, r)
        bodies = [q["body"] for q in self.server.requests[before:]]
        self.assertTrue(any(b"DryRun=true" in b for b in bodies), (r, bodies))


if __name__ == "__main__":
    unittest.main()
