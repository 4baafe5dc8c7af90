"""An Airflow DAG that puts Loupe in a summarization pipeline.

summarize -> send_to_loupe -> needs_review? --yes--> wait_for_verdict --+--> publish
                                            \\--no------------------------/

The sensor runs in `reschedule` mode, so a summary waiting a day for its reviewer holds no
worker slot. `publish` uses the reviewer's corrected summary when there is one, and stops a
rejected or escalated summary from going out.

Set the Airflow Variables `loupe_url` and `loupe_token` (a token from
`loupe token create airflow --scope ingest,read`: it sends outputs and polls their verdicts),
and put examples/python/loupe_client.py beside this file (or on PYTHONPATH).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from airflow.sdk import Variable, dag, task  # noqa: E402
from airflow.sdk.bases.sensor import PokeReturnValue  # noqa: E402
from loupe_client import DONE_STATUSES, LoupeClient  # noqa: E402


def loupe() -> LoupeClient:
    return LoupeClient(Variable.get("loupe_url"), Variable.get("loupe_token"))


@dag(schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["loupe"],
     params={"document": "Paste a document here."})
def summarize_with_review():
    @task
    def summarize(params=None) -> dict:
        document = params["document"]
        # Stand-in for the real model call.
        summary = document.split(".")[0] + "."
        return {"document": document, "summary": summary, "confidence": 0.42,
                "model": "summarizer", "model_version": "2026-11"}

    @task
    def send_to_loupe(output: dict, run_id=None) -> dict:
        # The run id makes a retried task send the same external_id: no duplicate review.
        receipt = loupe().submit(external_id=f"airflow-{run_id}", **output)
        return {**output, "task_id": receipt["id"], "needs_review": receipt["needs_review"]}

    @task.branch
    def needs_review(sent: dict) -> str:
        return "wait_for_verdict" if sent["needs_review"] else "publish"

    @task.sensor(poke_interval=60, timeout=int(timedelta(days=2).total_seconds()), mode="reschedule")
    def wait_for_verdict(sent: dict) -> PokeReturnValue:
        reviewed = loupe().task(sent["task_id"])
        return PokeReturnValue(is_done=reviewed["status"] in DONE_STATUSES, xcom_value=reviewed)

    @task(trigger_rule="none_failed_min_one_success")
    def publish(sent: dict, reviewed: dict | None = None) -> str:
        if reviewed is None:
            return sent["summary"]
        if reviewed["verdict"] != "accept" and not reviewed["corrected_summary"]:
            raise ValueError(f"the reviewer's verdict was {reviewed['verdict']}; not publishing")
        return reviewed["corrected_summary"] or sent["summary"]

    sent = send_to_loupe(summarize())
    verdict = wait_for_verdict(sent)
    needs_review(sent) >> [verdict, publish(sent, verdict)]


summarize_with_review()
