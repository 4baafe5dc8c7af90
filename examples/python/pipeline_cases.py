"""The review cases every pipeline example is run through (examples/airflow/test_dag.py,
examples/prefect/test_flow.py), against a real, running Loupe.

A test case mixes in :class:`PipelineCases` and says how to start one run of its pipeline and how
to read its outcome; the cases play the people: a reviewer signs in and reviews through the same
endpoints the review page uses, and for an escalation the admin resolves it through the
escalations page's endpoint, both while the run is waiting for its verdict.

Environment: LOUPE_URL, LOUPE_TOKEN (ingest, read and admin: the cases set the routing of the
examples' model), LOUPE_PIPELINE_REVIEWER and LOUPE_PIPELINE_REVIEWER_PASSWORD (a reviewer
account), LOUPE_E2E_ADMIN_PASSWORD (the `admin` account's password).
"""

import os
import time
import uuid
from dataclasses import dataclass
from typing import Optional

from loupe_client import LoupeClient
from test_loupe_client import Reviewer

URL = os.environ.get("LOUPE_URL", "http://127.0.0.1:3000")
MODEL = "summarizer"  # the examples' stand-in model
RUN_TIMEOUT = 240  # seconds for one run, people included
RUNNING = bool(os.environ.get("LOUPE_TOKEN") and os.environ.get("LOUPE_PIPELINE_REVIEWER"))


@dataclass
class Outcome:
    """How a run ended: whether it failed, whether it waited for a verdict, what it published."""

    failed: bool
    waited: bool
    published: Optional[str]


class PipelineCases:
    """Mixed into a unittest.TestCase that defines start_run, finish and waiting."""

    # -- what a pipeline's test case defines --------------------------------------------------

    def start_run(self, document: str, confidence: float):
        """Starts one run on `document`; returns a handle for `finish` and `waiting`."""
        raise NotImplementedError

    def finish(self, run) -> Outcome:
        """Waits (at most RUN_TIMEOUT) for the run to end and reads its outcome."""
        raise NotImplementedError

    def waiting(self, run) -> bool:
        """True while the run is still waiting for the verdict, having published nothing."""
        raise NotImplementedError

    # -- the people ---------------------------------------------------------------------------

    @classmethod
    def setUpClass(cls):
        cls.loupe = LoupeClient(URL, os.environ["LOUPE_TOKEN"])
        cls.reviewer = Reviewer(os.environ["LOUPE_PIPELINE_REVIEWER"], os.environ["LOUPE_PIPELINE_REVIEWER_PASSWORD"])
        cls.admin = Reviewer("admin", os.environ["LOUPE_E2E_ADMIN_PASSWORD"])
        # Every output below the threshold goes to review and none is sampled for audit, so the
        # branch a run takes depends only on the confidence it sends. Put back afterwards.
        cls.routing = cls.loupe.routing(MODEL)
        cls.loupe.set_routing(MODEL, threshold=0.5, audit_rate=0.0, reviews_per_task=1)

    @classmethod
    def tearDownClass(cls):
        cls.loupe.set_routing(MODEL, **{k: cls.routing[k] for k in ("threshold", "audit_rate", "reviews_per_task")})

    def run_on(self, confidence):
        """Starts a run on a document of its own; returns (run, document, the stand-in's summary)."""
        marker = uuid.uuid4().hex[:12]
        document = f"Run {marker} of the review pipeline reached Loupe. It carries a second sentence."
        return self.start_run(document, confidence), document, document.split(".")[0] + "."

    def task_of(self, document):
        """Waits until the run's output is in the reviewer's queue; returns its task id."""
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            current = self.reviewer.current()
            if current is None:
                time.sleep(0.5)
            elif current["document"] == document:
                return current["id"]
            else:
                self.reviewer.skip(current["id"])
        self.fail("the run's output never reached the review queue")

    def review(self, task_id, **form):
        self.reviewer._post("review/submit", {"task_id": task_id, "rating": "3", **form})

    def resolve(self, task_id, verdict):
        self.admin._post("admin/escalations/resolve",
                         {"task_id": task_id, "verdict": verdict, "note": f"the pipeline test: {verdict}"})

    def escalate_and_wait(self, run, task_id):
        """The reviewer escalates with a rewrite; the run keeps waiting for several polls."""
        self.review(task_id, verdict="escalate", comment="not sure about this one",
                    corrected_summary="The escalating reviewer's rewrite.")
        self.assertEqual(self.loupe.task(task_id)["status"], "escalated")
        time.sleep(4)  # four polls at the tests' one-second interval
        self.assertTrue(self.waiting(run), "the run stopped waiting while the task was escalated")

    # -- the cases ----------------------------------------------------------------------------

    def test_a_confident_summary_is_published_without_review(self):
        run, _, summary = self.run_on(confidence=0.99)
        self.assertEqual(self.finish(run), Outcome(failed=False, waited=False, published=summary))

    def test_an_accepted_correction_is_published(self):
        run, document, _ = self.run_on(confidence=0.2)
        corrected = "The review pipeline's run reached Loupe, and a reviewer corrected its summary."
        self.review(self.task_of(document), verdict="accept", corrected_summary=corrected)
        self.assertEqual(self.finish(run), Outcome(failed=False, waited=True, published=corrected))

    def test_a_rejected_summary_is_not_published(self):
        run, document, _ = self.run_on(confidence=0.2)
        self.review(self.task_of(document), verdict="reject", corrected_summary="A rejecting reviewer's text.")
        self.assertEqual(self.finish(run), Outcome(failed=True, waited=True, published=None))

    def test_an_escalation_waits_for_the_admin_whose_acceptance_publishes_the_summary_not_the_rewrite(self):
        run, document, summary = self.run_on(confidence=0.2)
        task_id = self.task_of(document)
        self.escalate_and_wait(run, task_id)
        self.resolve(task_id, "accept")
        self.assertEqual(self.finish(run), Outcome(failed=False, waited=True, published=summary))
        self.assertEqual(self.loupe.task(task_id)["resolution"]["verdict"], "accept")

    def test_an_escalation_the_admin_rejects_is_not_published(self):
        run, document, _ = self.run_on(confidence=0.2)
        task_id = self.task_of(document)
        self.escalate_and_wait(run, task_id)
        self.resolve(task_id, "reject")
        self.assertEqual(self.finish(run), Outcome(failed=True, waited=True, published=None))
