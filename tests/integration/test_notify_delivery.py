"""Delivery of spooled events: the sink down, answering 500, hanging, then recovering; bursts
folded; several webhooks; the detached background flusher. Events are put into the spool in its
documented on-disk format (docs/notifications.md), as the gate's report() leaves them."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import uuid

from webhook_sink import WebhookSink

BUILD_DIR = os.path.abspath(os.environ.get("AGENTGUARD_BUILD_DIR") or
                            os.path.join(os.path.dirname(__file__), "..", "..", "build"))
AGENTGUARD = os.path.join(BUILD_DIR, "bin", "agentguard")


def now_rfc3339(offset_seconds=0.0):
    t = time.time() + offset_seconds
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


class SpoolTest(unittest.TestCase):
    def setUp(self):
        self.state = tempfile.mkdtemp(prefix="agentguard-delivery-")
        self.addCleanup(shutil.rmtree, self.state, True)
        self.spool = os.path.join(self.state, "spool")
        self.delivered = os.path.join(self.state, "delivered")

    def env(self, urls, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTGUARD_") and k != "LD_PRELOAD"}
        env["AGENTGUARD_STATE_DIR"] = self.state
        env["AGENTGUARD_WEBHOOK_URL"] = urls
        env.update(extra)
        return env

    def flush(self, urls, timeout=60, budget=None):
        args = [AGENTGUARD, "notify", "flush"] + (["--budget", str(budget)] if budget else [])
        return subprocess.run(args, env=self.env(urls), capture_output=True, text=True, timeout=timeout)

    def spool_event(self, argv=("terraform", "destroy", "-auto-approve"), rule="terraform.destroy", offset=0.0):
        event_id = "ev_test_" + uuid.uuid4().hex[:16]
        event = {"id": event_id, "time": now_rfc3339(offset), "host": "ci-runner", "user": "agent",
                 "cwd": "/srv/infra/prod", "pid": 4242, "parents": [{"pid": 4200, "name": "bash"}],
                 "session": "s_test", "kind": "exec", "argv": list(argv), "program": argv[0],
                 "resolved_path": "/usr/bin/" + argv[0], "service": "", "operation": "", "endpoint": "",
                 "resources": [], "decision": "deny", "rule_id": rule, "policy_file": "<built-in default>",
                 "message": "destroys every resource in the state"}
        os.makedirs(self.spool, exist_ok=True)
        with open(os.path.join(self.spool, event_id + ".json"), "w") as f:
            json.dump({"event": event, "delivery": {"attempts": 0, "next_attempt_at": 0, "last_error": "",
                                                    "delivered_to": []}}, f)
        return event_id

    def spooled(self):
        return sorted(n[:-5] for n in os.listdir(self.spool) if n.endswith(".json") and not n.startswith("."))

    def spool_entry(self, event_id):
        with open(os.path.join(self.spool, event_id + ".json")) as f:
            return json.load(f)


class FailureInjection(SpoolTest):
    def test_down_then_500_then_hang_then_recovered_delivers_exactly_once(self):
        sink = WebhookSink(secret=None).start()
        self.addCleanup(sink.stop)
        event_id = self.spool_event()

        # Down: connection refused. Still spooled, exit 1, the error is shown.
        sink.go_down()
        result = self.flush(sink.url)
        self.assertEqual(result.returncode, 1, result)
        self.assertEqual(self.spooled(), [event_id])
        self.assertIn("still spooled", result.stdout)
        entry = self.spool_entry(event_id)
        self.assertEqual(entry["delivery"]["attempts"], 1)
        self.assertTrue(entry["delivery"]["last_error"])
        self.assertGreater(entry["delivery"]["next_attempt_at"], time.time())

        # 500: the request arrives but is not accepted.
        sink.come_up(status=500)
        result = self.flush(sink.url)
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("HTTP 500", result.stdout)
        self.assertEqual(self.spooled(), [event_id])
        self.assertEqual(len(sink.requests), 1)
        self.assertEqual(self.spool_entry(event_id)["delivery"]["attempts"], 2)

        # Hang: flush gives up within its total timeout (10 s) and keeps the event.
        sink.hang()
        started = time.monotonic()
        result = self.flush(sink.url)
        elapsed = time.monotonic() - started
        self.assertEqual(result.returncode, 1, result)
        self.assertLess(elapsed, 14, "flush took %.1f s against a hanging webhook" % elapsed)
        self.assertGreater(elapsed, 8, "flush should wait for the total timeout, took %.1f s" % elapsed)
        self.assertEqual(self.spooled(), [event_id])

        # Recovered: delivered, moved to delivered/, and never sent again.
        sink.answer(200)
        sink.clear()
        result = self.flush(sink.url)
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(self.spooled(), [])
        self.assertTrue(os.path.exists(os.path.join(self.delivered, event_id + ".json")))
        self.assertEqual([r.event_id for r in sink.requests], [event_id])
        again = self.flush(sink.url)
        self.assertEqual(again.returncode, 0, again)
        self.assertIn("nothing to deliver", again.stdout)
        self.assertEqual(len(sink.requests), 1)

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("unshare"), "needs root and unshare (a private mount namespace)")
    def test_without_libcurl_events_stay_spooled_and_the_error_says_why(self):
        # libcurl is loaded on first use (tools/notify/curl_library.cpp). A machine where it cannot
        # be loaded is a broken installation: nothing is lost and every message says why. The
        # library is hidden in a private mount namespace by mounting /dev/null over it.
        libcurl = os.path.realpath(subprocess.run(["sh", "-c", "ldconfig -p | awk '/libcurl.so.4 .*x86-64|libcurl.so.4 /{print $NF; exit}'"],
                                                  capture_output=True, text=True).stdout.strip())
        if not os.path.exists(libcurl):
            self.skipTest("libcurl.so.4 not found by ldconfig")
        with WebhookSink(secret=None) as sink:
            event_id = self.spool_event()
            hidden = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                      'mount --bind /dev/null "$0" && exec "$@"', libcurl]
            flush = subprocess.run(hidden + [AGENTGUARD, "notify", "flush"], env=self.env(sink.url),
                                   capture_output=True, text=True, timeout=60)
            self.assertEqual(flush.returncode, 1, flush)
            self.assertIn("still spooled", flush.stdout)
            self.assertIn("cannot load libcurl.so.4", flush.stdout + flush.stderr)
            self.assertEqual(self.spooled(), [event_id])
            self.assertIn("libcurl.so.4", self.spool_entry(event_id)["delivery"]["last_error"])
            doctor = subprocess.run(hidden + [AGENTGUARD, "doctor"], env=self.env(sink.url),
                                    capture_output=True, text=True, timeout=60)
            self.assertRegex(doctor.stdout, r"WARN  webhooks cannot be contacted from this installation "
                                            r"\(cannot load libcurl\.so\.4[^\n]*\n *fix: install libcurl4", doctor)
            self.assertEqual(sink.requests, [], "nothing can have been sent without libcurl")

            # With the library back, the same event goes out, once.
            delivered = self.flush(sink.url)
            self.assertEqual(delivered.returncode, 0, delivered)
            self.assertEqual([r.event_id for r in sink.requests], [event_id])
            self.assertEqual(self.spooled(), [])

    def test_budget_bounds_a_flush_against_a_hanging_webhook(self):
        with WebhookSink() as sink:
            sink.hang()
            self.spool_event()
            started = time.monotonic()
            result = self.flush(sink.url, budget=3)
            self.assertLess(time.monotonic() - started, 6)
            self.assertEqual(result.returncode, 1, result)


class FoldingAndFanOut(SpoolTest):
    def test_a_burst_goes_out_as_one_notification_with_a_count(self):
        ids = [self.spool_event(offset=i * 0.5) for i in range(5)]
        other = self.spool_event(argv=("aws", "s3", "rb", "s3://prod"), rule="aws.s3.rb")
        with WebhookSink() as sink:
            result = self.flush(sink.url)
            self.assertEqual(result.returncode, 0, result)
            self.assertEqual(len(sink.requests), 2, sink.requests)
            burst = next(r.json for r in sink.requests if r.json["rule_id"] == "terraform.destroy")
            self.assertEqual(burst["count"], 5)
            self.assertEqual(burst["event_ids"], ids)
            self.assertEqual(burst["id"], ids[0])
            single = next(r.json for r in sink.requests if r.json["rule_id"] == "aws.s3.rb")
            self.assertEqual(single["event_ids"], [other])
            self.assertEqual(self.spooled(), [])

    def test_each_webhook_gets_each_event_once(self):
        with WebhookSink() as up, WebhookSink() as later:
            later_url = later.url
            later.go_down()
            urls = "%s,%s" % (up.url, later_url)
            event_id = self.spool_event()
            self.assertEqual(self.flush(urls).returncode, 1)
            self.assertEqual(len(up.requests), 1)
            self.assertEqual(self.spool_entry(event_id)["delivery"]["delivered_to"], [up.url])
            later.come_up()
            self.assertEqual(self.flush(urls).returncode, 0)
            self.assertEqual(len(up.requests), 1, "the first webhook got the event twice")
            self.assertEqual([r.event_id for r in later.requests], [event_id])

    def test_no_webhook_configured_keeps_events_and_says_so(self):
        self.spool_event()
        result = self.flush("")
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("AGENTGUARD_WEBHOOK_URL", result.stdout)
        self.assertEqual(len(self.spooled()), 1)


class BackgroundFlusher(SpoolTest):
    def start_background(self, urls):
        return subprocess.Popen([AGENTGUARD, "notify", "flush", "--background"], env=self.env(urls),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def test_delivers_and_exits(self):
        with WebhookSink() as sink:
            event_id = self.spool_event()
            proc = self.start_background(sink.url)
            self.assertEqual(proc.wait(timeout=15), 0)
            self.assertEqual([r.event_id for r in sink.requests], [event_id])
            self.assertEqual(self.spooled(), [])

    def test_one_at_a_time_and_it_retries_until_the_sink_recovers(self):
        sink = WebhookSink().start()
        self.addCleanup(sink.stop)
        url = sink.url
        sink.go_down()
        event_id = self.spool_event()
        first = self.start_background(url)
        self.addCleanup(lambda: first.poll() is None and first.kill())
        time.sleep(1.0)
        self.assertIsNone(first.poll(), "the flusher should stay to retry")
        second = self.start_background(url)
        self.assertEqual(second.wait(timeout=5), 0)  # found the first one running and left

        sink.come_up()
        # First retry comes after 2.5-5 s of backoff; the flusher then leaves, the spool empty.
        self.assertTrue(sink.wait_for(1, timeout=20), "no retry reached the recovered sink")
        self.assertEqual(first.wait(timeout=10), 0)
        self.assertEqual([r.event_id for r in sink.requests], [event_id])
        self.assertEqual(self.spooled(), [])

    def test_a_repeat_within_the_fold_window_is_held_and_sent_with_its_burst(self):
        with WebhookSink() as sink:
            first_id = self.spool_event()
            self.assertEqual(self.start_background(sink.url).wait(timeout=15), 0)
            self.assertEqual(len(sink.requests), 1)
            # The same command again: held back (the human already knows), not sent on its own at once.
            repeat_ids = [self.spool_event(offset=0.1), self.spool_event(offset=0.2)]
            proc = self.start_background(sink.url)
            time.sleep(2)
            self.assertEqual(len(sink.requests), 1, "a repeat inside the fold window was sent on its own")
            proc.kill()
            proc.wait()
            # An explicit flush sends what is held, folded.
            result = self.flush(sink.url)
            self.assertEqual(result.returncode, 0, result)
            self.assertEqual(len(sink.requests), 2)
            self.assertEqual(sink.requests[1].json["event_ids"], repeat_ids)
            self.assertEqual(sink.requests[1].json["count"], 2)
            self.assertNotIn(first_id, sink.requests[1].json["event_ids"])


if __name__ == "__main__":
    unittest.main()
