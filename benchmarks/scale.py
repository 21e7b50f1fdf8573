"""Do pulpito's pages cost the same in a big database as in a small one? Fill databases of
several sizes directly (the same documents the API would store, written with the importer's
code, at bulk speed), serve each with gunicorn, and measure the scenarios.

A fill is a lab's timeline ending now: one run every RUN_INTERVAL (3 hours: 8 runs and about
800 jobs a day; Sepia schedules about 4,000 jobs a day), each run and its jobs posted when it
was scheduled. So a 1,000,000-job fill spans about 3.4 years, and a period such as the node
job stats' 14 days holds the runs of 14 days at any size."""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import requests

from paddles_mongo.config import load_settings
from paddles_mongo.db import SEQ, Database, create_indexes
from paddles_mongo.domain.nodes import new_node
from paddles_mongo.importer import job_document
from paddles_mongo.services import run_summary
from paddles_mongo.services import runs as run_service
from paddles_mongo.timeformat import utcnow

from .lab import RUN_INTERVAL, Lab

RUNS_PER_BATCH = 20


def fill(database, runs, jobs_per_run, seed=1):
    """Write `runs` runs of about `jobs_per_run` jobs each, the last scheduled now; returns the
    number of jobs. Each run's summary is counted from its jobs, as the importer's recount
    does, and the runs of a batch are written after their jobs.
    The database writes one batch while the next is built: building a job's document here
    costs about half of what the local database spends storing it, and the two overlap on a
    2-core machine.
    (Building the job indexes after the jobs are written costs the local database more: 17.8
    s against 9.4 s for 2,000 jobs.)"""
    hosts = Lab(runs=0).nodes  # every lab has the same test machines
    first = database.take_numbers("nodes", len(hosts))
    database.nodes.insert_many([{**new_node(host, host[:-len(".front.sepia.ceph.com") - 3]),
                                 SEQ: first + number} for number, host in enumerate(hosts)])
    total = 0
    with ThreadPoolExecutor(max_workers=1) as writer:
        writing = None
        for jobs, runs_filled in _batches(runs, jobs_per_run, seed):
            if writing is not None:
                writing.result()
            writing = writer.submit(_write_batch, database, jobs, runs_filled)
            total += len(jobs)
        if writing is not None:
            writing.result()
    return total


def _batches(runs, jobs_per_run, seed):
    """(job documents, run documents) of RUNS_PER_BATCH runs at a time, oldest first."""
    start = utcnow().replace(microsecond=0) - RUN_INTERVAL * runs
    for first in range(0, runs, RUNS_PER_BATCH):
        lab = Lab(seed=seed + first, runs=min(RUNS_PER_BATCH, runs - first),
                  jobs_per_run=jobs_per_run, first_run=first, start=start)
        nodes = set(lab.nodes)
        jobs, runs_filled = [], []
        for run in lab.runs:
            posted = run["scheduled"]
            documents = []
            for job in run["jobs"]:
                wire = {**job, "status": job["final"], "success": job["final"] == "pass",
                        "posted": str(posted), "updated": str(posted), "started": str(posted),
                        "timestamp": job["timestamp"].replace("_", " ")}
                documents.append(job_document(run["name"], wire, nodes))
            # The run as the importer's recount would leave it, counted from the documents
            # just built rather than read back.
            summary = run_summary.summarize_jobs(documents)[run["name"]]
            runs_filled.append({**run_service.new_run(run["name"], posted, "UTC"),
                                **run_summary.stored_summary(summary)})
            jobs.extend(documents)
        yield jobs, runs_filled


def _write_batch(database, jobs, runs):
    database.jobs.insert_many(jobs, ordered=False)
    database.runs.insert_many(runs)


def database_bytes(uri):
    """The database's size on disk: its collections' and indexes' storage (dbStats, which the
    local database answers by reading its collections: no socket timeout)."""
    database = Database(load_settings(path=os.devnull, environ={}, mongo_uri=uri,
                                      mongo_socket_timeout_ms=0))
    try:
        stats = database.db.command("dbStats")
        return int(stats.get("storageSize", 0) + stats.get("indexSize", 0))
    finally:
        database.close()


def resident_mb(pid):
    """A process's resident memory, in MB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return None


def serve(mongo_uri, port):
    env = {**os.environ, "PADDLES_MONGO_URI": mongo_uri, "PADDLES_SERVER_PORT": str(port),
           "PADDLES_WORKER_COUNT": "4", "PADDLES_LOG_LEVEL": "WARNING"}
    config = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "paddles_mongo", "gunicorn_config.py")
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", config,
                             "--access-logfile", "/dev/null", "paddles_mongo:create_app()"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_until_up(url, process):
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            if requests.get(url + "/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        import time
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def prepare(mongo_server, runs, jobs_per_run, reuse=False):
    """A filled database named after its size (filled anew unless `reuse`); returns (uri,
    number of jobs)."""
    uri = f"{mongo_server.rstrip('/')}/scale_{runs}x{jobs_per_run}"
    # No socket timeout: an insert into a big local database can wait past 30 s.
    database = Database(load_settings(path=os.devnull, environ={}, mongo_uri=uri,
                                      mongo_socket_timeout_ms=0))
    try:
        if reuse:
            # Filled by an earlier version: the indexes this one declares (those it has are
            # kept as they are), as an operator's upgrade does (scripts/create-indexes).
            create_indexes(database)
            return uri, database.jobs.estimated_document_count()
        database.client.drop_database(database.db.name)
        create_indexes(database)
        return uri, fill(database, runs, jobs_per_run)
    finally:
        database.close()
