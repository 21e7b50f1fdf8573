"""The lab's questions under many writers against 4 gunicorn workers: every answer read while
jobs change is a 200, and once the writers are done each answer is what the jobs say."""
import random
from collections import Counter
from urllib.parse import quote, urlencode

import requests

from paddles_mongo.domain.lab_questions import failure_signature
from tests.e2e.conftest import run_together

SUITE = "rados"
RUNS = [f"teuthology-2024-06-{day:02d}_00:00:00-rados-main-distro-default-smithi"
        for day in (1, 2, 3)]
DESCRIPTIONS = [f"rados/thrash/{{case-{number}}}" for number in range(10)]
REASONS = ("Command failed on smithi{:03d} with status {}", "hit max job timeout",
           "SELinux denials found on ubuntu@smithi{:03d}.front.sepia.ceph.com")


def get(url, path, **query):
    response = requests.get(f"{url}{path}?{urlencode(query)}", timeout=60)
    assert response.status_code == 200, (path, response.status_code, response.text)
    return response.json()


def final_write(rng):
    status = rng.choice(("pass", "pass", "fail", "dead"))
    body = {"status": status}
    if status != "pass":
        body["failure_reason"] = rng.choice(REASONS).format(rng.randint(1, 200), rng.randint(1, 9))
    return body


def test_answers_stay_exact_under_concurrent_writers(server):
    url, database = server
    for run in RUNS:
        for description in DESCRIPTIONS:
            response = requests.post(f"{url}/runs/{run}/jobs/", json={
                "status": "queued", "description": description, "suite": SUITE,
                "branch": "main", "machine_type": "smithi", "name": run}, timeout=60)
            assert response.status_code == 200, response.text
    jobs = [(job["run"], job["job_id"]) for job in database.jobs.find({}, {"run": 1, "job_id": 1})]
    rng = random.Random(20261204)
    plans = {job: [{"status": "running"}, final_write(rng)] for job in jobs}

    def writer(share):
        def write():
            for run, job_id in share:
                for body in plans[(run, job_id)]:
                    response = requests.put(f"{url}/runs/{run}/jobs/{job_id}/", json=body,
                                            timeout=60)
                    assert response.status_code == 200, response.text
        return write

    def reader():
        for _ in range(3):
            get(url, "/tests/flaky/", suite=SUITE, min_jobs=2)
            get(url, "/failures/")
            get(url, f"/runs/{quote(RUNS[2])}/compare/")
            get(url, "/tests/history/", suite=SUITE, description=DESCRIPTIONS[0])
            get(url, "/trends/", suite=SUITE, days=3000)

    shares = [jobs[index::12] for index in range(12)]
    run_together([writer(share) for share in shares] + [reader] * 4, workers=16)

    stored = list(database.jobs.find({}, {"run": 1, "job_id": 1, "description": 1,
                                          "status": 1, "failure_reason": 1, "posted": 1}))
    stored.sort(key=lambda job: (job["posted"], job["_id"]))
    # a test's history: its three jobs, newest first
    history = get(url, "/tests/history/", suite=SUITE, description=DESCRIPTIONS[0])
    assert [(job["run"], job["status"]) for job in history] == [
        (job["run"], job["status"]) for job in reversed(stored)
        if job["description"] == DESCRIPTIONS[0]]
    # failures: every failed or dead job, by signature
    expected = Counter(failure_signature(job.get("failure_reason")) for job in stored
                       if job["status"] in ("fail", "dead"))
    assert {group["signature"]: group["jobs"] for group in get(url, "/failures/")} == expected
    # flaky tests: those whose three outcomes both passed and did not
    outcomes = {}
    for job in stored:
        outcomes.setdefault(job["description"], []).append(job["status"] == "pass")
    flaky = {description for description, passed in outcomes.items()
             if any(passed) and not all(passed)}
    assert {test["description"] for test in get(url, "/tests/flaky/", suite=SUITE,
                                                 min_jobs=2)} == flaky
    # the newest run against the one before it
    status = {(job["run"], job["description"]): job["status"] for job in stored}
    answer = get(url, f"/runs/{quote(RUNS[2])}/compare/")
    assert answer["baseline"] == RUNS[1] and answer["counts"]["pending"] == 0
    assert {entry["description"] for entry in answer["regressions"]} == {
        description for description in DESCRIPTIONS
        if status[(RUNS[1], description)] == "pass"
        and status[(RUNS[2], description)] in ("fail", "dead")}
    # trends: each run's counted results
    days = {day["date"]: day for day in get(url, "/trends/", suite=SUITE, days=3000)
            if day["runs"]}
    assert sorted(days) == ["2024-06-01", "2024-06-02", "2024-06-03"]
    for run, date in zip(RUNS, sorted(days)):
        counts = Counter(job["status"] for job in stored if job["run"] == run)
        assert (days[date]["pass"], days[date]["fail"], days[date]["dead"]) == (
            counts["pass"], counts["fail"], counts["dead"])
