#!/usr/bin/env python3
"""Task-list timings against a running Loupe that holds bench/search.sh's 1M tasks.

For each query of GET /api/v1/tasks (each filter alone, the text search, and a few
combinations), reports the median answer time of --runs runs after one warm-up, the rows on the
first page, and the time of the second page (by its cursor). Standard library only.

    bench/search.py --url http://127.0.0.1:3301 --token ... [--runs 7]
"""
import argparse
import json
import statistics
import time
import urllib.parse
import urllib.request

# (name, query). The generated data: 12 subjects (each in about 1/12 of the documents), the
# report number g in each document ("Report 123456 on billing."), external ids bench-<g>,
# models summarizer and digest, 24 reviewers reviewer-01..24.
QUERIES = [
    ("no filter (newest first)", ""),
    ("q: a rare word (one report number)", "q=654321"),
    ("q: a subject (1 in 12 documents, ranked)", "q=billing"),
    ("q: two words, phrase", "q=%22billing%20situation%22"),
    ("q: subject + status=queued", "q=billing&status=queued"),
    ("q: subject, sorted newest", "q=billing&sort=newest"),
    ("status=queued", "status=queued"),
    ("status=escalated", "status=escalated"),
    ("reason=flagged", "reason=flagged"),
    ("model=digest", "model=digest"),
    ("external_id", "external_id=bench-777777"),
    ("confidence 0.1-0.2", "confidence_min=0.1&confidence_max=0.2"),
    ("least confident first", "sort=least_confident"),
    ("from/to: one day", "from=2026-06-01&to=2026-06-01"),
    ("reviewer", "reviewer=reviewer-07"),
    ("verdict=reject", "verdict=reject"),
    ("verdict=escalate", "verdict=escalate"),
    ("has_comment=true", "has_comment=true"),
    ("has_correction=true", "has_correction=true"),
    ("has_correction=false, reviewed", "has_correction=false&status=reviewed"),
    ("error_tag=hallucination", "error_tag=hallucination"),
    ("end_user_feedback=true", "end_user_feedback=true"),
    ("reviewer + verdict + subject", "q=billing&reviewer=reviewer-07&verdict=reject"),
]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--runs", type=int, default=7)
    args = p.parse_args()
    headers = {"Authorization": f"Bearer {args.token}"}

    def fetch(query: str) -> tuple[float, dict]:
        req = urllib.request.Request(f"{args.url}/api/v1/tasks?{query}", headers=headers)
        start = time.perf_counter()
        with urllib.request.urlopen(req) as res:
            body = json.loads(res.read())
        return (time.perf_counter() - start) * 1000, body

    print(f"{'query':44} {'rows':>5} {'median ms':>10} {'max ms':>8} {'page 2 ms':>10}")
    worst = 0.0
    for name, query in QUERIES:
        _, first = fetch(query)  # warm-up
        times = [fetch(query)[0] for _ in range(args.runs)]
        rows = len(first["tasks"])
        page2 = "-"
        if first.get("next_after"):
            sep = "&" if query else ""
            after = urllib.parse.quote(first["next_after"])
            page2 = f"{statistics.median([fetch(f'{query}{sep}after={after}')[0] for _ in range(args.runs)]):.1f}"
        median = statistics.median(times)
        worst = max(worst, median)
        print(f"{name:44} {rows:>5} {median:>10.1f} {max(times):>8.1f} {page2:>10}")
    print(f"slowest median: {worst:.1f} ms (goal: every one under 200 ms)")


if __name__ == "__main__":
    main()
