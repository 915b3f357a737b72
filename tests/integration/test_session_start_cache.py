"""`agentguard run` on layers it has seen before starts from the policy cache (the snapshot and the
compiled API rules), parses no TOML, and gives the agent exactly what a parse would; an edit is a
new cache entry, and a cache file nobody with the state key wrote is never used."""
import glob
import hashlib
import os
import shutil
import tempfile
import unittest

from harness import guarded, require_build

API_RULE = """schema = 1

[[api]]
id = "sqs-delete"
action = "deny"
match = ["sqs:DeleteQueue"]
message = "Ask a human."
"""

# What the agent is given: the session's compiled API rules and its watch list, as digests.
SHOW = 'sha256sum < "$AGENTGUARD_API_RULES" | cut -c1-64; printf "%s" "$AGENTGUARD_WATCH" | sha256sum | cut -c1-64'


class SessionStartCache(unittest.TestCase):
    def setUp(self):
        require_build(self)
        self.dir = tempfile.mkdtemp(prefix="ag-startcache-")
        os.chmod(self.dir, 0o755)
        self.state_dir = os.path.join(self.dir, "state")
        self.policy = os.path.join(self.dir, "policy.toml")
        with open(self.policy, "w") as f:
            f.write(API_RULE)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def session(self):
        r = guarded(SHOW, cwd=self.dir, state_dir=self.state_dir, policy=self.policy)
        self.assertEqual(r.status, 0, r)
        return r.stdout.split()

    def cached_rules(self):
        return glob.glob(os.path.join(self.state_dir, "policy-cache", "*.api-rules"))

    def test_the_second_session_reuses_the_cache_and_gets_the_same_rules(self):
        first = self.session()
        [cache] = self.cached_rules()
        inode = os.stat(cache).st_ino
        second = self.session()
        self.assertEqual(second, first)
        # Not rewritten: a session that parsed would have replaced it (a new file, renamed in).
        self.assertEqual(os.stat(cache).st_ino, inode)

    def test_an_edit_is_parsed_and_changes_what_the_agent_gets(self):
        first = self.session()
        with open(self.policy, "a") as f:
            f.write('\n[[api]]\nid = "sqs-purge"\naction = "deny"\nmatch = ["sqs:PurgeQueue"]\nmessage = "No."\n')
        edited = self.session()
        self.assertNotEqual(edited[0], first[0])   # the compiled API rules follow the edit
        self.assertEqual(len(self.cached_rules()), 2)

    def test_a_cache_file_without_the_state_keys_mac_is_not_used(self):
        first = self.session()
        [cache] = self.cached_rules()
        # Someone without the key swaps in other rules (an empty rule set, framed like ours but
        # with a plain digest where the MAC goes): the next session must parse and say the same.
        with open(cache, "rb") as f:
            image = f.read()
        header, key, _check, _payload = image.split(b"\n", 3)
        forged = b"\n".join([header, key, hashlib.sha256(b"").hexdigest().encode(), b""])
        with open(cache, "wb") as f:
            f.write(forged)
        second = self.session()
        self.assertEqual(second, first)
        with open(cache, "rb") as f:
            self.assertNotEqual(f.read(), forged)  # replaced by what the parse compiled


if __name__ == "__main__":
    unittest.main()
