"""A small Loupe client using only the Python standard library.

    from loupe_client import LoupeClient, summary_to_publish, verify_signature

    loupe = LoupeClient("http://127.0.0.1:3000", token="loupe_...")
    receipt = loupe.submit(document=doc, summary=summary, confidence=0.62,
                           model="summarizer", model_version="2.1", external_id="doc-42")
    if receipt["needs_review"]:
        task = loupe.wait_for_verdict(receipt["id"])          # polls GET /api/v1/tasks/{id}
        summary = summary_to_publish(task, summary)           # raises NotPublishable on reject

A webhook receiver checks each request with
``verify_signature(secret, raw_body, request.headers["Loupe-Signature"])`` and drops repeats by
``Loupe-Delivery``.

Every API error raises :class:`LoupeError` with the HTTP status and the field and rule Loupe named.
Copy this file into your project; it has no dependencies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Iterator, Optional

__all__ = ["LoupeClient", "LoupeError", "NotPublishable", "verify_signature", "summary_to_publish",
           "DONE_STATUSES"]

#: Task statuses that carry the final verdict. ``escalated`` is not one: an admin still has to
#: rule, and the ruling completes the task as ``reviewed`` with the admin's verdict.
DONE_STATUSES = ("reviewed",)


class LoupeError(Exception):
    """An answer other than 2xx. ``field`` and ``rule`` are set for invalid input (422)."""

    def __init__(self, status: int, body: Any):
        self.status = status
        self.body = body if isinstance(body, dict) else {}
        self.code = self.body.get("error")
        self.field = self.body.get("field")
        self.rule = self.body.get("rule")
        super().__init__(f"HTTP {status}: {self.body.get('message', body)}")


class LoupeClient:
    """Talks to one Loupe server with one API token."""

    def __init__(self, base_url: str, token: str, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    # -- plumbing ---------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: Any = None, query: Optional[dict] = None) -> Any:
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw.decode(errors="replace")
            raise LoupeError(error.code, parsed) from None
        return json.loads(raw) if raw else None

    # -- tasks ------------------------------------------------------------------------------

    def submit(self, document: str, summary: str, confidence: float, model: str,
               model_version: Optional[str] = None, external_id: Optional[str] = None,
               flagged: bool = False, metadata: Optional[dict] = None) -> dict:
        """Sends one output. The receipt says ``needs_review`` and why (``reason``).

        Sending the same ``external_id`` again returns the stored task (``created: False``),
        so a retried pipeline step never makes a second review."""
        task = {"document": document, "summary": summary, "confidence": confidence, "model": model,
                "flagged": flagged}
        for key, value in (("model_version", model_version), ("external_id", external_id),
                           ("metadata", metadata)):
            if value is not None:
                task[key] = value
        return self._request("POST", "/api/v1/tasks", task)

    def submit_batch(self, tasks: list) -> list:
        """Sends up to 1,000 task objects in one transaction; receipts come back in order."""
        return self._request("POST", "/api/v1/tasks", tasks)["tasks"]

    def task(self, task_id: str) -> dict:
        """The task's status, verdict, corrected summary, reviews and end-user feedback."""
        return self._request("GET", f"/api/v1/tasks/{urllib.parse.quote(task_id)}")

    def wait_for_verdict(self, task_id: str, timeout: float = 24 * 3600, interval: float = 10.0) -> dict:
        """Polls until the task has its final verdict (``status`` ``reviewed``: the reviewers', or
        an admin's resolution of an escalation); returns it. Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            task = self.task(task_id)
            if task["status"] in DONE_STATUSES:
                return task
            if time.monotonic() >= deadline:
                raise TimeoutError(f"task {task_id} is still {task['status']}")
            time.sleep(interval)

    # -- feedback ---------------------------------------------------------------------------

    def send_feedback(self, task_id: str, user_id: str, feedback_type: str, value: Any = None,
                      comments: Optional[str] = None) -> dict:
        """End-user feedback: ``thumbs`` (1 up / 0 down), ``rating`` (1-5, fractions allowed),
        ``comment``, ``correction`` (the corrected text in ``comments``), implicit events
        (``copy``, ``regenerate``, ``edit``, ``dwell_seconds``, ``abandon``) or any other type.
        A thumbs-down, a low rating or a correction on an auto-accepted output sends it to review.
        ``task_id`` may be Loupe's id or your external_id."""
        body = {"task_id": task_id, "user_id": user_id, "feedback_type": feedback_type}
        if value is not None:
            body["value"] = value
        if comments is not None:
            body["comments"] = comments
        return self._request("POST", "/api/v1/feedback", body)

    def feed(self, after: Optional[str] = None, limit: int = 100) -> dict:
        """One page of the feedback feed: ``items``, ``next_cursor``, ``has_more``."""
        return self._request("GET", "/api/v1/feedback", query={"after": after, "limit": limit})

    def iter_feed(self, after: Optional[str] = None, limit: int = 500) -> Iterator[dict]:
        """Every feedback item after ``after``, oldest first. Store ``item["cursor"]`` of the
        last one you processed and pass it next time to continue exactly there."""
        while True:
            page = self.feed(after, limit)
            yield from page["items"]
            after = page["next_cursor"]
            if not page["has_more"]:
                return

    # -- webhooks and routing ----------------------------------------------------------------

    def register_webhook(self, url: str, events: list, secret: Optional[str] = None,
                         description: Optional[str] = None) -> dict:
        """Registers an endpoint; the answer's ``secret`` is shown only this once."""
        body = {"url": url, "events": events}
        if secret is not None:
            body["secret"] = secret
        if description is not None:
            body["description"] = description
        return self._request("POST", "/api/v1/webhooks", body)

    def routing(self, model: str) -> dict:
        return self._request("GET", f"/api/v1/routing/{urllib.parse.quote(model, safe='')}")

    def set_routing(self, model: str, **change: Any) -> dict:
        """Changes ``threshold``, ``audit_rate`` and/or ``reviews_per_task`` for a model."""
        return self._request("PUT", f"/api/v1/routing/{urllib.parse.quote(model, safe='')}", change)


class NotPublishable(Exception):
    """The final verdict does not let the output go out (a rejection)."""

    def __init__(self, task: dict):
        self.task = task
        super().__init__(f"task {task.get('id')}: the final verdict is {task.get('verdict')}; not publishing")


def summary_to_publish(task: dict, summary: str) -> str:
    """The text a pipeline may publish, given the task with its final verdict and the summary it sent.

    The final verdict is ``task["verdict"]`` once ``status`` is ``reviewed``: an admin's resolution
    when the task was escalated, else the reviewers' (``reject`` if any rejected). On ``accept`` the
    answer is the latest correction typed by a reviewer whose own verdict was ``accept``, else
    ``summary`` unchanged. A correction typed by a reviewer who escalated or rejected is never
    returned: an admin's resolution is a verdict and a note and carries no text, so accepting an
    escalation accepts the output (and the accepting reviewers' corrections), not the escalating
    reviewer's rewrite. (``task["corrected_summary"]`` is the latest correction of any reviewer, so
    it is not the field to publish.) Any other verdict, or a task not yet final, raises
    :class:`NotPublishable`.
    """
    if task.get("status") not in DONE_STATUSES or task.get("verdict") != "accept":
        raise NotPublishable(task)
    accepted = [r["corrected_summary"] for r in task["reviews"]
                if r["verdict"] == "accept" and r["corrected_summary"]]
    return accepted[-1] if accepted else summary


def verify_signature(secret: str, body: bytes, header: str, tolerance: float = 300.0,
                     now: Optional[float] = None) -> bool:
    """True when ``header`` (``Loupe-Signature``) signs ``body`` with ``secret`` and its
    timestamp is within ``tolerance`` seconds of now (which stops replays of old requests).
    Pass the raw request body, before any JSON parsing."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


if __name__ == "__main__":
    import os
    import sys

    client = LoupeClient(os.environ.get("LOUPE_URL", "http://127.0.0.1:3000"), os.environ["LOUPE_TOKEN"])
    receipt = client.submit(document=sys.argv[1] if len(sys.argv) > 1 else "A short document.",
                            summary="A summary.", confidence=0.5, model="example")
    print(json.dumps(receipt, indent=2))
