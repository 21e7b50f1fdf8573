"""The summary a run keeps is moved by each job write (services.run_summary.job_write_update); after any
sequence of creations, updates and deletions it must equal a count of the run's jobs."""
import random

import pytest

from paddles_mongo.domain.runs import JOB_STATUSES
from paddles_mongo.exceptions import InvalidInput
from paddles_mongo.services import jobs, run_summary
from paddles_mongo.timeformat import utcnow
from tests.conftest import FIRST_OF_MISSING

RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"
SHA1S = ("aaa", "bbb", "$ccc", "d.d", None)
FLAVORS = ("default", "crimson", None)


def assert_matches_a_recount(database, step):
    stored = database.runs.find_one({"name": RUN})
    counted = run_summary.summarize_runs(database, [RUN])[RUN]
    assert not run_summary.summary_differs(stored, counted), (step, stored, counted)


def random_fields(rng):
    fields = {"status": rng.choice(JOB_STATUSES)}
    if rng.random() < 0.7:
        fields["sha1"] = rng.choice(SHA1S)
    if rng.random() < 0.5:
        fields["flavor"] = rng.choice(FLAVORS)
    if rng.random() < 0.3:
        fields["priority"] = rng.randint(1, 100)
    return fields


@FIRST_OF_MISSING
@pytest.mark.parametrize("seed", range(3))
def test_any_sequence_of_job_writes_keeps_the_run_summary_exact(database, settings, seed):
    rng = random.Random(seed)
    existing = set()
    for step in range(120):
        action = rng.random()
        if action < 0.45 or not existing:
            job_id = str(rng.randint(1, 40))
            try:
                jobs.create_job(database, settings, RUN, {"job_id": job_id, **random_fields(rng)},
                                utcnow())
                existing.add(job_id)
            except InvalidInput:
                assert job_id in existing  # already exists
        elif action < 0.85:
            job_id = rng.choice(sorted(existing))
            jobs.update_job(database, RUN, job_id, random_fields(rng), utcnow())
        else:
            job_id = rng.choice(sorted(existing))
            jobs.delete_job(database, RUN, job_id, utcnow())
            existing.discard(job_id)
        assert_matches_a_recount(database, step)


def test_values_no_job_holds_any_more_leave_the_run(database, settings):
    jobs.create_job(database, settings, RUN, {"job_id": "1", "sha1": "old"}, utcnow())
    jobs.create_job(database, settings, RUN, {"job_id": "2", "sha1": "old"}, utcnow())
    jobs.update_job(database, RUN, "1", {"sha1": "new"}, utcnow())
    assert sorted(database.runs.find_one({"name": RUN})["sha1s"]) == ["new", "old"]
    jobs.delete_job(database, RUN, "2", utcnow())
    run = database.runs.find_one({"name": RUN})
    assert run["sha1s"] == ["new"]
    assert run["sha1_counts"] == [{"value": "new", "count": 1}]
    assert (run["first_job_id"], run["sha1"]) == ("1", "new")


def test_a_run_emptied_of_jobs_is_empty_again(database, settings):
    jobs.create_job(database, settings, RUN, {"job_id": "1", "status": "running", "sha1": "a",
                                              "priority": 5}, utcnow())
    jobs.delete_job(database, RUN, "1", utcnow())
    run = database.runs.find_one({"name": RUN})
    assert run["status"] == "empty"
    assert run["results"]["total"] == 0
    assert (run["first_job_id"], run["sha1"], run["priority"], run["sha1s"]) == (
        None, None, None, [])
