"""Runs loupe_review_flow.py with Prefect against a real, running Loupe (scripts/test.sh starts
one), through the review cases of examples/python/pipeline_cases.py.

Each run is the flow file run by the Python of Prefect's virtual environment (LOUPE_PREFECT_VENV,
made by scripts/setup.sh). The runs share one local Prefect API started here for the test class
(a temporary PREFECT_HOME with its default SQLite database, no UI, no analytics): a flow run alone
would start its own temporary API each time, some twenty seconds apiece on this machine.

    python3 -m unittest -v examples/prefect/test_flow.py
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
from pipeline_cases import RUN_TIMEOUT, RUNNING, Outcome, PipelineCases  # noqa: E402

VENV = os.environ.get("LOUPE_PREFECT_VENV", "")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipUnless(RUNNING and os.path.isfile(os.path.join(VENV, "bin", "prefect")),
                     "needs a running Loupe (see pipeline_cases.py) and Prefect (LOUPE_PREFECT_VENV)")
class FlowRunTest(PipelineCases, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.home = tempfile.mkdtemp(prefix="loupe-prefect-")
        # The flow as a user deploys it: with loupe_client.py beside it.
        shutil.copy(os.path.join(HERE, "loupe_review_flow.py"), cls.home)
        shutil.copy(os.path.join(HERE, "..", "python", "loupe_client.py"), cls.home)
        cls.flow_file = os.path.join(cls.home, "loupe_review_flow.py")
        port = free_port()
        cls.env = {
            **os.environ,
            "PREFECT_HOME": cls.home,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_ENABLED": "false",
            "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
            "LOUPE_POKE_SECONDS": "1",
        }
        cls.server_log = open(os.path.join(cls.home, "server.log"), "w")
        cls.server = subprocess.Popen(
            [os.path.join(VENV, "bin", "prefect"), "server", "start", "--host", "127.0.0.1",
             "--port", str(port), "--no-ui", "--analytics-off"],
            env=cls.env, stdout=cls.server_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{cls.env['PREFECT_API_URL']}/health", timeout=2)
                break
            except OSError:
                if cls.server.poll() is not None or time.monotonic() > deadline:
                    cls.tearDownClass()
                    raise RuntimeError(f"the Prefect API did not start; see {cls.server_log.name}")
                time.sleep(0.5)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.server.terminate()
        try:
            cls.server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            cls.server.kill()
        cls.server_log.close()
        shutil.rmtree(cls.home, ignore_errors=True)

    def start_run(self, document, confidence):
        path = os.path.join(self.home, f"run-{self.id().split('.')[-1]}.log")
        log = open(path, "w")
        self.addCleanup(log.close)
        process = subprocess.Popen([os.path.join(VENV, "bin", "python"), self.flow_file, document, str(confidence)],
                                   env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: process.poll() is None and process.kill())
        return process, path

    def finish(self, run):
        process, path = run
        try:
            process.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail(f"the flow run did not finish; its log: {path}")
        log = self.log(path)
        published = [json.loads(line)["published"] for line in log.splitlines() if line.startswith('{"published"')]
        return Outcome(failed=process.returncode != 0, waited="Task run 'wait_for_verdict-" in log,
                       published=published[0] if published else None)

    def waiting(self, run):
        process, path = run
        log = self.log(path)
        return (process.poll() is None and "Task run 'wait_for_verdict-" in log
                and "Task run 'publish-" not in log)

    @staticmethod
    def log(path):
        with open(path) as f:
            return f.read()


if __name__ == "__main__":
    unittest.main()
