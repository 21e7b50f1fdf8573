"""A gunicorn worker killed with SIGKILL between writing a job and counting it on its run: the
other workers' repairs make every run's stored summary equal a recount of its jobs again,
within stale_write_seconds + repair_interval_seconds, with nobody writing to those jobs again."""
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.e2e.conftest import gunicorn_server
from tests.e2e.faults import runs_not_exact_by

RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"
RUNS = [f"{RUN}-{index}" for index in range(4)]
JOBS = [str(job_id) for job_id in range(1, 13)]
DYING = ("3", "7", "11")  # their `pass` kills the worker after the job write
STALE_SECONDS, INTERVAL_SECONDS = 3, 1
BOUND = STALE_SECONDS + INTERVAL_SECONDS


def lifecycle(url, run, job_id):
    """teuthology's writes of one job; returns how the final PUT ended."""
    base = f"{url}/runs/{run}/jobs/"
    assert requests.post(base, json={"job_id": job_id, "status": "queued"},
                         timeout=60).status_code == 200
    assert requests.put(f"{base}{job_id}/", json={"status": "running"},
                        timeout=60).status_code == 200
    try:
        status = requests.put(f"{base}{job_id}/", json={"status": "pass", "success": True},
                              timeout=60).status_code
    except requests.ConnectionError:
        return "killed"
    return status


def test_runs_are_exact_again_after_workers_die_between_the_two_writes(mongo_server_uri):
    env = {"PADDLES_TEST_DIE_ON_PASS": ",".join(DYING),
           "PADDLES_STALE_WRITE_SECONDS": str(STALE_SECONDS),
           "PADDLES_REPAIR_INTERVAL_SECONDS": str(INTERVAL_SECONDS),
           # One request per worker: the kill ends exactly the dying request (a threaded
           # worker's other requests would die with it, unanswered, as in any crash).
           "PADDLES_WORKER_THREADS": "1"}
    with gunicorn_server(mongo_server_uri, "killed", extra_env=env,
                         app="tests.e2e.dying_app:create_app()") as (url, database):
        with ThreadPoolExecutor(max_workers=8) as pool:
            outcomes = list(pool.map(lambda args: lifecycle(url, *args),
                                     [(run, job_id) for run in RUNS for job_id in JOBS]))
        killed_at = time.monotonic()
        assert outcomes.count("killed") == len(RUNS) * len(DYING)
        assert outcomes.count(200) == len(RUNS) * (len(JOBS) - len(DYING))
        # The killed writes reached their jobs; nobody writes those jobs again.
        assert database.jobs.count_documents({"status": "pass"}) == len(RUNS) * len(JOBS)

        # The bound, and time for restarted workers.
        assert runs_not_exact_by(database, RUNS, killed_at + BOUND + 30) == []
        for run in RUNS:
            stored = requests.get(f"{url}/runs/{run}/", timeout=60).json()
            assert (stored["status"], stored["results"]["pass"]) == ("finished pass", len(JOBS))
