"""`agentguard demo`, the README's first set-up command, as a newcomer runs it: every destroy
spelling is refused with the state intact, and the held apply runs once after the approval."""
import unittest

from harness import AGENTGUARD, TERRAFORM, clean_env, require_build, run


@unittest.skipUnless(TERRAFORM, "terraform is not installed")
class Demo(unittest.TestCase):
    def test_the_demo_shows_the_state_intact_and_an_approved_apply_run_once(self):
        require_build(self)
        r = run([AGENTGUARD, "demo"], env=clean_env(TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1"), timeout=300)
        self.assertEqual(r.status, 0, r)
        self.assertIn("intact: 3 resources, every id unchanged", r.stdout)
        self.assertIn("The human's phone (webhook) shows:", r.stdout)
        self.assertIn("the approved apply ran once: website deleted, everything else unchanged", r.stdout)
        # Every destroy spelling shows the refusal's status, the python one included (its child's 126).
        tries = r.stdout.split("\n$ ")[1:8]
        self.assertEqual(len(tries), 7, r.stdout)
        for attempt in tries:
            self.assertIn("-> exit status 126", attempt, attempt)
        self.assertTrue(any(t.startswith("python3") for t in tries), tries)
        # Not a terminal: no colour codes.
        self.assertNotIn("\033[", r.stdout)


if __name__ == "__main__":
    unittest.main()
