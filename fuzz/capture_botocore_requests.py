#!/usr/bin/env python3
"""Captures the exact bytes botocore, curl --aws-sigv4 and the aws CLI send for a set of AWS calls.

Points boto3 (fake credentials) at a loopback plain-HTTP server that records every recv() and
answers 403 so the client gives up after one attempt. (TCP may merge writes; the unit
tests split every request at every byte anyway.) Writes:
  fuzz/corpus/stream/<name>.bin      seeds for the libFuzzer targets (whole request)
  tests/fixtures/http_captured.hpp       the same requests as C++ literals
Run from the repository root: python3 fuzz/capture_botocore_requests.py
"""
import os
import shutil
import socket
import subprocess
import threading

import boto3
from botocore.config import Config

CALLS = [
    ("rds_delete_db_instance", "rds", lambda c: c.delete_db_instance(DBInstanceIdentifier="prod-db", SkipFinalSnapshot=True)),
    ("rds_modify_protection_off", "rds", lambda c: c.modify_db_instance(DBInstanceIdentifier="prod-db", DeletionProtection=False)),
    ("rds_describe", "rds", lambda c: c.describe_db_instances()),
    ("ec2_terminate", "ec2", lambda c: c.terminate_instances(InstanceIds=["i-0abc", "i-0def"])),
    ("ec2_terminate_dry_run", "ec2", lambda c: c.terminate_instances(InstanceIds=["i-0abc"], DryRun=True)),
    ("ec2_disable_api_termination", "ec2", lambda c: c.modify_instance_attribute(InstanceId="i-0abc", DisableApiTermination={"Value": False})),
    ("dynamodb_delete_table", "dynamodb", lambda c: c.delete_table(TableName="orders")),
    ("dynamodb_protection_off", "dynamodb", lambda c: c.update_table(TableName="orders", DeletionProtectionEnabled=False)),
    ("dynamodb_get_item", "dynamodb", lambda c: c.get_item(TableName="orders", Key={"id": {"S": "1"}})),
    ("lambda_delete_function", "lambda", lambda c: c.delete_function(FunctionName="my-fn")),
    ("s3_delete_objects", "s3", lambda c: c.delete_objects(Bucket="my-bucket", Delete={"Objects": [{"Key": "a.txt"}], "Quiet": True})),
    ("s3_delete_object_version", "s3", lambda c: c.delete_object(Bucket="my-bucket", Key="dir/a.txt", VersionId="v1")),
    ("s3_delete_bucket", "s3", lambda c: c.delete_bucket(Bucket="my-bucket")),
    ("s3_put_object", "s3", lambda c: c.put_object(Bucket="my-bucket", Key="big.bin", Body=b"x" * 70000)),
    ("s3_suspend_versioning", "s3", lambda c: c.put_bucket_versioning(Bucket="my-bucket", VersioningConfiguration={"Status": "Suspended"})),
    ("secretsmanager_force_delete", "secretsmanager", lambda c: c.delete_secret(SecretId="db-pass", ForceDeleteWithoutRecovery=True)),
    ("eks_protection_off", "eks", lambda c: c.update_cluster_config(name="prod", deletionProtection=False)),
    ("elbv2_protection_off", "elbv2", lambda c: c.modify_load_balancer_attributes(LoadBalancerArn="arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/1", Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}])),
    ("cloudformation_delete_stack", "cloudformation", lambda c: c.delete_stack(StackName="prod")),
    ("sqs_purge", "sqs", lambda c: c.purge_queue(QueueUrl="http://127.0.0.1/1/q")),
    ("cloudwatch_delete_alarms", "cloudwatch", lambda c: c.delete_alarms(AlarmNames=["a"])),
    ("route53_delete_record", "route53", lambda c: c.change_resource_record_sets(HostedZoneId="Z1", ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": {"Name": "a.example.com", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "1.2.3.4"}]}}]})),
    ("backup_delete_recovery_point", "backup", lambda c: c.delete_recovery_point(BackupVaultName="v", RecoveryPointArn="arn:aws:ec2:us-east-1::snapshot/snap-1")),
]


# Other clients, as command lines ({url} is the recorder). curl signs with --aws-sigv4; the aws CLI
# is botocore underneath but adds its own argument handling (aliases, --cli-input-json).
COMMANDS = [
    ("curl_rds_delete", ["curl", "-s", "-o", "/dev/null", "--aws-sigv4", "aws:amz:us-east-1:rds", "--user", "AKIDEXAMPLE:secret",
                         "-d", "Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=prod-db", "{url}/"]),
    ("curl_s3_delete_object", ["curl", "-s", "-o", "/dev/null", "-X", "DELETE", "--aws-sigv4", "aws:amz:us-east-1:s3",
                               "--user", "AKIDEXAMPLE:secret", "{url}/my-bucket/a.txt"]),
    ("awscli_dynamodb_delete_table", ["aws", "dynamodb", "delete-table", "--table-name", "orders", "--endpoint-url", "{url}"]),
    ("awscli_lambda_delete_function", ["aws", "lambda", "delete-function", "--function-name", "my-fn", "--endpoint-url", "{url}"]),
]


class Recorder:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.writes = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            conn, _ = self.sock.accept()
            conn.settimeout(0.5)
            chunks = []
            try:
                while True:
                    data = conn.recv(1 << 20)
                    if not data:
                        break
                    chunks.append(data)
                    if b"100-continue" in b"".join(chunks) and len(chunks) == 1:
                        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            except socket.timeout:
                pass
            self.writes = chunks
            body = b"<Error><Code>AccessDenied</Code><Message>capture</Message></Error>"
            try:
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
            except OSError:
                pass
            conn.close()


def c_literal(data: bytes) -> str:
    out = []
    for b in data:
        ch = chr(b)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\n":
            out.append("\\n\"\n    \"")
        elif 32 <= b < 127:
            out.append(ch)
        else:
            out.append("\\x%02x\"\"" % b)
    return '"' + "".join(out) + '"'


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rec = Recorder()
    os.makedirs(os.path.join(root, "fuzz/corpus/stream"), exist_ok=True)
    entries = []
    for name, service, call in CALLS:
        config = Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "virtual"})
        if service == "s3":
            # Real virtual-host Host headers: sign for S3, then deliver to the recorder.
            client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE",
                                  aws_secret_access_key="secret", endpoint_url="http://s3.amazonaws.com", config=config)
            client.meta.events.register("before-send", lambda request, **kw: redirect(request, rec.port))
        else:
            client = boto3.client(service, region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE",
                                  aws_secret_access_key="secret", endpoint_url=f"http://127.0.0.1:{rec.port}", config=config)
        try:
            call(client)
        except Exception:
            pass
        writes = [w for w in rec.writes]
        if not writes:
            print("no capture for", name)
            continue
        raw = b"".join(writes)
        with open(os.path.join(root, "fuzz/corpus/stream", name + ".bin"), "wb") as f:
            f.write(raw)
        entries.append((name, writes))
        print(f"{name}: {len(writes)} writes, {len(raw)} bytes")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_MAX_ATTEMPTS="1")
    for name, argv in COMMANDS:
        if shutil.which(argv[0]) is None:
            print("skipping", name, "(no", argv[0] + ")")
            continue
        rec.writes = []
        subprocess.run([a.replace("{url}", f"http://127.0.0.1:{rec.port}") for a in argv], env=env,
                       capture_output=True, timeout=60)
        writes = list(rec.writes)
        if not writes:
            print("no capture for", name)
            continue
        raw = b"".join(writes)
        with open(os.path.join(root, "fuzz/corpus/stream", name + ".bin"), "wb") as f:
            f.write(raw)
        entries.append((name, writes))
        print(f"{name}: {len(writes)} writes, {len(raw)} bytes")
    with open(os.path.join(root, "tests/fixtures/http_captured.hpp"), "w") as f:
        f.write("#pragma once\n// Generated by fuzz/capture_botocore_requests.py from real botocore "
                f"{__import__('botocore').__version__}, curl and the aws CLI (fake credentials, loopback). Do not edit.\n")
        f.write("#include <string_view>\n#include <vector>\n\nnamespace captured {\n\n")
        f.write("struct Capture {\n  const char* name;\n  std::vector<std::string_view> writes;\n};\n\n")
        f.write("inline const std::vector<Capture>& all() {\n  static const std::vector<Capture> captures = {\n")
        for name, writes in entries:
            f.write(f"    {{\"{name}\", {{\n")
            for w in writes:
                f.write(f"      std::string_view({c_literal(w)}, {len(w)}),\n")
            f.write("    }},\n")
        f.write("  };\n  return captures;\n}\n\n}  // namespace captured\n")


def redirect(request, port):
    """Send the S3 request to the recorder while keeping the virtual-host Host header."""
    import urllib.parse
    parts = urllib.parse.urlsplit(request.url)
    request.headers["Host"] = parts.netloc
    request.url = urllib.parse.urlunsplit(("http", f"127.0.0.1:{port}", parts.path, parts.query, ""))


if __name__ == "__main__":
    main()
