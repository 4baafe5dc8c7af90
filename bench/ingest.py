#!/usr/bin/env python3
"""Ingest throughput of a running Loupe: POSTs batches of 1,000 new tasks to /api/v1/tasks
and reports tasks per second, as the median of several runs. Standard library only.

    bench/ingest.py --url http://127.0.0.1:3200 --token loupe_... [--runs 5] [--batches 10]
"""
import argparse
import json
import statistics
import time
import urllib.request
import uuid


def batch(prefix: str, n: int) -> bytes:
    tasks = [
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
    return json.dumps(tasks).encode()


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
    args = p.parse_args()
    rates = []
    for run in range(args.runs):
        bodies = [batch(f"bench-{uuid.uuid4()}", 1000) for _ in range(args.batches)]
        start = time.perf_counter()
        for body in bodies:
            post(args.url, args.token, body)
        elapsed = time.perf_counter() - start
        rate = args.batches * 1000 / elapsed
        rates.append(rate)
        print(f"run {run + 1}: {args.batches * 1000} tasks in {elapsed:.2f} s = {rate:,.0f} tasks/s")
    print(f"median: {statistics.median(rates):,.0f} tasks/s over {args.runs} runs")


if __name__ == "__main__":
    main()
