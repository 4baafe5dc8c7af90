"""An Airflow DAG that puts Loupe in a summarization pipeline.

summarize -> send_to_loupe -> needs_review? --yes--> wait_for_verdict --+--> publish
                                            \\--no------------------------/

The sensor runs in `reschedule` mode, so a summary waiting a day for its reviewer holds no
worker slot. It waits for the *final* verdict: a task a reviewer escalated is not done until an
admin rules on it (`status` becomes `reviewed`, `verdict` the admin's). `publish` then sends out
what the verdict allows (`summary_to_publish` in loupe_client.py):

- accept: the latest correction of a reviewer who accepted, else the summary as the model wrote it.
  A correction typed by a reviewer who escalated is never published: the admin's resolution is
  accept or reject with a note and carries no text, so accepting an escalation accepts the summary,
  not the escalating reviewer's rewrite;
- reject (a reviewer's, or the admin's ruling): `publish` fails and nothing goes out.

Set the Airflow Variables `loupe_url` and `loupe_token` (a token from
`loupe token create airflow --scope ingest,read`: it sends outputs and polls their verdicts),
and put examples/python/loupe_client.py beside this file (or on PYTHONPATH). The environment
variable LOUPE_POKE_SECONDS changes how often the sensor asks (default 60; the tests use 1).

Run it once with Airflow's test runner: `airflow dags test summarize_with_review`, or
`python loupe_review_dag.py '{"document": "..."}'`.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timedelta

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from airflow.sdk import PokeReturnValue, Variable, dag, task  # noqa: E402
from airflow.sdk.exceptions import AirflowFailException  # noqa: E402
from loupe_client import DONE_STATUSES, LoupeClient, NotPublishable, summary_to_publish  # noqa: E402

# Read when the file is parsed: the sensor's schedule is part of the DAG's shape.
POKE_SECONDS = float(os.environ.get("LOUPE_POKE_SECONDS", "60"))


def loupe() -> LoupeClient:
    return LoupeClient(Variable.get("loupe_url"), Variable.get("loupe_token"))


@dag(schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["loupe"],
     params={"document": "Paste a document here. It is summarized by its first sentence.",
             # The stand-in model's confidence in its summary; a real model reports its own.
             "confidence": 0.42})
def summarize_with_review():
    @task
    def summarize(params=None) -> dict:
        document = params["document"]
        # Stand-in for the real model call.
        summary = document.split(".")[0] + "."
        return {"document": document, "summary": summary, "confidence": float(params["confidence"]),
                "model": "summarizer", "model_version": "2026-11"}

    @task
    def send_to_loupe(output: dict, run_id=None) -> dict:
        # The run id makes a retried task send the same external_id: no duplicate review.
        receipt = loupe().submit(external_id=f"airflow-{run_id}", **output)
        return {**output, "task_id": receipt["id"], "needs_review": receipt["needs_review"]}

    @task.branch
    def needs_review(sent: dict) -> str:
        return "wait_for_verdict" if sent["needs_review"] else "publish"

    @task.sensor(poke_interval=POKE_SECONDS, timeout=int(timedelta(days=2).total_seconds()),
                 mode="reschedule")
    def wait_for_verdict(sent: dict) -> PokeReturnValue:
        reviewed = loupe().task(sent["task_id"])
        # `escalated` keeps the sensor waiting: the admin's ruling is the verdict.
        return PokeReturnValue(is_done=reviewed["status"] in DONE_STATUSES, xcom_value=reviewed)

    @task(trigger_rule="none_failed_min_one_success")
    def publish(sent: dict, reviewed: dict | None = None) -> str:
        if reviewed is None:
            return sent["summary"]  # not sent to review: auto-accepted
        try:
            text = summary_to_publish(reviewed, sent["summary"])
        except NotPublishable as refused:
            # A rejection is not worth retrying: fail at once.
            raise AirflowFailException(str(refused)) from None
        # Stand-in for sending `text` to wherever summaries go; the return value is the XCom.
        return text

    sent = send_to_loupe(summarize())
    verdict = wait_for_verdict(sent)
    needs_review(sent) >> [verdict, publish(sent, verdict)]


summarize_with_review_dag = summarize_with_review()

if __name__ == "__main__":
    summarize_with_review_dag.test(run_conf=json.loads(sys.argv[1]) if len(sys.argv) > 1 else None)
