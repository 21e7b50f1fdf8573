"""The benchmarks' loader against paddles-mongo under gunicorn: a lab reported in batches of
jobs (the server takes them) ends as the same lab reported job by job."""
from datetime import datetime

import requests

from benchmarks.lab import Lab
from benchmarks.load import lab_reports, load_lab, takes_batches
from paddles_mongo.services import run_summary

JOB_FIELDS = ("status", "success", "duration", "failure_reason", "priority", "description",
              "targets", "started")


def lab(start):
    """The same runs and jobs whatever `start`, but for their names and dates."""
    return Lab(seed=5, runs=5, jobs_per_run=8, big_run_jobs=30, nodes=6, start=start)


def loaded(url, run):
    jobs = requests.get(f"{url}/runs/{run['name']}/jobs/", timeout=60).json()
    return {job["job_id"]: {field: job[field] is not None if field == "started" else job[field]
                            for field in JOB_FIELDS} for job in jobs}


def test_a_lab_loaded_in_batches_ends_as_one_loaded_job_by_job(server):
    url, database = server
    batched, single = lab(datetime(2026, 2, 1)), lab(datetime(2026, 3, 1))
    assert takes_batches(requests.Session(), url, batched.runs[0])
    load_lab(url, batched, concurrency=4, lifecycle=True)  # batches: the server takes them
    load_lab(url, single, concurrency=4, lifecycle=True, batches=False)
    for (run, jobs), (twin, _) in zip(lab_reports(batched), lab_reports(single)):
        assert loaded(url, run) == loaded(url, twin)
        assert {job_id: job["status"] for job_id, job in loaded(url, run).items()} == {
            job["job_id"]: final for job, final in jobs}
        ours, theirs = (requests.get(f"{url}/runs/{r['name']}/", timeout=60).json()
                        for r in (run, twin))
        assert (ours["status"], ours["results"]) == (theirs["status"], theirs["results"])
        stored = database.runs.find_one({"name": run["name"]})
        assert stored["pending"] == []
        counted = run_summary.summarize_runs(database, [run["name"]])[run["name"]]
        assert run_summary.summary_changes(stored, counted) == {}
