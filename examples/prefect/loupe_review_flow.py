"""A Prefect flow that puts Loupe in a summarization pipeline: the Airflow example's steps.

summarize -> send_to_loupe -> needs review? --yes--> wait_for_verdict --+--> publish
                                            \\--no------------------------/

`wait_for_verdict` polls until the task has its *final* verdict: a task a reviewer escalated is
not done until an admin rules on it. `publish` then sends out what the verdict allows
(`summary_to_publish` in loupe_client.py): on accept, the latest correction of a reviewer who
accepted, else the summary as the model wrote it (never the rewrite of a reviewer who escalated:
the admin's resolution carries no text); on reject it raises and the flow run fails.

Polling holds the flow's process while a person reviews; for waits of hours, register a Loupe
webhook (`task.reviewed`) that resumes the run instead.

Environment: LOUPE_URL and LOUPE_TOKEN (a token from `loupe token create prefect --scope
ingest,read`); LOUPE_POKE_SECONDS, how often to ask (default 60). Put
examples/python/loupe_client.py beside this file (or on PYTHONPATH). Run it once:
`python loupe_review_flow.py "A document."` (Prefect starts a temporary local API unless
PREFECT_API_URL names one).
"""

from __future__ import annotations

import json
import os
import sys

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from loupe_client import LoupeClient, summary_to_publish  # noqa: E402
from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.runtime import flow_run  # noqa: E402


def loupe() -> LoupeClient:
    return LoupeClient(os.environ["LOUPE_URL"], os.environ["LOUPE_TOKEN"])


@task
def summarize(document: str, confidence: float) -> dict:
    # Stand-in for the real model call; a real model reports its own confidence.
    summary = document.split(".")[0] + "."
    return {"document": document, "summary": summary, "confidence": confidence,
            "model": "summarizer", "model_version": "2026-11"}


@task(retries=2, retry_delay_seconds=5)
def send_to_loupe(output: dict) -> dict:
    # The flow run's id makes a retry send the same external_id: no duplicate review.
    receipt = loupe().submit(external_id=f"prefect-{flow_run.id}", **output)
    return {**output, "task_id": receipt["id"], "needs_review": receipt["needs_review"]}


@task
def wait_for_verdict(sent: dict) -> dict:
    # Returns once `status` is `reviewed`: the reviewers' verdict, or the admin's ruling on an
    # escalation (`escalated` keeps it waiting).
    poke = float(os.environ.get("LOUPE_POKE_SECONDS", "60"))
    get_run_logger().info("waiting for the final verdict on Loupe task %s", sent["task_id"])
    return loupe().wait_for_verdict(sent["task_id"], timeout=2 * 24 * 3600, interval=poke)


@task
def publish(sent: dict, reviewed: dict | None) -> str:
    if reviewed is None:
        return sent["summary"]  # not sent to review: auto-accepted
    # Raises NotPublishable on a rejection, which fails the run: nothing goes out.
    text = summary_to_publish(reviewed, sent["summary"])
    # Stand-in for sending `text` to wherever summaries go.
    return text


@flow(name="summarize-with-review")
def summarize_with_review(document: str, confidence: float = 0.42) -> str:
    sent = send_to_loupe(summarize(document, confidence))
    reviewed = wait_for_verdict(sent) if sent["needs_review"] else None
    return publish(sent, reviewed)


if __name__ == "__main__":
    # `python loupe_review_flow.py DOCUMENT [CONFIDENCE]`; prints what was published as JSON.
    published = summarize_with_review(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 0.42)
    print(json.dumps({"published": published}))
