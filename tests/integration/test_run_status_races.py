"""The stored run status under an interleaving that concurrent tests hit only by luck: a writer
whose count is overtaken by another writer's complete update must not store its stale count."""
from paddles_mongo.domain.runs import derive_run_status
from paddles_mongo.services import jobs, runs
from paddles_mongo.timeformat import utcnow

RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"


def stored_and_fresh(database):
    summary = runs.summarize_runs(database, [RUN])[RUN]
    return database.runs.find_one({"name": RUN})["status"], derive_run_status(summary)


def test_a_count_overtaken_by_another_writer_is_taken_again(database, settings, monkeypatch):
    for job_id in ("1", "2"):
        jobs.create_job(database, settings, RUN, {"job_id": job_id, "status": "queued"}, utcnow())
    count_for_real = runs.summarize_runs
    overtaken = []

    def count_then_let_another_writer_finish(db, names):
        summary = count_for_real(db, names)
        if not overtaken:
            overtaken.append(True)
            # Writer B moves job 2 and stores the run status, all before writer A writes.
            jobs.update_job(db, RUN, "2", {"status": "running"}, utcnow())
        return summary

    monkeypatch.setattr(runs, "summarize_runs", count_then_let_another_writer_finish)
    jobs.update_job(database, RUN, "1", {"status": "pass"}, utcnow())  # writer A
    stored, fresh = stored_and_fresh(database)
    assert fresh == "running"
    assert stored == fresh


def test_a_job_write_overtaken_by_another_write_of_the_same_job_is_replanned(
        database, settings, monkeypatch):
    """`pass` is sticky against `status`: a `dead` planned on a stale read of a job that another
    writer has just passed must not land."""
    jobs.create_job(database, settings, RUN, {"job_id": "1", "status": "running"}, utcnow())
    update_for_real = database.jobs.update_one
    overtaken = []

    def another_writer_first(filter, update, *args, **kwargs):
        if not overtaken:
            overtaken.append(True)
            update_for_real({"run": RUN, "job_id": "1"},
                            {"$set": {"status": "pass", "success": True}, "$inc": {"rev": 1}})
        return update_for_real(filter, update, *args, **kwargs)

    monkeypatch.setattr(database.jobs, "update_one", another_writer_first)
    jobs.update_job(database, RUN, "1", {"status": "dead"}, utcnow())
    assert database.jobs.find_one({"run": RUN, "job_id": "1"})["status"] == "pass"
