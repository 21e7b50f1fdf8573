"""The database killed with SIGKILL while eight teuthology-like clients report jobs to a
4-worker gunicorn, then restarted on the same data: no request answers 500, every write the
service acknowledged is still there, and every run's stored summary is exact again within
stale_write_seconds + repair_interval_seconds. Acknowledged means durable: the local database
syncs its journal at every commit and the service asks for journaled writes."""
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.e2e.conftest import gunicorn_server
from tests.e2e.faults import LocalDatabase, runs_not_exact_by

RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"
RUNS = [f"{RUN}-{index}" for index in range(6)]
JOBS = [str(job_id) for job_id in range(1, 13)]
KILL_AFTER = len(RUNS) * len(JOBS)  # acknowledged writes, of three per job
STALE_SECONDS, INTERVAL_SECONDS = 3, 1
TRIES = 10  # as teuthology's reporter: a failed request is tried ten times at most


def outcome(job_id):
    return "pass" if int(job_id) % 3 else "fail"


class Writes:
    """What the clients were answered: every answer, and each job's last acknowledged status.
    `enough` is set once KILL_AFTER writes were acknowledged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.answers = Counter()
        self.acknowledged = {}
        self.acknowledged_count = 0
        self.enough = threading.Event()

    def answered(self, answer):
        with self.lock:
            self.answers[answer] += 1

    def acknowledge(self, run, job_id, status, response):
        assert response.status_code == 200, (run, job_id, status, response.text)
        with self.lock:
            self.acknowledged[(run, job_id)] = status
            self.acknowledged_count += 1
            if self.acknowledged_count >= KILL_AFTER:
                self.enough.set()


def send(session, writes, method, url, body):
    """One write as teuthology sends it: tried again, after a growing pause, on a 503 or a
    connection error; anything else is its answer."""
    for attempt in range(TRIES):
        try:
            response = session.request(method, url, json=body, timeout=60)
        except requests.ConnectionError:
            writes.answered("connection error")
        else:
            writes.answered(response.status_code)
            if response.status_code != 503:
                return response
        time.sleep(0.5 * (attempt + 1))  # teuthology's pause between tries
    raise AssertionError(f"{method} {url}: no answer but 503 in {TRIES} tries")


def report_job(url, writes, run, job_id):
    """teuthology's writes of one job: POST queued (PUT on `already exists`: a retried POST
    whose first try was written), PUT running, PUT the outcome."""
    session = requests.Session()
    base = f"{url}/runs/{run}/jobs/"
    queued = {"job_id": job_id, "status": "queued"}
    response = send(session, writes, "POST", base, queued)
    if response.status_code == 400 and response.json()["message"].endswith("already exists"):
        response = send(session, writes, "PUT", f"{base}{job_id}/", queued)
    writes.acknowledge(run, job_id, "queued", response)
    for status in ("running", outcome(job_id)):
        body = {"status": status, **({} if status == "running" else {"success": status == "pass"})}
        writes.acknowledge(run, job_id, status,
                           send(session, writes, "PUT", f"{base}{job_id}/", body))


def test_acknowledged_writes_survive_the_database_killed():
    env = {"PADDLES_STALE_WRITE_SECONDS": str(STALE_SECONDS),
           "PADDLES_REPAIR_INTERVAL_SECONDS": str(INTERVAL_SECONDS),
           "PADDLES_MONGO_SERVER_SELECTION_TIMEOUT_MS": "500"}
    writes = Writes()
    with LocalDatabase() as local, \
            gunicorn_server(local.server_uri, "killed", extra_env=env) as (url, database):
        with ThreadPoolExecutor(max_workers=8) as pool:
            clients = [pool.submit(report_job, url, writes, run, job_id)
                       for job_id in JOBS for run in RUNS]
            assert writes.enough.wait(timeout=60)
            local.kill()
            local.start()
            for client in clients:
                client.result()  # every job reported in full, each write acknowledged
        finished_at = time.monotonic()

        assert writes.answers[503] > 0  # the clients met the crash
        assert set(writes.answers) <= {200, 400, 503, "connection error"}
        stored = {(job["run"], job["job_id"]): job["status"]
                  for job in database.jobs.find({"run": {"$in": RUNS}})}
        assert stored == writes.acknowledged
        assert set(stored.values()) == {"pass", "fail"}

        bound = STALE_SECONDS + INTERVAL_SECONDS
        assert runs_not_exact_by(database, RUNS, finished_at + bound + 30) == []
        for run in RUNS:
            results = requests.get(f"{url}/runs/{run}/", timeout=60).json()["results"]
            assert (results["pass"], results["fail"]) == (
                sum(outcome(job_id) == "pass" for job_id in JOBS),
                sum(outcome(job_id) == "fail" for job_id in JOBS))
