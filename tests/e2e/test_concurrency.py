"""Many writers at once against 4 gunicorn workers: duplicates are impossible and run results
and status always equal a fresh count of the jobs, with batches of jobs among the writers."""
import random
from collections import Counter

import requests

from paddles_mongo.domain.runs import RESULT_STATUSES, derive_run_status
from paddles_mongo.services import run_summary
from tests.e2e.conftest import run_together

RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"


def report_job(url, run, job):
    """teuthology's ResultsReporter.report_job: POST; on 'already exists', PUT the same body."""
    response = requests.post(f"{url}/runs/{run}/jobs/", json=job, timeout=60)
    if response.status_code == 200:
        return response
    assert response.json()["message"].endswith("already exists"), response.text
    return requests.put(f"{url}/runs/{run}/jobs/{job['job_id']}/", json=job, timeout=60)


def fresh_results(database, run):
    counts = Counter(job.get("status") or "unknown" for job in database.jobs.find({"run": run}))
    results = {status: counts.get(status, 0) for status in RESULT_STATUSES}
    results["total"] = sum(counts.values())
    return results


def test_concurrent_reporters_leave_exactly_one_job_per_id(server):
    url, database = server
    run = RUN + "-race"
    tasks = [lambda job_id=job_id, reporter=reporter: report_job(
                 url, run, {"job_id": str(job_id), "name": run, "status": "running",
                            "description": f"reporter {reporter}"})
             for job_id in range(1, 10) for reporter in range(4)]
    responses = run_together(tasks, workers=len(tasks))
    assert [r.status_code for r in responses] == [200] * 36
    assert sorted(j["job_id"] for j in database.jobs.find({"run": run})) == [str(i) for i in range(1, 10)]
    listed = requests.get(f"{url}/runs/{run}/jobs/").json()
    assert len(listed) == 9
    for job in listed:
        single = requests.get(f"{url}/runs/{run}/jobs/{job['job_id']}/").json()
        assert single["status"] == job["status"] == "running"


def test_concurrent_status_writers_keep_run_results_exact(server):
    url, database = server
    run = RUN + "-statuses"
    job_ids = [str(i) for i in range(1, 33)]
    for job_id in job_ids:
        assert requests.post(f"{url}/runs/{run}/jobs/",
                             json={"job_id": job_id, "status": "queued"}).status_code == 200
    rng = random.Random(20261128)
    lifecycles = {job_id: ["running", "waiting", "running"] + [rng.choice(["pass", "fail", "dead"])]
                  for job_id in job_ids}

    def writer(my_jobs):
        def write():
            codes = []
            for step in range(4):
                for job_id in my_jobs:
                    body = {"job_id": job_id, "status": lifecycles[job_id][step]}
                    codes.append(requests.put(f"{url}/runs/{run}/jobs/{job_id}/", json=body,
                                              timeout=60).status_code)
            return codes
        return write

    writers = [writer(job_ids[i::8]) for i in range(8)]
    for codes in run_together(writers, workers=8):
        assert set(codes) == {200}

    expected = fresh_results(database, run)
    assert expected["total"] == 32
    assert expected["queued"] == expected["running"] == expected["waiting"] == 0
    body = requests.get(f"{url}/runs/{run}/").json()
    assert {key: body["results"][key] for key in expected} == expected
    assert body["status"] == derive_run_status(expected)
    assert database.runs.find_one({"name": run})["status"] == derive_run_status(expected)


def test_simultaneous_status_changes_never_leave_a_stale_run_status(server):
    """Rounds of 8 PUTs released together, each moving a different job: after every round the
    stored status (what /runs/status/ filters on) equals the status of a fresh count."""
    url, database = server
    run = RUN + "-rounds"
    for job_id in range(8):
        requests.post(f"{url}/runs/{run}/jobs/", json={"job_id": str(job_id), "status": "queued"})
    rng = random.Random(42)
    statuses = ["queued", "running", "waiting", "pass", "fail", "dead", "unknown"]
    for round_number in range(15):
        targets = [rng.choice(statuses) for _ in range(8)]
        tasks = [lambda job_id=job_id, status=status: requests.put(
                     f"{url}/runs/{run}/jobs/{job_id}/", json={"success": None}
                     if status == "unknown" else {"success": status == "pass"}
                     if status in ("pass", "fail") else {"status": status})
                 for job_id, status in enumerate(targets)]
        assert [r.status_code for r in run_together(tasks, workers=8)] == [200] * 8
        expected = fresh_results(database, run)
        stored = database.runs.find_one({"name": run})["status"]
        assert stored == derive_run_status(expected), f"round {round_number}"


def test_interleaved_creates_updates_and_deletes_leave_the_stored_status_exact(server):
    url, database = server
    run = RUN + "-mixed"
    rng = random.Random(7)

    def writer(index):
        def write():
            for step in range(12):
                job_id = str(rng.randrange(1, 7) + 10 * index)
                action = rng.choice(["post", "put", "put", "delete"])
                status = rng.choice(["queued", "running", "waiting", "pass", "fail", "dead"])
                if action == "post":
                    report_job(url, run, {"job_id": job_id, "status": status})
                elif action == "put":
                    requests.put(f"{url}/runs/{run}/jobs/{job_id}/", json={"status": status})
                else:
                    requests.delete(f"{url}/runs/{run}/jobs/{job_id}/")
        return write

    requests.post(f"{url}/runs/", json={"name": run})
    run_together([writer(i) for i in range(8)], workers=8)
    expected = fresh_results(database, run)
    assert database.runs.find_one({"name": run})["status"] == derive_run_status(expected)
    body = requests.get(f"{url}/runs/{run}/").json()
    assert {key: body["results"][key] for key in expected} == expected


def test_batches_against_single_writers_of_the_same_jobs_keep_the_run_exact(server):
    """Batches of every job of a run (POST with an array: created or updated, each as a POST
    then a PUT) race single PUTs and POSTs of the same jobs on 4 workers: every write
    succeeds, and the run's summary equals a fresh count of its jobs."""
    url, database = server
    run = RUN + "-batches"
    job_ids = [str(i) for i in range(1, 41)]
    rng = random.Random(2026)
    statuses = ["queued", "running", "waiting", "pass", "fail", "dead"]
    batches = [[{"job_id": job_id, "status": rng.choice(statuses), "sha1": f"s{batch % 3}",
                 "flavor": "default", "priority": rng.randrange(100)} for job_id in job_ids]
               for batch in range(12)]

    def batch_writer(mine):
        def write():
            outcomes = []
            for items in mine:
                response = requests.post(f"{url}/runs/{run}/jobs/", json=items, timeout=120)
                assert response.status_code == 200, response.text
                outcomes.extend(response.json())
            return outcomes
        return write

    def single_writer(index):
        def write():
            outcomes = []
            for step in range(12):
                job_id = job_ids[(index * 7 + step * 3) % len(job_ids)]
                body = {"job_id": job_id, "status": statuses[(index + step) % len(statuses)],
                        "sha1": "single", "flavor": "default"}
                outcomes.append({"job_id": job_id,
                                 "status": report_job(url, run, body).status_code})
            return outcomes
        return write

    writers = ([batch_writer(batches[i::4]) for i in range(4)]
               + [single_writer(i) for i in range(4)])
    for outcomes in run_together(writers, workers=len(writers)):
        assert {outcome["status"] for outcome in outcomes} == {200}, outcomes

    assert sorted(job["job_id"] for job in database.jobs.find({"run": run})) == sorted(job_ids)
    stored = database.runs.find_one({"name": run})
    assert stored["pending"] == []
    expected = fresh_results(database, run)
    assert expected["total"] == len(job_ids)
    assert {key: stored["results"][key] for key in expected} == expected
    counted = run_summary.summarize_runs(database, [run])[run]
    assert run_summary.summary_changes(stored, counted) == {}
