#!/usr/bin/env python3
"""How well the review page's source-support marks separate inconsistent summaries from
consistent ones, on real (document, summary) pairs judged by people
(../shared/data/summary-consistency/, see its README).

Runs the pairs through a real Loupe as a pipeline and a reviewer would: each pair is sent with
`POST /api/v1/tasks` (a pipeline token), and its hints are read from `review/current`, the server
function the review page calls, by a signed-in reviewer who then skips the task. "The page marks
something" is the issue's definition: a sentence with `marked: true` when the page sends that
field, otherwise (before it existed) a sentence scoring under the page's `weak_below` or holding
a number, name or date the source lacks.

Prints, per data set and on average: balanced accuracy, precision and recall of the marks (an
inconsistent summary is the positive class), the false-mark rate (consistent summaries marked),
and the support worker's time per task: the mean, and the histogram bucket holding the median,
from the server's own `loupe_support_compute_seconds` (`/metrics`; the token needs the metrics
scope, else the times print as —). `--dump FILE` writes each pair's outcome and mark kinds.

    python3 bench/support-eval/eval.py --url http://127.0.0.1:3000 --token $TOKEN \
        --reviewer eval-rev --password ... [--data ../shared/data/summary-consistency] [--limit N]

Standard library only. Use a Loupe with no other queued work (or a fresh one): the reviewer
skips through the queue, and tasks it did not send are passed over but cost a request each.
"""

import argparse
import json
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

MODEL = "support-eval"


def request(url, *, data=None, headers=None, method=None, timeout=60):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as res:
        return res.status, res.headers, res.read()


class Reviewer:
    def __init__(self, base, username, password):
        self.base = base
        self.cookie = None
        _, headers, _ = self.post("login", {"username": username, "password": password})
        self.cookie = headers.get("Set-Cookie", "").split(";")[0]
        if not self.cookie.startswith("loupe_session="):
            sys.exit("could not sign in as the reviewer")

    def post(self, endpoint, form):
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/json", "Origin": self.base}
        if self.cookie:
            headers["Cookie"] = self.cookie
        return request(f"{self.base}/api/{endpoint}", data=urllib.parse.urlencode(form).encode(),
                       headers=headers, method="POST")

    def current(self):
        return json.loads(self.post("review/current", {})[2])

    def skip(self, task_id):
        self.post("review/skip", {"task_id": task_id})


def marked(task):
    """Whether the page marks something in this task's summary, and whether hints were there."""
    support = task.get("support")
    if not support:
        return None
    weak_below = task.get("weak_below", 0.5)
    for s in support["summary"]:
        if "marked" in s:
            if s["marked"]:
                return True
        elif s["score"] < weak_below or s["unsupported"]:
            return True
    return False


def figures(rows):
    tp = sum(1 for inconsistent, m in rows if inconsistent and m)
    fn = sum(1 for inconsistent, m in rows if inconsistent and not m)
    fp = sum(1 for inconsistent, m in rows if not inconsistent and m)
    tn = sum(1 for inconsistent, m in rows if not inconsistent and not m)
    recall = tp / (tp + fn) if tp + fn else None
    specificity = tn / (tn + fp) if tn + fp else None
    return {
        "pairs": len(rows),
        "balanced_accuracy": (recall + specificity) / 2 if None not in (recall, specificity) else None,
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": recall,
        "false_mark_rate": fp / (fp + tn) if fp + tn else None,
    }


def pct(v):
    return "—" if v is None else f"{100 * v:.1f}%"


def support_histogram(base, auth):
    """The worker's `loupe_support_compute_seconds` histogram from /metrics, summed over its
    outcomes: ({upper bound: cumulative count}, sum of seconds, count); None without access."""
    try:
        _, _, body = request(f"{base}/metrics", headers=auth)
    except urllib.error.HTTPError:
        return None
    buckets, total, count = {}, 0.0, 0
    for line in body.decode().splitlines():
        if line.startswith("loupe_support_compute_seconds_bucket{"):
            le = line.split('le="')[1].split('"')[0]
            buckets[le] = buckets.get(le, 0) + int(float(line.rsplit(" ", 1)[1]))
        elif line.startswith("loupe_support_compute_seconds_sum"):
            total += float(line.rsplit(" ", 1)[1])
        elif line.startswith("loupe_support_compute_seconds_count"):
            count += int(float(line.rsplit(" ", 1)[1]))
    return buckets, total, count


def timing(before, after):
    """Mean milliseconds per task between two histograms, and the bucket holding the median."""
    if before is None or after is None:
        return None, None
    n = after[2] - before[2]
    if n <= 0:
        return None, None
    mean = 1000 * (after[1] - before[1]) / n
    bounds = sorted((float("inf") if le == "+Inf" else float(le), le) for le in after[0])
    median = None
    for bound, le in bounds:
        if after[0][le] - before[0].get(le, 0) >= n / 2:
            median = bound
            break
    return mean, median


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True, help="a token with the ingest and metrics scopes")
    ap.add_argument("--reviewer", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[3] / "shared/data/summary-consistency"))
    ap.add_argument("--limit", type=int, default=0, help="pairs per data set (0: all)")
    ap.add_argument("--dump", help="write each pair's outcome and mark kinds to this JSONL file")
    args = ap.parse_args()
    base = args.url.rstrip("/")
    run = f"{int(time.time())}"
    auth = {"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"}
    reviewer = Reviewer(base, args.reviewer, args.password)
    dump = open(args.dump, "w") if args.dump else None

    print(f"{'data set':<12} {'pairs':>5} {'bal. acc.':>9} {'precision':>9} {'recall':>7} "
          f"{'false marks':>11} {'ms/task':>8} {'median ≤':>8}")
    accs, read, sent = [], 0, 0
    # One data set at a time, so the worker's time per task is that set's.
    for path in sorted(Path(args.data).glob("*.jsonl")):
        lines = [json.loads(l) for l in path.read_text().splitlines() if l.strip()]
        pairs = lines[: args.limit or None]
        before = support_histogram(base, auth)
        by_id = {}
        for start in range(0, len(pairs), 50):
            batch = pairs[start:start + 50]
            body = [{"document": p["document"], "summary": p["summary"], "confidence": 0.0,
                     "model": MODEL, "model_version": run,
                     "external_id": f"eval-{run}-{p['dataset']}-{p['id']}"} for p in batch]
            try:
                _, _, answer = request(f"{base}/api/v1/tasks", data=json.dumps(body).encode(),
                                       headers=auth, method="POST")
            except urllib.error.HTTPError as e:
                sys.exit(f"ingest refused: {e.code} {e.read()[:300]!r}")
            for p, receipt in zip(batch, json.loads(answer)["tasks"]):
                by_id[receipt["id"]] = p
        sent += len(by_id)

        results = {}
        idle_since = time.monotonic()
        while len(results) < len(by_id):
            task = reviewer.current()
            if task is None:
                if time.monotonic() - idle_since > 60:
                    break
                time.sleep(0.5)
                continue
            if task["id"] in by_id:
                m = marked(task)
                if m is None:
                    # Hints not computed yet: wait for the worker, then ask again.
                    time.sleep(0.2)
                    continue
                results[task["id"]] = m
                if dump:
                    p = by_id[task["id"]]
                    kinds = [sorted({k["kind"] for k in s.get("marks", [])})
                             for s in task["support"]["summary"]]
                    dump.write(json.dumps({"dataset": p["dataset"], "id": p["id"],
                                           "consistent": p["consistent"], "marked": m,
                                           "kinds": kinds}) + "\n")
            reviewer.skip(task["id"])
            idle_since = time.monotonic()
        read += len(results)
        mean, median = timing(before, support_histogram(base, auth))

        rows = [(not by_id[t]["consistent"], m) for t, m in results.items()]
        f = figures(rows)
        if f["balanced_accuracy"] is not None:
            accs.append(f["balanced_accuracy"])
        ms = "—" if mean is None else f"{mean:.2f}"
        med = "—" if median is None else f"{1000 * median:g} ms"
        print(f"{path.stem:<12} {f['pairs']:>5} {pct(f['balanced_accuracy']):>9} "
              f"{pct(f['precision']):>9} {pct(f['recall']):>7} {pct(f['false_mark_rate']):>11} "
              f"{ms:>8} {med:>8}")
    if accs:
        print(f"{'average':<12} {'':>5} {pct(statistics.mean(accs)):>9}")
    print(f"{read} of {sent} pairs read from the review page")


if __name__ == "__main__":
    main()
