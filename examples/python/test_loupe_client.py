"""Runs loupe_client.py against a real, running Loupe (scripts/test.sh starts one).

Environment: LOUPE_URL, LOUPE_TOKEN, and a reviewer account (LOUPE_PY_REVIEWER,
LOUPE_PY_REVIEWER_PASSWORD) that plays the human: it signs in and reviews through the same
endpoints the review page uses.

    python3 -m unittest -v examples/python/test_loupe_client.py
"""

import http.server
import json
import os
import sys
import threading
import time
import unittest
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loupe_client import LoupeClient, LoupeError, NotPublishable, summary_to_publish, verify_signature  # noqa: E402

URL = os.environ.get("LOUPE_URL", "http://127.0.0.1:3000")
SECRET = "python-example-secret-0123"


class Reviewer:
    """A person in the browser, reduced to the three requests the review page makes."""

    def __init__(self, username, password):
        self.cookie = None
        res = self._post("login", {"username": username, "password": password})
        cookie = res.headers.get("Set-Cookie", "")
        assert cookie.startswith("loupe_session="), cookie
        self.cookie = cookie.split(";")[0]

    def _post(self, endpoint, form):
        request = urllib.request.Request(
            f"{URL}/api/{endpoint}", data=urllib.parse.urlencode(form).encode(), method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        request.add_header("Accept", "application/json")
        # As a browser does: Loupe refuses a cookie-signed post that does not name its origin.
        request.add_header("Origin", URL)
        if self.cookie:
            request.add_header("Cookie", self.cookie)
        return urllib.request.urlopen(request, timeout=30)

    def current(self):
        return json.loads(self._post("review/current", {}).read())

    def skip(self, task_id):
        self._post("review/skip", {"task_id": task_id})

    def review_task(self, task_id, **form):
        """Skips other tasks until `task_id` is served, then submits the review."""
        for _ in range(200):
            task = self.current()
            assert task is not None, "the queue ran dry before the task came up"
            if task["id"] == task_id:
                self._post("review/submit", {"task_id": task_id, **form})
                return
            self.skip(task["id"])
        raise AssertionError("the task never came up")


class Hooks(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        # self.headers matches names case-insensitively, as HTTP requires.
        Hooks.received.append((self.headers, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class SignatureTest(unittest.TestCase):
    def test_a_signature_verifies_only_for_its_secret_body_and_time(self):
        body = b'{"event":"task.reviewed"}'
        import hashlib
        import hmac
        t = 1_700_000_000
        header = f"t={t},v1=" + hmac.new(b"s3cret-s3cret-s3cret", f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        self.assertTrue(verify_signature("s3cret-s3cret-s3cret", body, header, now=t + 10))
        self.assertFalse(verify_signature("another-secret-here", body, header, now=t))
        self.assertFalse(verify_signature("s3cret-s3cret-s3cret", body + b" ", header, now=t))
        self.assertFalse(verify_signature("s3cret-s3cret-s3cret", body, header, now=t + 301))
        self.assertFalse(verify_signature("s3cret-s3cret-s3cret", body, "garbage", now=t))


class PublishRuleTest(unittest.TestCase):
    """What summary_to_publish lets out, on task documents shaped as GET /api/v1/tasks/{id} answers."""

    @staticmethod
    def task(status, verdict, *reviews, resolution=None):
        return {"id": "t", "status": status, "verdict": verdict, "resolution": resolution,
                "reviews": [{"verdict": v, "corrected_summary": c} for v, c in reviews]}

    def test_an_accepting_reviewers_latest_correction_or_else_the_summary(self):
        self.assertEqual(summary_to_publish(self.task("reviewed", "accept", ("accept", None)), "S"), "S")
        self.assertEqual(summary_to_publish(
            self.task("reviewed", "accept", ("accept", "first"), ("accept", "second")), "S"), "second")

    def test_an_escalating_or_rejecting_reviewers_correction_is_never_published(self):
        resolved = self.task("reviewed", "accept", ("accept", "kept"), ("escalate", "rewrite"),
                             resolution={"verdict": "accept"})
        self.assertEqual(summary_to_publish(resolved, "S"), "kept")
        resolved = self.task("reviewed", "accept", ("reject", "theirs"), ("escalate", "rewrite"),
                             resolution={"verdict": "accept"})
        self.assertEqual(summary_to_publish(resolved, "S"), "S")

    def test_a_rejection_or_a_verdict_not_yet_final_is_refused(self):
        for task in (self.task("reviewed", "reject", ("reject", "fixed")),
                     self.task("reviewed", "reject", ("escalate", "x"), resolution={"verdict": "reject"}),
                     self.task("escalated", "escalate", ("escalate", "x")),
                     self.task("queued", None)):
            with self.assertRaises(NotPublishable):
                summary_to_publish(task, "S")


@unittest.skipUnless(os.environ.get("LOUPE_TOKEN"), "needs a running Loupe (LOUPE_URL, LOUPE_TOKEN)")
class AgainstLoupeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.loupe = LoupeClient(URL, os.environ["LOUPE_TOKEN"])
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.hook_url = f"http://127.0.0.1:{cls.server.server_address[1]}/loupe"
        cls.reviewer = Reviewer(os.environ["LOUPE_PY_REVIEWER"], os.environ["LOUPE_PY_REVIEWER_PASSWORD"])

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()

    def test_submit_review_poll_webhook_and_feed(self):
        hook = self.loupe.register_webhook(self.hook_url, ["task.reviewed"], secret=SECRET)
        self.assertEqual(hook["secret"], SECRET)
        external_id = f"py-{uuid.uuid4()}"
        receipt = self.loupe.submit(
            document="The council approved the budget on Tuesday after a two-hour debate.",
            summary="The council rejected the budget.", confidence=0.01, model="py-example",
            model_version="1", external_id=external_id, flagged=True)
        self.assertTrue(receipt["needs_review"])
        self.assertEqual(receipt["reason"], "flagged")
        again = self.loupe.submit(document="x", summary="y", confidence=0.5, model="py-example",
                                  external_id=external_id)
        self.assertEqual((again["id"], again["created"]), (receipt["id"], False))

        corrected = "The council approved the budget on Tuesday."
        self.reviewer.review_task(receipt["id"], rating="2", verdict="accept",
                                  comment="wrong verdict in the summary", corrected_summary=corrected)
        task = self.loupe.wait_for_verdict(receipt["id"], timeout=30, interval=0.2)
        self.assertEqual(task["status"], "reviewed")
        self.assertEqual(task["verdict"], "accept")
        self.assertEqual(task["corrected_summary"], corrected)

        deadline = time.monotonic() + 20
        while not any(json.loads(b)["task"]["id"] == receipt["id"] for _, b in Hooks.received):
            self.assertLess(time.monotonic(), deadline, "no webhook arrived")
            time.sleep(0.1)
        headers, body = next((h, b) for h, b in Hooks.received if json.loads(b)["task"]["id"] == receipt["id"])
        self.assertTrue(verify_signature(SECRET, body, headers["Loupe-Signature"]))
        self.assertFalse(verify_signature(SECRET, body.replace(b"approved", b"rejected"), headers["Loupe-Signature"]))
        self.assertEqual(headers["Loupe-Event"], "task.reviewed")
        self.assertTrue(headers["Loupe-Delivery"])

        self.loupe.send_feedback(external_id, user_id="reader-7", feedback_type="thumbs", value="down")
        deadline = time.monotonic() + 20
        while True:
            mine = [i for i in self.loupe.iter_feed(limit=50) if i["task_id"] == receipt["id"]]
            if len(mine) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual([i["kind"] for i in mine], ["review", "end_user"])
        self.assertEqual(mine[0]["corrected_summary"], corrected)

    def test_errors_name_the_field(self):
        with self.assertRaises(LoupeError) as caught:
            self.loupe.submit(document="d", summary="s", confidence=2, model="py-example")
        self.assertEqual((caught.exception.status, caught.exception.field), (422, "confidence"))
        with self.assertRaises(LoupeError) as caught:
            self.loupe.task(str(uuid.uuid4()))
        self.assertEqual(caught.exception.status, 404)
        with self.assertRaises(LoupeError) as caught:
            LoupeClient(URL, "loupe_wrong").task(str(uuid.uuid4()))
        self.assertEqual(caught.exception.status, 401)

    def test_routing_is_read_and_set(self):
        before = self.loupe.routing("py-routing")
        self.assertEqual(before["model"], "py-routing")
        after = self.loupe.set_routing("py-routing", threshold=0.95)
        self.assertEqual(after["threshold"], 0.95)
        self.assertEqual(after["audit_rate"], before["audit_rate"])


if __name__ == "__main__":
    unittest.main()
