"""The class rules end to end (issue 14): each destructive call the issue names, made through boto3
and through the aws CLI under libagentguard.so against a loopback HTTPS endpoint, never arrives;
a read of the same service still does. Also the S3 signing variants (SigV2 header, SigV2 and SigV4
presigned URLs fetched with curl) and `aws s3 mv --recursive`, whose per-key delete is refused.

Set-up as in test_https_guard.py: the default API rules compiled by tests/tls_tools, a recording
stand-in gate, a watch list that watches nothing (so the exec rules stay out of the way and the
API rules alone are tested)."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILD_DIR, LIBRARY, SOURCE_DIR, clean_env  # noqa: E402
from https_endpoint import HttpsEndpoint  # noqa: E402

BLOB_TOOL = os.path.join(BUILD_DIR, "bin", "agentguard-api-rules-blob")
AWS = shutil.which("aws")
CURL = shutil.which("curl")

ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/c/1"
DOCDB_ARN = "arn:aws:docdb-elastic:us-east-1:123456789012:cluster/c"
# (name, boto3 client, boto3 call, aws CLI arguments, operation, boto3 read that must arrive)
CASES = [
    ("s3-delete-object", "s3", 'c.delete_object(Bucket="b", Key="k")',
     ["s3api", "delete-object", "--bucket", "b", "--key", "k"], "DeleteObject", 'c.list_objects_v2(Bucket="b")'),
    ("opensearch", "opensearch", 'c.delete_domain(DomainName="domain-one")',
     ["opensearch", "delete-domain", "--domain-name", "domain-one"], "DeleteDomain", "c.list_domain_names()"),
    ("kinesis", "kinesis", 'c.delete_stream(StreamName="s")',
     ["kinesis", "delete-stream", "--stream-name", "s"], "DeleteStream", "c.list_streams()"),
    ("msk", "kafka", f'c.delete_cluster(ClusterArn="{ARN}")',
     ["kafka", "delete-cluster", "--cluster-arn", ARN], "DeleteCluster", "c.list_clusters()"),
    ("emr", "emr", 'c.terminate_job_flows(JobFlowIds=["j-1"])',
     ["emr", "terminate-clusters", "--cluster-ids", "j-1"], "TerminateJobFlows", "c.list_clusters()"),
    ("beanstalk", "elasticbeanstalk", 'c.terminate_environment(EnvironmentName="env-one")',
     ["elasticbeanstalk", "terminate-environment", "--environment-name", "env-one"], "TerminateEnvironment",
     "c.describe_environments()"),
    ("lightsail", "lightsail", 'c.delete_instance(instanceName="i")',
     ["lightsail", "delete-instance", "--instance-name", "i"], "DeleteInstance", "c.get_instances()"),
    ("glue-database", "glue", 'c.delete_database(Name="d")',
     ["glue", "delete-database", "--name", "d"], "DeleteDatabase", "c.get_databases()"),
    ("glue-table", "glue", 'c.delete_table(DatabaseName="d", Name="t")',
     ["glue", "delete-table", "--database-name", "d", "--name", "t"], "DeleteTable", "c.get_databases()"),
    ("redshift-serverless", "redshift-serverless", 'c.delete_namespace(namespaceName="ns-one")',
     ["redshift-serverless", "delete-namespace", "--namespace-name", "ns-one"], "DeleteNamespace", "c.list_namespaces()"),
    ("memorydb", "memorydb", 'c.delete_cluster(ClusterName="c")',
     ["memorydb", "delete-cluster", "--cluster-name", "c"], "DeleteCluster", "c.describe_clusters()"),
    ("docdb-elastic", "docdb-elastic", f'c.delete_cluster(clusterArn="{DOCDB_ARN}")',
     ["docdb-elastic", "delete-cluster", "--cluster-arn", DOCDB_ARN], "DeleteCluster", "c.list_clusters()"),
    ("dynamodb-delete-item", "dynamodb", 'c.delete_item(TableName="t", Key={"id": {"S": "1"}})',
     ["dynamodb", "delete-item", "--table-name", "t", "--key", '{"id": {"S": "1"}}'], "DeleteItem",
     'c.get_item(TableName="t", Key={"id": {"S": "1"}})'),
    ("dynamodb-batch-delete", "dynamodb",
     'c.batch_write_item(RequestItems={"t": [{"DeleteRequest": {"Key": {"id": {"S": "1"}}}}]})',
     ["dynamodb", "batch-write-item", "--request-items", '{"t": [{"DeleteRequest": {"Key": {"id": {"S": "1"}}}}]}'],
     "BatchWriteItem", 'c.batch_write_item(RequestItems={"t": [{"PutRequest": {"Item": {"id": {"S": "2"}}}}]})'),
    ("dynamodb-partiql", "dynamodb", '''c.execute_statement(Statement="DELETE FROM t WHERE id='1'")''',
     ["dynamodb", "execute-statement", "--statement", "DELETE FROM t WHERE id='1'"], "ExecuteStatement",
     '''c.execute_statement(Statement="SELECT * FROM t WHERE id='1'")'''),
    ("dynamodb-partiql-batch", "dynamodb",
     '''c.batch_execute_statement(Statements=[{"Statement": "SELECT * FROM t"}, {"Statement": "delete from t where id='1'"}])''',
     ["dynamodb", "batch-execute-statement", "--statements", '[{"Statement": "delete from t where id=\'1\'"}]'],
     "BatchExecuteStatement", None),
    ("dynamodb-partiql-transaction", "dynamodb",
     '''c.execute_transaction(TransactStatements=[{"Statement": "DELETE FROM t WHERE id='1'"}])''',
     ["dynamodb", "execute-transaction", "--transact-statements", '[{"Statement": "DELETE FROM t WHERE id=\'1\'"}]'],
     "ExecuteTransaction", None),
    ("rds-blue-green", "rds", 'c.delete_blue_green_deployment(BlueGreenDeploymentIdentifier="bg", DeleteTarget=True)',
     ["rds", "delete-blue-green-deployment", "--blue-green-deployment-identifier", "bg", "--delete-target"],
     "DeleteBlueGreenDeployment", 'c.delete_blue_green_deployment(BlueGreenDeploymentIdentifier="bg")'),
]

SCRIPT = """
import boto3, botocore, sys
from botocore.config import Config
c = boto3.client(sys.argv[1], endpoint_url=sys.argv[2], region_name="us-east-1", verify=sys.argv[3],
                 aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                 config=Config(retries={"mode": "standard", "max_attempts": 3}))
def attempt(label, call):
    try:
        eval(call)
        print(label + ": sent")
    except botocore.exceptions.ClientError as e:
        print(label + ": code=" + e.response["Error"]["Code"])
    except Exception as e:
        print(label + ": " + type(e).__name__)
attempt("destroy", sys.argv[4])
if sys.argv[5] != "-":
    attempt("read", sys.argv[5])
"""


def have_boto3():
    return subprocess.run([sys.executable, "-c", "import boto3"], capture_output=True).returncode == 0


@unittest.skipUnless(os.path.exists(LIBRARY) and os.path.exists(BLOB_TOOL) and have_boto3(),
                     "build libagentguard.so and agentguard-api-rules-blob; install boto3")
class ClassRulesEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ag-classes-")
        cls.rules = os.path.join(cls.tmp, "rules.blob")
        subprocess.run([BLOB_TOOL, cls.rules, os.path.join(SOURCE_DIR, "policy", "default-api-rules.toml")], check=True)
        cls.gate = os.path.join(cls.tmp, "gate.sh")
        with open(cls.gate, "w") as f:
            f.write('#!/bin/sh\nprintf "%s\\n" "$@" > "$GATE_LOG_DIR/report.$$"\n')
        os.chmod(cls.gate, 0o755)
        cls.endpoint = HttpsEndpoint(cls.tmp).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.endpoint.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.endpoint.requests.clear()
        self.gate_dir = tempfile.mkdtemp(dir=self.tmp)
        self.home = tempfile.mkdtemp(dir=self.tmp)

    def env(self):
        return clean_env(HOME=self.home, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret",
                         AWS_DEFAULT_REGION="us-east-1", AWS_CA_BUNDLE=self.endpoint.cert, AWS_PAGER="",
                         AWS_EC2_METADATA_DISABLED="true", GATE_LOG_DIR=self.gate_dir, LD_PRELOAD=LIBRARY,
                         AGENTGUARD_API_RULES=self.rules, AGENTGUARD_GATE=self.gate,
                         AGENTGUARD_WATCH="v1;p=nothing-watched")

    def run_client(self, argv, timeout=180):
        return subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=timeout)

    def reported_operations(self):
        out = []
        for path in sorted(glob.glob(os.path.join(self.gate_dir, "report.*"))):
            with open(path) as f:
                args = f.read().splitlines()
            fields = dict(zip(args[1::2], args[2::2]))
            out.append((fields.get("--operation"), fields.get("--decision")))
        return out

    def arrived(self):
        """What reached the endpoint: (method, path, X-Amz-Target or Action, body)."""
        return [(r.method, r.target, r.operation, r.body or b"") for r in self.endpoint.requests]

    def test_boto3_destructive_calls_never_arrive_reads_do(self):
        for name, client, call, _, operation, read in CASES:
            with self.subTest(name):
                self.endpoint.requests.clear()
                for f in glob.glob(os.path.join(self.gate_dir, "report.*")):
                    os.unlink(f)
                proc = self.run_client([sys.executable, "-c", SCRIPT, client, self.endpoint.url, self.endpoint.cert,
                                        call, read or "-"])
                self.assertRegex(proc.stdout, r"destroy: code=AccessDenied(Exception)?\n", proc.stderr)
                self.assertIn((operation, "deny"), self.reported_operations())
                arrived = self.arrived()
                if read:
                    self.assertIn("read: ", proc.stdout)
                    self.assertNotIn("read: code=AccessDenied", proc.stdout, proc.stdout)
                    self.assertEqual(len(arrived), 1, arrived)  # the read, and only the read
                else:
                    self.assertEqual(arrived, [])

    @unittest.skipUnless(AWS, "aws CLI not installed")
    def test_aws_cli_destructive_calls_never_arrive(self):
        for name, _, _, cli, operation, _ in CASES:
            with self.subTest(name):
                self.endpoint.requests.clear()
                proc = self.run_client([AWS, "--endpoint-url", self.endpoint.url, *cli])
                self.assertNotEqual(proc.returncode, 0)
                self.assertIn(f"when calling the {operation} operation: Blocked by agentguard rule", proc.stderr)
                self.assertEqual(self.arrived(), [], proc.stderr)

    @unittest.skipUnless(AWS, "aws CLI not installed")
    def test_aws_s3_mv_recursive_copies_but_never_deletes(self):
        backup = tempfile.mkdtemp(dir=self.tmp)
        proc = self.run_client([AWS, "--endpoint-url", self.endpoint.url, "s3", "mv", "s3://full-bucket/", backup,
                                "--recursive"])
        methods = [(r.method, r.target.split("?")[0]) for r in self.endpoint.requests]
        self.assertIn(("GET", "/full-bucket/a.txt"), methods, methods)  # the copy ran
        self.assertNotIn("DELETE", [m for m, _ in methods], methods)  # the per-key delete never arrived
        # What the CLI does then: it reports the failed delete and exits non-zero; the local copy stays.
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("AccessDenied", proc.stderr + proc.stdout)
        with open(os.path.join(backup, "a.txt"), "rb") as f:
            self.assertEqual(f.read(), b"hello")

    def test_s3_sigv2_header_is_recognised(self):
        script = textwrap.dedent("""
            import boto3, botocore, sys
            from botocore.config import Config
            c = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", verify=sys.argv[2],
                             aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                             config=Config(signature_version="s3", retries={"max_attempts": 0}))
            try:
                c.delete_object(Bucket="b", Key="k"); print("deleted")
            except botocore.exceptions.ClientError as e:
                print("code=" + e.response["Error"]["Code"])
            try:
                c.list_objects(Bucket="b")
            except botocore.exceptions.ClientError:
                pass  # the loopback endpoint's answer does not matter; that the read arrived does
            print("listed")
            """)
        proc = self.run_client([sys.executable, "-c", script, self.endpoint.url, self.endpoint.cert])
        self.assertIn("code=AccessDenied", proc.stdout, proc.stderr)
        self.assertIn("listed", proc.stdout, proc.stderr)
        self.assertEqual([r.method for r in self.endpoint.requests], ["GET"])
        self.assertTrue(self.endpoint.requests[0].header("Authorization").startswith("AWS AKIDEXAMPLE:"))

    @unittest.skipUnless(CURL, "curl not installed")
    def test_presigned_urls_sigv2_and_sigv4_on_any_host(self):
        script = textwrap.dedent("""
            import boto3, sys
            from botocore.config import Config
            for version in ("s3", "s3v4"):
                c = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                                 aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                                 config=Config(signature_version=version))
                print(c.generate_presigned_url("delete_object", Params={"Bucket": "b", "Key": "k"}))
                print(c.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"}))
            """)
        urls = subprocess.run([sys.executable, "-c", script, self.endpoint.url], capture_output=True, text=True,
                              check=True).stdout.split()
        self.assertEqual(len(urls), 4)
        self.assertIn("AWSAccessKeyId=", urls[0])
        self.assertIn("X-Amz-Credential=", urls[2])
        for delete_url, get_url in ((urls[0], urls[1]), (urls[2], urls[3])):
            with self.subTest(delete_url.split("?")[1][:20]):
                self.endpoint.requests.clear()
                proc = self.run_client([CURL, "-sS", "--cacert", self.endpoint.cert, "-X", "DELETE", delete_url])
                self.assertIn("AccessDenied", proc.stdout, proc.stderr)
                proc = self.run_client([CURL, "-sS", "--cacert", self.endpoint.cert, "-o", "/dev/null", get_url])
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual([r.method for r in self.endpoint.requests], ["GET"])


if __name__ == "__main__":
    unittest.main()
