"""Runs loupe_review_dag.py with Airflow's own test runner (`dag.test()`) against a real, running
Loupe (scripts/test.sh starts one), through the review cases of examples/python/pipeline_cases.py.

Each run is the DAG file run by the Python of Airflow's virtual environment (LOUPE_AIRFLOW_VENV,
made by scripts/setup.sh), in a temporary AIRFLOW_HOME with its default SQLite metadata database;
the run's outcome (each task's state, what `publish` returned) is read from that database.

    python3 -m unittest -v examples/airflow/test_dag.py
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
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
        cls.dag_file = os.path.join(dags, "loupe_review_dag.py")
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

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.home, ignore_errors=True)

    def start_run(self, document, confidence):
        log = open(os.path.join(self.home, f"run-{self.id().split('.')[-1]}.log"), "w")
        self.addCleanup(log.close)
        conf = json.dumps({"document": document, "confidence": confidence})
        process = subprocess.Popen([os.path.join(VENV, "bin", "python"), self.dag_file, conf],
                                   env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: process.poll() is None and process.kill())
        return process, document, log.name

    def finish(self, run):
        process, document, log = run
        try:
            process.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail(f"the DAG run did not finish; its log: {log}")
        run_state, states, published = self.read(document)
        self.assertIn(run_state, ("success", "failed"), f"see {log}")
        # The branch: exactly one of the sensor and the skip ran.
        self.assertIn(states["wait_for_verdict"], ("success", "skipped"))
        return Outcome(failed=run_state == "failed" or states["publish"] != "success",
                       waited=states["wait_for_verdict"] == "success", published=published)

    def waiting(self, run):
        process, document, _ = run
        _, states, published = self.read(document)
        return (process.poll() is None and published is None and states.get("publish") is None
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
