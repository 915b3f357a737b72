"""terraform's own `s3` backend under the guard (issue 14): the backend's Go client (aws-sdk-go-v2
inside the static terraform binary) is steered by the gate to the session's inspecting proxy with
HTTPS_PROXY, and its S3 calls meet the same API rules as any other client.

A loopback S3 (s3_endpoint.py) holds the state of two workspaces. With the exec rule
`terraform-workspace-delete` switched off by a policy layer, so that only the API layer stands in
the way, `terraform workspace delete -force staging` must not delete the workspace's state object:
the object is still in the server's store, byte for byte, and no DELETE ever reached it. Reads
(`terraform state list`, `terraform plan`) still work through the same route. Without the guard
the same command does delete it, so the test can fail.

Go never proxies loopback addresses, so the S3 listens on a non-loopback address of this machine."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import AGENTGUARD, audit_records, clean_env, require_build  # noqa: E402
from s3_endpoint import S3Endpoint  # noqa: E402
from test_inspecting_proxy import non_loopback_address  # noqa: E402

TERRAFORM = shutil.which("terraform")
STATE_KEY = "env:/staging/app/terraform.tfstate"

CONFIG = """
terraform {
  backend "s3" {
    bucket = "tfstate"
    key    = "app/terraform.tfstate"
    region = "us-east-1"
    endpoints = { s3 = "%s" }
    use_path_style              = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    skip_s3_checksum            = true
    access_key                  = "AKIDEXAMPLE"
    secret_key                  = "secret"
  }
}
resource "terraform_data" "db" {
  input = "prod-db"
}
"""

ALLOW_WORKSPACE_DELETE = 'schema = 1\ndisable = ["terraform-workspace-delete"]\n'


@unittest.skipUnless(TERRAFORM, "terraform is needed")
class TerraformS3BackendTest(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.address = non_loopback_address()
        if self.address is None:
            self.skipTest("no non-loopback address on this machine (Go never proxies loopback)")
        self.tmp = tempfile.mkdtemp(prefix="ag-tf-s3-")
        self.state = os.path.join(self.tmp, "state")
        self.work = os.path.join(self.tmp, "tf")
        os.makedirs(self.work)
        self.layer = os.path.join(self.tmp, "allow-workspace-delete.toml")
        with open(self.layer, "w") as f:
            f.write(ALLOW_WORKSPACE_DELETE)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def env(self, s3, **extra):
        # The backend's Go client reads AWS_CA_BUNDLE (a custom bundle replaces the system store);
        # `agentguard run` then points it at the session's trust bundle, which adds the proxy's CA.
        return clean_env(SSL_CERT_FILE=s3.cert, AWS_CA_BUNDLE=s3.cert, TF_IN_AUTOMATION="1",
                         CHECKPOINT_DISABLE="1", **extra)

    def terraform(self, s3, *args, **extra):
        return subprocess.run([TERRAFORM] + list(args), cwd=self.work, env=self.env(s3, **extra),
                              capture_output=True, text=True, timeout=300)

    def guarded(self, s3, args, policy=None, **extra):
        argv = [AGENTGUARD, "run", "--state-dir", self.state]
        argv += ["--policy", policy] if policy else ["--default-only"]
        return subprocess.run(argv + ["--", TERRAFORM] + args, cwd=self.work, env=self.env(s3, **extra),
                              capture_output=True, text=True, timeout=300)

    def test_workspace_delete_never_deletes_the_state_object(self):
        with S3Endpoint(self.tmp, host=self.address) as s3:
            with open(os.path.join(self.work, "main.tf"), "w") as f:
                f.write(CONFIG % s3.url)
            # Set-up without the guard: a `staging` workspace whose state holds one resource.
            for args in (["init", "-input=false"], ["workspace", "new", "staging"],
                         ["apply", "-auto-approve", "-input=false"], ["workspace", "select", "default"]):
                proc = self.terraform(s3, *args)
                self.assertEqual(proc.returncode, 0, (args, proc.stderr))
            state = s3.objects.get(("tfstate", STATE_KEY))
            self.assertIsNotNone(state, list(s3.objects))
            self.assertIn(b"terraform_data", state)
            s3.requests.clear()

            # Reads through the proxy still work.
            listed = self.guarded(s3, ["state", "list"], policy=self.layer, TF_WORKSPACE="staging")
            self.assertEqual(listed.returncode, 0, listed.stderr)
            self.assertIn("terraform_data.db", listed.stdout)
            plan = self.guarded(s3, ["plan", "-input=false", "-detailed-exitcode"], policy=self.layer,
                                TF_WORKSPACE="staging")
            self.assertEqual(plan.returncode, 0, plan.stdout + plan.stderr)  # 0: no changes
            self.assertIn(("GET", "tfstate", STATE_KEY, "x-id=GetObject"), s3.requests)

            # The exec rule off: only the API rules stand between terraform and the state object.
            deleted = self.guarded(s3, ["workspace", "delete", "-force", "staging"], policy=self.layer)
            self.assertNotEqual(deleted.returncode, 0, deleted.stdout + deleted.stderr)
            self.assertIn("AccessDenied", deleted.stderr)
            self.assertEqual(s3.objects.get(("tfstate", STATE_KEY)), state)
            self.assertNotIn("DELETE", s3.methods(), s3.requests)
            refusals = [e for e in audit_records(self.state) if e.get("kind") == "http"]
            self.assertEqual([(e.get("decision"), e.get("operation")) for e in refusals], [("deny", "DeleteObject")],
                             refusals)
            self.assertEqual(os.path.basename(refusals[0].get("resolved_path", "")), "terraform", refusals[0])

            # With the default policy the exec rule refuses the command before it starts.
            blocked = self.guarded(s3, ["workspace", "delete", "-force", "staging"])
            self.assertEqual(blocked.returncode, 126, blocked.stderr)
            self.assertIn("agentguard: blocked", blocked.stderr)
            self.assertEqual(s3.objects.get(("tfstate", STATE_KEY)), state)
            self.assertNotIn("DELETE", s3.methods(), s3.requests)

            # Without the guard the same command deletes the object.
            control = self.terraform(s3, "workspace", "delete", "-force", "staging")
            self.assertEqual(control.returncode, 0, control.stderr)
            self.assertIn("DELETE", s3.methods())
            self.assertNotIn(("tfstate", STATE_KEY), s3.objects)


if __name__ == "__main__":
    unittest.main()
