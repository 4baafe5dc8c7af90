#!/usr/bin/env python3
"""Ingest throughput of a running Loupe: POSTs batches of 1,000 new tasks to /api/v1/tasks
and reports tasks per second, as the median of several runs. Standard library only.

    bench/ingest.py --url http://127.0.0.1:3200 --token loupe_... [--runs 5] [--batches 10]
        [--copy "psql -h DATA/pg-run -U postgres loupe"]

With --copy, each run also loads the same rows (the same columns ingest writes, routed the same
way) into the same `tasks` table with PostgreSQL's COPY through that psql command, and prints
ingest's speed as a share of COPY's.
"""
import argparse
import csv
import json
import os
import shlex
import statistics
import subprocess
import tempfile
import time
import urllib.request
import uuid


def tasks_of(prefix: str, n: int) -> list:
    return [
        {
            "external_id": f"{prefix}-{i}",
            "document": "The council approved the new transit line after a long debate. " * 20,
            "summary": "The council approved the transit line.",
            "confidence": (i % 100) / 100,
            "model": "bench",
            "model_version": "1",
            "metadata": {"i": i},
        }
        for i in range(n)
    ]


def copy_rows(psql: str, batches: list) -> float:
    """Seconds PostgreSQL's COPY takes to store these tasks as ingest would (threshold 0.8)."""
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="") as f:
        out = csv.writer(f)
        for tasks in batches:
            for t in tasks:
                low = t["confidence"] < 0.8
                out.writerow([
                    uuid.uuid4(), "copy-" + t["external_id"], t["document"], t["summary"],
                    t["confidence"], t["model"], t["model_version"], "f", 0.8,
                    json.dumps(t["metadata"]), "low_confidence" if low else "auto_accepted",
                    "queued" if low else "auto_accepted", 1,
                ])
        path = f.name
    columns = ("id, external_id, document, summary, confidence, model, model_version, flagged, "
               "threshold, metadata, reason, status, reviews_required")
    # The support worker computes hints for the tasks just ingested; COPY is timed after it is
    # done, so the two do not share the machine's cores.
    pending = "select count(*) from tasks where support is null and status = 'queued'"
    while subprocess.run(shlex.split(psql) + ["-X", "-q", "-t", "-A", "-c", pending], check=True,
                         capture_output=True, text=True).stdout.strip() != "0":
        time.sleep(0.2)
    start = time.perf_counter()
    subprocess.run(shlex.split(psql) + ["-X", "-q", "-c",
                   f"\\copy tasks ({columns}) from '{path}' csv"], check=True)
    elapsed = time.perf_counter() - start
    os.unlink(path)
    return elapsed


def post(url: str, token: str, body: bytes) -> None:
    req = urllib.request.Request(
        f"{url}/api/v1/tasks",
        data=body,
        headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=120) as res:
        assert res.status == 200, res.status
        res.read()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--batches", type=int, default=10)
    p.add_argument("--copy", help="a psql command line for the same database, to time COPY")
    args = p.parse_args()
    rates, copy_rates = [], []
    for run in range(args.runs):
        batches = [tasks_of(f"bench-{uuid.uuid4()}", 1000) for _ in range(args.batches)]
        bodies = [json.dumps(b).encode() for b in batches]
        n = args.batches * 1000
        start = time.perf_counter()
        for body in bodies:
            post(args.url, args.token, body)
        elapsed = time.perf_counter() - start
        rate = n / elapsed
        rates.append(rate)
        line = f"run {run + 1}: {n} tasks in {elapsed:.2f} s = {rate:,.0f} tasks/s"
        if args.copy:
            copy_rate = n / copy_rows(args.copy, batches)
            copy_rates.append(copy_rate)
            line += f"; COPY {copy_rate:,.0f} rows/s; ingest / COPY = {rate / copy_rate:.2f}"
        print(line)
    print(f"median: {statistics.median(rates):,.0f} tasks/s over {args.runs} runs")
    if copy_rates:
        ratios = [r / c for r, c in zip(rates, copy_rates)]
        print(f"median COPY: {statistics.median(copy_rates):,.0f} rows/s; "
              f"median ingest / COPY: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
