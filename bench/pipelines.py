"""Pipeline-side figures against a running Loupe (bench/pipelines.sh starts one):

- webhook delivery: N events put in the outbox at once, time until a local receiver has
  acknowledged them all (deliveries/s), with one Loupe process or two sharing the database;
- the feedback feed: reading every item in pages of 1,000 (items/s);
- `loupe import`: a JSON Lines file of new outputs, and the same file again (resume path).

Each figure is the median of --runs runs; every run's value is printed.
"""

import argparse
import http.server
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request


class Counter(http.server.BaseHTTPRequestHandler):
    count = 0
    lock = threading.Lock()
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        with Counter.lock:
            Counter.count += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def api(url, token, method, path, body=None):
    req = urllib.request.Request(url + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as res:
        raw = res.read()
    return json.loads(raw) if raw else None


def psql(db, sql):
    subprocess.run(["psql", "-qAt", "-v", "ON_ERROR_STOP=1", db, "-c", sql], check=True,
                   stdout=subprocess.DEVNULL)


def webhooks(args, receiver_url):
    hook = api(args.url, args.token, "POST", "/api/v1/webhooks",
               {"url": receiver_url, "events": ["task.reviewed"], "description": "bench"})
    results = []
    for _ in range(args.runs):
        Counter.count = 0
        start = time.perf_counter()
        psql(args.db, f"insert into webhook_deliveries (id, endpoint_id, event, payload) "
                      f"select gen_random_uuid(), {hook['id']}, 'task.reviewed', "
                      f"jsonb_build_object('event', 'task.reviewed', 'n', n) "
                      f"from generate_series(1, {args.events}) n")
        while Counter.count < args.events:
            time.sleep(0.005)
        elapsed = time.perf_counter() - start
        results.append(args.events / elapsed)
    api(args.url, args.token, "DELETE", f"/api/v1/webhooks/{hook['id']}")
    return results


def feed(args):
    results = []
    total = 0
    for _ in range(args.runs):
        start = time.perf_counter()
        after, total = None, 0
        while True:
            path = "/api/v1/feedback?limit=1000" + (f"&after={after}" if after else "")
            page = api(args.url, args.token, "GET", path)
            total += len(page["items"])
            after = page["next_cursor"]
            if not page["has_more"]:
                break
        results.append(total / (time.perf_counter() - start))
    return results, total


def imports(args):
    first, again = [], []
    for run in range(args.runs):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            for i in range(args.lines):
                f.write(json.dumps({"document": f"Document {i}. " * 20, "summary": f"Summary {i}.",
                                    "confidence": (i % 100) / 100, "model": "bench-import",
                                    "external_id": f"bench-import-{run}-{i}"}) + "\n")
        env = dict(os.environ, LOUPE_DATA_DIR=args.data_dir, RUST_LOG="warn")
        for out in (first, again):
            start = time.perf_counter()
            subprocess.run([args.bin, "import", f.name], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            out.append(args.lines / (time.perf_counter() - start))
        os.unlink(f.name)
    return first, again


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--db", required=True, help="psql connection string of Loupe's database")
    p.add_argument("--bin", required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--label", default="")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--events", type=int, default=2000)
    p.add_argument("--lines", type=int, default=20000)
    p.add_argument("--only", choices=["webhooks", "all"], default="all")
    args = p.parse_args()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver = f"http://127.0.0.1:{server.server_address[1]}/hook"

    def show(name, values, unit):
        runs = ", ".join(f"{v:,.0f}" for v in values)
        print(f"{name}: median {statistics.median(values):,.0f} {unit} (runs: {runs})")

    show(f"webhook deliveries{args.label}, {args.events} events", webhooks(args, receiver), "deliveries/s")
    if args.only == "webhooks":
        return
    values, total = feed(args)
    show(f"feed, {total:,} items in pages of 1,000", values, "items/s")
    first, again = imports(args)
    show(f"import, {args.lines:,} new lines", first, "lines/s")
    show(f"import again (all already stored)", again, "lines/s")


if __name__ == "__main__":
    main()
