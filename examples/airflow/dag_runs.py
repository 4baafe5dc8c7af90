"""Runs loupe_review_dag.py with Airflow's test runner, `dag.test()`, once per line of run conf
(JSON) read on stdin, all in one process, for test_dag.py. Airflow starts its in-process
execution API on the first run (some twenty seconds on a small machine) and reuses it after,
where a process per run would pay that every time.

After each run it appends `{"document": ..., "state": ...}` to the file named by its argument.
Run it with the Python of Airflow's virtualenv, AIRFLOW_HOME and AIRFLOW__CORE__DAGS_FOLDER set:

    python dag_runs.py RESULTS_FILE < confs
"""

import importlib.util
import json
import os
import sys


def main():
    dags = os.environ["AIRFLOW__CORE__DAGS_FOLDER"]
    sys.path.insert(0, dags)  # as Airflow does, so the DAG finds loupe_client.py beside it
    spec = importlib.util.spec_from_file_location("loupe_review_dag", os.path.join(dags, "loupe_review_dag.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for line in sys.stdin:
        conf = json.loads(line)
        run = module.summarize_with_review_dag.test(run_conf=conf)
        with open(sys.argv[1], "a") as results:
            results.write(json.dumps({"document": conf["document"], "state": str(getattr(run.state, "value", run.state))}) + "\n")


if __name__ == "__main__":
    main()
