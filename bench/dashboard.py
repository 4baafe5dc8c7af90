#!/usr/bin/env python3
"""Dashboard and export timings against a running Loupe that holds a large data set.

Signs in as an admin, then reports (median of --runs runs, after one warm-up):
  - GET /admin (the whole dashboard page, rendered on the server with every figure) per view;
  - each export format: rows, seconds, rows per second, and the server's peak resident memory
    while it streams (sampled from /proc/PID/status every 20 ms).
Standard library only.

    bench/dashboard.py --url http://127.0.0.1:3300 --password ... --pid 1234 [--runs 5]
"""
import argparse
import http.cookiejar
import statistics
import threading
import time
import urllib.parse
import urllib.request


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """Keeps the highest RSS of `pid` seen while running."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self):
        while self.running:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.02)

    def stop(self) -> int:
        self.running = False
        self.join()
        return self.peak


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = urllib.parse.urlencode({"username": "admin", "password": args.password}).encode()
    opener.open(urllib.request.Request(f"{args.url}/api/login", data=form)).read()

    def fetch(path: str) -> tuple[float, bytes]:
        start = time.perf_counter()
        with opener.open(f"{args.url}{path}", timeout=600) as res:
            assert res.status == 200, res.status
            body = res.read()
        return time.perf_counter() - start, body

    today = time.strftime("%Y-%m-%d", time.gmtime())
    year_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 364 * 86400))
    views = [
        ("last 30 days, all models (default)", "/admin"),
        ("last 30 days, one model version", "/admin?model=summarizer&version=2.4"),
        ("365 days, all models (weekly buckets)", f"/admin?from={year_ago}&to={today}"),
        # The generated data is all in the default project: this is the per-project path (every
        # rollup read with its project key) at the largest size one project can have.
        ("365 days, one project (all its tasks)",
         f"/admin?from={year_ago}&to={today}&project=default"),
    ]
    print(f"== dashboard page (GET /admin), median of {args.runs} after a warm-up")
    for name, path in views:
        fetch(path)
        times = [fetch(path)[0] for _ in range(args.runs)]
        print(f"{name:42s} {statistics.median(times) * 1000:8.1f} ms   runs: "
              + ", ".join(f"{t * 1000:.0f}" for t in times))

    print(f"== export, 365 days (median of {args.runs}); peak server RSS while streaming")
    print(f"server RSS before exports: {rss_kib(args.pid) / 1024:.1f} MiB")
    for fmt in ["jsonl", "csv", "sft", "dpo"]:
        path = f"/api/v1/export?format={fmt}&from={year_ago}&to={today}"
        results = []
        for _ in range(args.runs):
            sampler = Sampler(args.pid)
            sampler.start()
            start = time.perf_counter()
            rows = 0
            size = 0
            with opener.open(f"{args.url}{path}", timeout=600) as res:
                while chunk := res.read(1 << 16):
                    rows += chunk.count(b"\n")
                    size += len(chunk)
            seconds = time.perf_counter() - start
            peak = sampler.stop()
            if fmt == "csv":
                rows -= 1  # header
            results.append((rows / seconds, seconds, rows, size, peak))
        rates = [r[0] for r in results]
        rows, size = results[0][2], results[0][3]
        peak = max(r[4] for r in results)
        print(f"{fmt:6s} {rows:9,d} rows {size / 1e6:8.1f} MB  {statistics.median(rates):10,.0f} rows/s"
              f"  (runs: {', '.join(f'{r:,.0f}' for r in rates)})  peak RSS {peak / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
