"""What a run keeps of its jobs, under interleavings that concurrent tests hit only by luck:
each test stops one writer between two of its commands and lets another writer act there."""
from paddles_mongo.services import jobs, run_summary
from paddles_mongo.timeformat import utcnow

RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"


def stored(database):
    return database.runs.find_one({"name": RUN})


def assert_summary_exact(database):
    recounted = run_summary.summarize_runs(database, [RUN])[RUN]
    assert not run_summary.summary_differs(stored(database), recounted)


def post(database, settings, job_id, **fields):
    jobs.create_job(database, settings, RUN, {"job_id": job_id, **fields}, utcnow())


def test_a_run_update_overtaken_by_another_writers_whole_write_counts_both(
        database, settings, monkeypatch):
    for job_id in ("1", "2"):
        post(database, settings, job_id, status="queued")
    finish_for_real = run_summary._finish
    overtaken = []

    def let_another_writer_finish_first(*args, **kwargs):
        if not overtaken:
            overtaken.append(True)
            # Writer B moves job 2 and updates the run, all before writer A updates it.
            jobs.update_job(database, RUN, "2", {"status": "running"}, utcnow())
        return finish_for_real(*args, **kwargs)

    monkeypatch.setattr(run_summary, "_finish", let_another_writer_finish_first)
    jobs.update_job(database, RUN, "1", {"status": "pass", "success": True}, utcnow())  # A
    run = stored(database)
    assert run["results"]["pass"] == run["results"]["running"] == 1
    assert run["status"] == "running"
    assert_summary_exact(database)


def test_a_job_write_overtaken_by_another_write_of_the_same_job_is_replanned(
        database, settings, monkeypatch):
    """`pass` is sticky against `status`: a `dead` planned on a stale read of a job that another
    writer has just passed must not land, nor be counted."""
    post(database, settings, "1", status="running")
    update_for_real = database.jobs.update_one
    overtaken = []

    def another_writer_first(filter, update, *args, **kwargs):
        if not overtaken:
            overtaken.append(True)
            jobs.update_job(database, RUN, "1", {"status": "pass", "success": True}, utcnow())
        return update_for_real(filter, update, *args, **kwargs)

    monkeypatch.setattr(database.jobs, "update_one", another_writer_first)
    jobs.update_job(database, RUN, "1", {"status": "dead"}, utcnow())
    assert database.jobs.find_one({"run": RUN, "job_id": "1"})["status"] == "pass"
    monkeypatch.undo()
    assert stored(database)["results"]["pass"] == 1
    assert stored(database)["results"]["dead"] == 0
    assert_summary_exact(database)


def test_deleting_the_first_job_while_an_earlier_job_is_created_ends_on_the_earliest(
        database, settings, monkeypatch):
    post(database, settings, "1", status="queued", sha1="first")
    post(database, settings, "3", status="queued", sha1="third")
    find_for_real = database.jobs.find_one
    raced = []

    def create_an_earlier_job_after_the_first_is_read(*args, **kwargs):
        first = find_for_real(*args, **kwargs)
        if not raced and kwargs.get("sort"):
            raced.append(True)
            # Job 2 is created after the deleter of job 1 read job 3 as the new first job; it
            # is counted on the run while job 1 is still stored as first, so it is not first.
            post(database, settings, "2", status="queued", sha1="second")
        return first

    monkeypatch.setattr(database.jobs, "find_one", create_an_earlier_job_after_the_first_is_read)
    jobs.delete_job(database, RUN, "1", utcnow())
    run = stored(database)
    assert (run["first_job_id"], run["sha1"]) == ("2", "second")
    assert sorted(run["sha1s"]) == ["second", "third"]
    assert_summary_exact(database)


def test_deleting_the_first_two_jobs_at_once_ends_on_the_third(database, settings, monkeypatch):
    for job_id in ("1", "2", "3"):
        post(database, settings, job_id, status="queued", priority=int(job_id))
    find_for_real = database.jobs.find_one
    raced = []

    def delete_job_2_after_job_2_is_read_as_first(*args, **kwargs):
        first = find_for_real(*args, **kwargs)
        if not raced and kwargs.get("sort"):
            raced.append(True)
            jobs.delete_job(database, RUN, "2", utcnow())  # the other deleter, from start to end
        return first

    monkeypatch.setattr(database.jobs, "find_one", delete_job_2_after_job_2_is_read_as_first)
    jobs.delete_job(database, RUN, "1", utcnow())
    run = stored(database)
    assert (run["first_job_id"], run["priority"]) == ("3", 3)
    assert run["results"]["total"] == 1
    assert_summary_exact(database)


def test_a_recount_overtaken_by_a_job_write_counts_again(database, settings, monkeypatch):
    post(database, settings, "1", status="queued")
    post(database, settings, "2", status="queued")
    # An edit behind the API that only a recount finds.
    database.jobs.update_one({"run": RUN, "job_id": "1"}, {"$set": {"status": "fail"}})
    summarize_for_real = run_summary.summarize_runs
    overtaken = []

    def a_job_write_after_the_count(db, names):
        summary = summarize_for_real(db, names)
        if not overtaken:
            overtaken.append(True)
            jobs.update_job(database, RUN, "2", {"status": "running"}, utcnow())
        return summary

    monkeypatch.setattr(run_summary, "summarize_runs", a_job_write_after_the_count)
    assert run_summary.refresh_run(database, RUN)
    monkeypatch.undo()
    run = stored(database)
    assert (run["results"]["fail"], run["results"]["running"], run["status"]) == (1, 1, "running")
    assert_summary_exact(database)
