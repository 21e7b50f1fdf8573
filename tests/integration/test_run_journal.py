"""A request that dies between writing a job and counting it on its run leaves a journal entry
on the run (services/run_summary.py); whoever comes next resolves it, and the run's summary is
exact again. Each test stops one writer at the worst moment, the way a killed worker or a lost
database would, and checks the summary against a recount of the jobs."""
from datetime import timedelta

import pytest
from bson import ObjectId
from pymongo.errors import AutoReconnect

from paddles_mongo.exceptions import Unavailable
from paddles_mongo.services import jobs, maintenance, run_summary
from paddles_mongo.timeformat import utcnow
from tests.conftest import FIRST_OF_MISSING, QUERY_POLICIES

RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"
LATER = timedelta(hours=1)  # a `stale_before` that makes every entry stale


class Died(AutoReconnect):
    """What a request sees when its database goes away mid-request."""


def stored(database):
    return database.runs.find_one({"name": RUN})


def assert_summary_exact(database):
    run = stored(database)
    assert run["pending"] == []
    assert not run_summary.summary_differs(run, run_summary.summarize_runs(database, [RUN])[RUN])


def post(database, settings, job_id, **fields):
    jobs.create_job(database, settings, RUN, {"job_id": job_id, **fields}, utcnow())


def interrupted(write):
    """Run a job write that dies midway (die_before_counting or die_before_writing armed)."""
    with pytest.raises(Died):
        write()


def repair(database):
    return run_summary.repair_stale_writes(database, utcnow() + LATER)


@pytest.fixture
def die_before_counting(monkeypatch):
    """The next job write stops after the job is written, before its run counts it."""
    finish_for_real = run_summary._finish
    armed = []

    def arm():
        armed.append(True)

    def finish(database, run_name, entry):
        if armed:
            armed.clear()
            raise Died("connection closed")
        return finish_for_real(database, run_name, entry)

    monkeypatch.setattr(run_summary, "_finish", finish)
    return arm


@pytest.fixture
def die_before_writing(database, monkeypatch):
    """The next job write stops after it is journalled, before the job is written."""
    armed = []
    collection = type(database.jobs)
    for method in ("insert_one", "update_one", "delete_one"):
        for_real = getattr(collection, method)

        def dying(self, *args, _for_real=for_real, **kwargs):
            if armed and self.name == "jobs":
                armed.clear()
                raise Died("connection closed")
            return _for_real(self, *args, **kwargs)

        monkeypatch.setattr(collection, method, dying)
    return lambda: armed.append(True)


def test_an_update_that_died_before_counting_is_counted_by_the_repair(
        database, settings, die_before_counting):
    post(database, settings, "1", status="queued")
    die_before_counting()
    interrupted(lambda: jobs.update_job(database, RUN, "1", {"status": "running"}, utcnow()))
    assert database.jobs.find_one({"job_id": "1"})["status"] == "running"
    assert stored(database)["results"]["queued"] == 1  # not counted yet
    assert repair(database) == 1
    assert stored(database)["results"]["running"] == 1
    assert_summary_exact(database)


def test_the_next_write_of_the_job_counts_a_write_that_died_before_counting(
        database, settings, die_before_counting):
    """teuthology retries a PUT that failed: the retry counts the lost step first."""
    post(database, settings, "1", status="queued")
    die_before_counting()
    interrupted(lambda: jobs.update_job(database, RUN, "1", {"status": "running"}, utcnow()))
    jobs.update_job(database, RUN, "1", {"status": "running"}, utcnow())  # the retry
    jobs.update_job(database, RUN, "1", {"status": "pass", "success": True}, utcnow())
    assert stored(database)["results"]["pass"] == 1
    assert_summary_exact(database)


def test_an_update_that_died_before_writing_the_job_is_dropped(
        database, settings, die_before_writing):
    post(database, settings, "1", status="queued")
    die_before_writing()
    interrupted(lambda: jobs.update_job(database, RUN, "1", {"status": "running"}, utcnow()))
    assert len(stored(database)["pending"]) == 1
    assert repair(database) == 1
    assert stored(database)["results"]["queued"] == 1
    assert_summary_exact(database)


@FIRST_OF_MISSING
def test_a_creation_that_died_before_counting_is_counted(database, settings,
                                                         die_before_counting):
    post(database, settings, "1", status="queued")
    die_before_counting()
    interrupted(lambda: post(database, settings, "2", status="running", sha1="abc"))
    repair(database)
    run = stored(database)
    assert (run["results"]["total"], run["results"]["running"], run["sha1s"]) == (2, 1, ["abc"])
    assert_summary_exact(database)


def test_a_creation_that_died_before_inserting_is_dropped(database, settings,
                                                          die_before_writing):
    post(database, settings, "1", status="queued")
    die_before_writing()
    interrupted(lambda: post(database, settings, "2", status="running"))
    repair(database)
    assert stored(database)["results"]["total"] == 1
    assert_summary_exact(database)


def test_a_deletion_that_died_before_counting_is_counted(database, settings,
                                                         die_before_counting):
    post(database, settings, "1", status="pass", sha1="a")
    post(database, settings, "2", status="fail", sha1="b")
    die_before_counting()
    interrupted(lambda: jobs.delete_job(database, RUN, "2", utcnow()))
    repair(database)
    run = stored(database)
    assert (run["results"]["total"], run["results"]["fail"], run["status"]) == (
        1, 0, "finished pass")
    assert_summary_exact(database)


def test_a_deletion_that_died_before_deleting_is_dropped(database, settings,
                                                         die_before_writing):
    post(database, settings, "1", status="pass")
    die_before_writing()
    interrupted(lambda: jobs.delete_job(database, RUN, "1", utcnow()))
    repair(database)
    assert stored(database)["results"]["total"] == 1
    assert_summary_exact(database)


def test_two_deletions_of_one_job_both_dying_count_it_once(database, settings, monkeypatch):
    post(database, settings, "1", status="pass")
    post(database, settings, "2", status="fail")
    job = database.jobs.find_one({"job_id": "2"})
    change = jobs._change_of(run_summary.DELETE, job)
    # Two deleters journal the deletion of the same job state; one deletes it; both die.
    (first,), _ = run_summary._begin(database, RUN, [change], utcnow())
    run_summary._begin(database, RUN, [change], utcnow())
    assert database.jobs.delete_one({"_id": first["job"]}).deleted_count == 1
    repair(database)
    assert (stored(database)["results"]["total"], stored(database)["results"]["fail"]) == (1, 0)
    assert_summary_exact(database)


def test_a_repair_counts_a_write_whose_successor_is_in_flight(database, settings,
                                                              die_before_counting):
    """Writer A wrote the job and died; writer B read A's result and journalled its own write
    (naming A as prior) but has not yet counted A: the repair counts A."""
    post(database, settings, "1", status="queued")
    die_before_counting()
    interrupted(lambda: jobs.update_job(database, RUN, "1", {"status": "running"}, utcnow()))
    job = database.jobs.find_one({"job_id": "1"})
    successor = jobs._change_of(run_summary.UPDATE, job)
    # B's entry, pushed without its begin counting A (as if B were between the two).
    database.runs.update_one({"name": RUN},
                             {"$push": {"pending": successor.entry(utcnow() + LATER * 2)}})
    database.jobs.update_one({"_id": job["_id"]}, {"$set": {"write_id": "B"}})
    repair(database)
    run = stored(database)
    assert (run["results"]["running"], run["results"]["queued"]) == (1, 0)
    assert [entry["prior"] for entry in run["pending"]] == [job["write_id"]]


def test_entries_younger_than_the_bound_are_left_to_their_writer(database, settings,
                                                                 die_before_counting):
    post(database, settings, "1", status="queued")
    die_before_counting()
    interrupted(lambda: jobs.update_job(database, RUN, "1", {"status": "running"}, utcnow()))
    assert run_summary.repair_stale_writes(database, utcnow() - timedelta(seconds=60)) == 0
    assert len(stored(database)["pending"]) == 1


def test_repairing_twice_counts_once(database, settings, die_before_counting):
    post(database, settings, "1", status="queued")
    die_before_counting()
    interrupted(lambda: jobs.update_job(database, RUN, "1", {"status": "running"}, utcnow()))
    entry = stored(database)["pending"][0]
    assert repair(database) == 1
    run_summary._finish(database, RUN, entry)  # a second repairer, a step behind
    assert stored(database)["results"]["running"] == 1
    assert_summary_exact(database)


def test_a_recount_waits_for_a_write_in_flight(database, settings, die_before_counting,
                                               monkeypatch):
    """refresh_run stores nothing while a job write is journalled and not counted; an entry
    past the bound is resolved first."""
    # The write in flight never ends here: every attempt sees it, however long the pauses
    # between them (about 5 s of sleep in all), so the test does not wait them out.
    monkeypatch.setattr(run_summary, "_pause", lambda attempt: None)
    post(database, settings, "1", status="queued")
    die_before_counting()
    interrupted(lambda: jobs.update_job(database, RUN, "1", {"status": "running"}, utcnow()))
    with pytest.raises(Unavailable):
        run_summary.refresh_run(database, RUN, stale_before=utcnow() - timedelta(seconds=60))
    assert run_summary.refresh_run(database, RUN, stale_before=utcnow() + LATER) == {}
    assert_summary_exact(database)


def test_the_recount_command_resolves_stale_writes(database, settings, die_before_counting):
    post(database, settings, "1", status="queued")
    die_before_counting()
    interrupted(lambda: jobs.update_job(database, RUN, "1", {"status": "fail"}, utcnow()))
    assert maintenance.recount(database, dry_run=True) == {}  # in flight: not judged
    maintenance.recount(database, stale_before=utcnow() + LATER)
    assert stored(database)["status"] == "finished fail"
    assert_summary_exact(database)


def test_expiring_a_job_is_journalled_like_any_write(database, settings, die_before_counting):
    post(database, settings, "1", status="running")
    database.jobs.update_one({"job_id": "1"}, {"$set": {"updated": utcnow() - LATER}})
    die_before_counting()
    interrupted(lambda: maintenance.expire_jobs(database, utcnow(), running_minutes=30,
                                                queued_days=14))
    repair(database)
    assert stored(database)["results"]["dead"] == 1
    assert_summary_exact(database)


@pytest.mark.parametrize("query_policy", QUERY_POLICIES)
def test_jobs_posted_in_the_same_instant_list_in_creation_order(database, settings,
                                                               monkeypatch):
    """ObjectIds made by different processes do not order by creation: the run numbers its
    jobs as they are created."""
    ids = sorted((ObjectId() for _ in range(3)), reverse=True)
    monkeypatch.setattr(jobs, "ObjectId", lambda: ids.pop(0))
    now = utcnow()
    for job_id in ("b", "a", "c"):
        jobs.create_job(database, settings, RUN, {"job_id": job_id}, now)
    assert [job["job_id"] for job in jobs.run_jobs(database, RUN)] == ["c", "a", "b"]


def test_a_creation_whose_run_is_deleted_and_made_again_while_it_journals_goes_to_the_new_run(
        database, settings, monkeypatch):
    """The journal is read back after its update on the local database (update_and_read): a
    run deleted and made again in between holds no entry of this write, which then journals
    on the new run."""
    from paddles_mongo.services import runs
    post(database, settings, "1", status="queued")
    real = database.policy.update_and_read

    def run_made_again_in_between(collection, query, key, update, projection):
        answer = real(collection, query, key, update, projection)
        if first_time:
            first_time.clear()
            database.jobs.delete_many({"run": RUN})
            database.runs.delete_one({"name": RUN})
            runs.ensure_run(database, RUN, utcnow(), "UTC")
            return database.runs.find_one({key: query[key]}, projection)
        return answer

    first_time = [True]
    monkeypatch.setattr(database.policy, "update_and_read", run_made_again_in_between)
    post(database, settings, "2", status="running")
    assert [job["job_id"] for job in database.jobs.find({"run": RUN})] == ["2"]
    assert stored(database)["results"]["total"] == 1
    assert_summary_exact(database)
