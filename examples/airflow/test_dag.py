"""Runs loupe_review_dag.py with Airflow's own test runner (`dag.test()`) against a real, running
Loupe (scripts/test.sh starts one), through the review cases of examples/python/pipeline_cases.py.

The runs are made by dag_runs.py, one process in Airflow's virtual environment (LOUPE_AIRFLOW_VENV,
made by scripts/setup.sh) that calls `dag.test()` for each run conf this test sends it, in a
temporary AIRFLOW_HOME with its default SQLite metadata database; a run's outcome (each task's
state, what `publish` returned) is read from that database.

    python3 -m unittest -v examples/airflow/test_dag.py
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
from pipeline_cases import RUN_TIMEOUT, RUNNING, URL, Outcome, PipelineCases  # noqa: E402

VENV = os.environ.get("LOUPE_AIRFLOW_VENV", "")


@unittest.skipUnless(RUNNING and os.path.isfile(os.path.join(VENV, "bin", "airflow")),
                     "needs a running Loupe (see pipeline_cases.py) and Airflow (LOUPE_AIRFLOW_VENV)")
class DagRunTest(PipelineCases, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The DAG folder as a user deploys it: the DAG with loupe_client.py beside it.
        cls.home = tempfile.mkdtemp(prefix="loupe-airflow-")
        dags = os.path.join(cls.home, "dags")
        os.mkdir(dags)
        shutil.copy(os.path.join(HERE, "loupe_review_dag.py"), dags)
        shutil.copy(os.path.join(HERE, "..", "python", "loupe_client.py"), dags)
        cls.env = {
            **os.environ,
            "AIRFLOW_HOME": cls.home,
            "AIRFLOW__CORE__DAGS_FOLDER": dags,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            # The Variables, from the environment.
            "AIRFLOW_VAR_LOUPE_URL": URL,
            "AIRFLOW_VAR_LOUPE_TOKEN": os.environ["LOUPE_TOKEN"],
            "LOUPE_POKE_SECONDS": "1",
        }
        subprocess.run([os.path.join(VENV, "bin", "airflow"), "db", "migrate"], env=cls.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        cls.results = os.path.join(cls.home, "results.jsonl")
        cls.log = os.path.join(cls.home, "runs.log")
        with open(cls.log, "w") as log:
            cls.runner = subprocess.Popen(
                [os.path.join(VENV, "bin", "python"), os.path.join(HERE, "dag_runs.py"), cls.results],
                env=cls.env, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, text=True)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.runner.stdin.close()
        try:
            cls.runner.wait(timeout=30)
        except subprocess.TimeoutExpired:
            cls.runner.kill()
        shutil.rmtree(cls.home, ignore_errors=True)

    def start_run(self, document, confidence):
        self.runner.stdin.write(json.dumps({"document": document, "confidence": confidence}) + "\n")
        self.runner.stdin.flush()
        return document

    def ended(self, document):
        """True once the runner has finished the run on `document`."""
        if not os.path.exists(self.results):
            return False
        with open(self.results) as results:
            return any(json.loads(line)["document"] == document for line in results)

    def finish(self, document):
        deadline = time.monotonic() + RUN_TIMEOUT
        while not self.ended(document):
            self.assertIsNone(self.runner.poll(), f"the DAG runner stopped; its log: {self.log}")
            self.assertLess(time.monotonic(), deadline, f"the DAG run did not finish; its log: {self.log}")
            time.sleep(0.2)
        run_state, states, published = self.read(document)
        self.assertIn(run_state, ("success", "failed"), f"see {self.log}")
        # The branch: exactly one of the sensor and the skip ran.
        self.assertIn(states["wait_for_verdict"], ("success", "skipped"))
        return Outcome(failed=run_state == "failed" or states["publish"] != "success",
                       waited=states["wait_for_verdict"] == "success", published=published)

    def waiting(self, document):
        _, states, published = self.read(document)
        return (not self.ended(document) and published is None and states.get("publish") is None
                and states.get("wait_for_verdict") in ("up_for_reschedule", "scheduled", "queued", "running"))

    def read(self, document):
        """The run on `document`: its state, each task's state, and what `publish` returned."""
        db = sqlite3.connect(os.path.join(self.home, "airflow.db"))
        try:
            runs = [(run_id, state) for run_id, state, conf in
                    db.execute("select run_id, state, conf from dag_run order by id desc")
                    if document in str(conf)]
            self.assertEqual(len(runs), 1, "the DAG run is not in Airflow's database")
            run_id, run_state = runs[0]
            states = dict(db.execute("select task_id, state from task_instance where run_id = ?", (run_id,)))
            row = db.execute("select value from xcom where run_id = ? and task_id = 'publish' "
                             "and key = 'return_value'", (run_id,)).fetchone()
        finally:
            db.close()
        return run_state, states, None if row is None else json.loads(row[0])


if __name__ == "__main__":
    unittest.main()
