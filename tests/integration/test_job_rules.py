"""The rule tables through HTTP: §5.3 job status vs. success, §5.4 run status derivation, §5.5
started stamps (job and run); ports of the status tests of §7.3, §7.11 and §7.12."""
from datetime import datetime

import pytest

from tests.integration.support import (assert_time, create_run, get_job, get_run, post_job,
                                        put_job, stored_run_status)


def status_of(client, run, job_id):
    job = get_job(client, run, job_id)
    return job["status"], job["success"]


# --- §5.3: the truth table, one test per row --------------------------------------------------

def test_neither_key_means_unknown(client, run):
    # §7.3 test_null_success_means_null_status
    job_id = post_job(client, run, {"user": "someone"})
    assert status_of(client, run, job_id) == ("unknown", None)


def test_success_true_means_status_pass(client, run):
    job_id = post_job(client, run, {"success": True})
    assert status_of(client, run, job_id) == ("pass", True)


def test_success_false_means_status_fail(client, run):
    job_id = post_job(client, run, {"success": False})
    assert status_of(client, run, job_id) == ("fail", False)


def test_status_dead_means_success_null(client, run):
    job_id = post_job(client, run, {"status": "dead"})
    assert status_of(client, run, job_id) == ("dead", None)


def test_status_dead_success_false_means_status_dead(client, run):
    job_id = post_job(client, run, {"status": "dead", "success": False})
    assert status_of(client, run, job_id) == ("dead", False)


def test_status_dead_ignored_by_completed_job(client, run):
    job_id = post_job(client, run, {"success": False, "status": "fail"})
    put_job(client, run, job_id, {"status": "dead"})
    assert status_of(client, run, job_id) == ("fail", False)


def test_status_dead_not_ignored_by_running_job(client, run):
    job_id = post_job(client, run, {"user": "someone"})
    put_job(client, run, job_id, {"status": "dead"})
    assert status_of(client, run, job_id) == ("dead", None)


def test_status_dead_success_false_means_status_dead_repost(client, run):
    job_id = post_job(client, run, {"user": "someone"})
    put_job(client, run, job_id, {"status": "running"})
    put_job(client, run, job_id, {"success": False, "status": "dead"})
    put_job(client, run, job_id, {"success": False, "status": "dead"})
    assert status_of(client, run, job_id) == ("dead", False)


def test_status_dead_success_false_means_status_dead_repost_2(client, run):
    job_id = post_job(client, run, {"user": "someone"})
    put_job(client, run, job_id, {"status": "running"})
    put_job(client, run, job_id, {"success": False, "status": "dead"})
    put_job(client, run, job_id, {"status": "dead"})
    assert status_of(client, run, job_id) == ("dead", False)


def test_success_updates_status(client, run):
    # §7.12 test_success_updates_status
    job_id = post_job(client, run, {"status": "running"})
    put_job(client, run, job_id, {"success": True})
    assert status_of(client, run, job_id) == ("pass", True)


def test_status_dead_ignored_when_success_true(client, run):
    # §7.12 test_status_dead_ignored_when_success_true
    job_id = post_job(client, run, {"status": "running"})
    put_job(client, run, job_id, {"success": True})
    put_job(client, run, job_id, {"status": "dead"})
    assert status_of(client, run, job_id) == ("pass", True)


def test_success_false_on_a_passed_job_makes_it_fail(client, run):
    job_id = post_job(client, run, {"success": True})
    put_job(client, run, job_id, {"success": False})
    assert status_of(client, run, job_id) == ("fail", False)


def test_allows_waiting_status(client, run):
    # §7.3 test_allows_waiting_status
    job_id = post_job(client, run, {"status": "waiting"})
    assert status_of(client, run, job_id) == ("waiting", None)


# --- the rules behind the table -------------------------------------------------------------

@pytest.mark.parametrize("terminal", ["pass", "fail"])
@pytest.mark.parametrize("new", ["dead", "running", "queued", "waiting", "unknown",
                                 "pass", "fail"])
def test_pass_and_fail_are_sticky_against_status(client, run, terminal, new):
    job_id = post_job(client, run, {"status": terminal})
    put_job(client, run, job_id, {"status": new})
    assert get_job(client, run, job_id)["status"] == terminal


def test_sticky_status_still_stores_success_from_the_same_request(client, run):
    job_id = post_job(client, run, {"status": "pass"})
    put_job(client, run, job_id, {"status": "dead", "success": False})
    assert status_of(client, run, job_id) == ("pass", False)


def test_success_null_means_unknown(client, run):
    job_id = post_job(client, run, {"status": "running"})
    put_job(client, run, job_id, {"success": None})
    assert status_of(client, run, job_id) == ("unknown", None)


def test_status_wins_over_success_in_one_body(client, run):
    job_id = post_job(client, run, {"status": "running", "success": True})
    assert status_of(client, run, job_id) == ("running", True)


def test_put_without_status_or_success_keeps_the_status(client, run):
    job_id = post_job(client, run, {"status": "waiting"})
    put_job(client, run, job_id, {"description": "no status here"})
    assert status_of(client, run, job_id) == ("waiting", None)


@pytest.mark.parametrize("path", [
    ["queued", "running", "waiting", "running", "queued"],
    ["dead", "running"],
    ["unknown", "queued", "dead", "waiting"],
])
def test_non_terminal_transitions_are_unrestricted(client, run, path):
    job_id = post_job(client, run, {"status": path[0]})
    for status in path[1:]:
        put_job(client, run, job_id, {"status": status})
        assert get_job(client, run, job_id)["status"] == status


# --- §5.4: run status, one case per rule (live and stored) ---------------------------------

RUN_STATUS_CASES = [
    ([], "empty"),                                   # 1
    (["queued"], "queued"),                          # 2
    (["queued", "queued"], "queued"),                # 2
    (["running", "pass"], "running"),                # 3
    (["running", "waiting"], "running"),             # 3
    (["queued", "running"], "running"),              # 3
    (["running", "dead", "fail"], "running"),        # 3
    (["waiting"], "waiting"),                        # 4
    (["waiting", "pass", "fail"], "waiting"),        # 4
    (["dead"], "finished dead"),                     # 5
    (["dead", "dead", "dead"], "finished dead"),     # 5
    (["fail"], "finished fail"),                     # 6
    (["fail", "pass"], "finished fail"),             # 6
    (["fail", "dead"], "finished fail"),             # 6
    (["dead", "pass"], "finished fail"),             # 7
    (["dead", "queued"], "finished fail"),           # 7 before 9
    (["dead", "unknown"], "finished fail"),          # 7
    (["pass"], "finished pass"),                     # 8
    (["pass", "pass"], "finished pass"),             # 8
    (["queued", "pass"], "queued"),                  # 9
    (["queued", "unknown"], "queued"),               # 9
    (["queued", "pass", "unknown"], "queued"),       # 9
    (["pass", "unknown"], "unknown"),                # 10
    (["unknown"], "unknown"),                        # 10
    (["unknown", "unknown"], "unknown"),             # 10
]


@pytest.mark.parametrize("statuses,expected", RUN_STATUS_CASES,
                         ids=["+".join(c[0]) or "none" for c in RUN_STATUS_CASES])
def test_run_status_rule(client, run, database, statuses, expected):
    for status in statuses:
        post_job(client, run, {"status": status})
    got = get_run(client, run)
    assert got["status"] == expected
    assert stored_run_status(client, run) == expected
    assert database.runs.find_one({"name": run})["status"] == expected
    assert got["results"]["total"] == len(statuses)
    for status in ("queued", "pass", "running", "waiting", "fail", "dead", "unknown"):
        assert got["results"][status] == statuses.count(status)


def test_run_status_empty(client, run):
    # §7.11 test_run_status_empty
    assert get_run(client, run)["status"] == "empty"


def test_run_status_running(client, run):
    # §7.11 test_run_status_running
    post_job(client, run, {"status": "running"})
    post_job(client, run, {"status": "pass"})
    assert get_run(client, run)["status"] == "running"


def test_run_allows_waiting_status(client):
    # §7.2 test_allows_waiting_status
    create_run(client, "foo")
    post_job(client, "foo", {"status": "waiting"})
    assert get_run(client, "foo")["status"] == "waiting"


def test_running_status_with_waiting_and_running_jobs(client, run):
    # §7.2 test_running_status_with_waiting_and_running_jobs
    post_job(client, run, {"status": "running"})
    post_job(client, run, {"status": "waiting"})
    assert get_run(client, run)["status"] == "running"


def test_run_status_queued_to_running(client, run):
    # §7.11 test_run_status_queued_to_running
    first = post_job(client, run, {"status": "queued"})
    post_job(client, run, {"status": "queued"})
    assert get_run(client, run)["status"] == "queued"
    put_job(client, run, first, {"status": "running"})
    assert get_run(client, run)["status"] == "running"
    assert stored_run_status(client, run) == "running"


def test_run_status_running_to_dead(client, run):
    # §7.11 test_run_status_running_to_dead
    ids = [post_job(client, run, {"status": "running"}) for _ in range(5)]
    for job_id in ids:
        assert get_run(client, run)["status"] == "running"
        put_job(client, run, job_id, {"status": "dead"})
    assert get_run(client, run)["status"] == "finished dead"
    assert stored_run_status(client, run) == "finished dead"


def test_run_status_dead_to_running(client, run):
    # §7.11 test_run_status_dead_to_running
    ids = [post_job(client, run, {"status": "dead"}) for _ in range(5)]
    assert get_run(client, run)["status"] == "finished dead"
    for job_id in ids:
        put_job(client, run, job_id, {"status": "running"})
    assert get_run(client, run)["status"] == "running"
    assert stored_run_status(client, run) == "running"


def test_run_status_one_pass(client, run):
    # §7.11 test_run_status_one_pass: queued + pass -> queued
    post_job(client, run, {"status": "queued"})
    post_job(client, run, {"status": "pass"})
    assert get_run(client, run)["status"] == "queued"


def test_run_status_follows_success_updates(client, run):
    job_id = post_job(client, run, {"status": "running"})
    put_job(client, run, job_id, {"success": False})
    assert get_run(client, run)["status"] == "finished fail"
    assert stored_run_status(client, run) == "finished fail"


# --- §5.5: started (job) --------------------------------------------------------------------

def test_job_not_started(client, run):
    # §7.12 test_job_not_started
    job_id = post_job(client, run, {"status": "queued"})
    assert get_job(client, run, job_id)["started"] is None


def test_job_started_running(client, run):
    # §7.12 test_job_started_running
    job_id = post_job(client, run, {"status": "running"})
    job = get_job(client, run, job_id)
    assert_time(job["started"])
    assert job["started"] >= job["posted"]


def test_job_started_queued(client, run):
    # §7.12 test_job_started_queued
    job_id = post_job(client, run, {"status": "queued"})
    put_job(client, run, job_id, {"status": "running"})
    job = get_job(client, run, job_id)
    assert_time(job["started"])
    assert job["started"] >= job["posted"]


@pytest.mark.parametrize("before", ["waiting", "dead", "unknown"])
def test_running_from_other_statuses_does_not_set_started(client, run, before):
    job_id = post_job(client, run, {"status": before})
    put_job(client, run, job_id, {"status": "running"})
    assert get_job(client, run, job_id)["started"] is None


def test_started_is_kept_while_running_again(client, run, database):
    job_id = post_job(client, run, {"status": "queued"})
    put_job(client, run, job_id, {"status": "running"})
    started = get_job(client, run, job_id)["started"]
    put_job(client, run, job_id, {"status": "waiting"})
    put_job(client, run, job_id, {"status": "running"})
    put_job(client, run, job_id, {"status": "running"})
    assert get_job(client, run, job_id)["started"] == started


# --- §5.5: started (run) --------------------------------------------------------------------

def test_first_job_started_updates_run(client, run):
    # §7.12 test_first_job_started_updates_run
    job_id = post_job(client, run, {"status": "queued"})
    assert get_run(client, run)["started"] is None
    put_job(client, run, job_id, {"status": "running"})
    run_json = get_run(client, run)
    assert run_json["status"] == "running"
    assert_time(run_json["started"])
    assert run_json["started"] == get_job(client, run, job_id)["started"]


def test_run_started_set_by_a_job_created_running(client, run):
    job_id = post_job(client, run, {"status": "running"})
    assert get_run(client, run)["started"] == get_job(client, run, job_id)["started"]


def test_run_started_is_null_when_the_triggering_job_has_no_started(client, run):
    # §5.2 step 6: run.started = job.started, which may be null (waiting -> running).
    job_id = post_job(client, run, {"status": "waiting"})
    put_job(client, run, job_id, {"status": "running"})
    assert get_run(client, run)["status"] == "running"
    assert get_run(client, run)["started"] is None


def test_run_started_unchanged_while_the_run_stays_running(client, run, database):
    post_job(client, run, {"status": "running"})
    # A recognisable value, so an overwrite by the second job would show.
    database.runs.update_one({"name": run}, {"$set": {"started": datetime(2000, 1, 1)}})
    second = post_job(client, run, {"status": "queued"})
    put_job(client, run, second, {"status": "running"})
    third = post_job(client, run, {"status": "running"})
    assert get_job(client, run, third)["started"] is not None
    assert get_run(client, run)["started"] == "2000-01-01 00:00:00"


def test_run_reentering_running_takes_the_triggering_jobs_started(client, run, database):
    # §5.2 step 6 / §5.5: re-entering `running` overwrites run.started with job.started.
    first = post_job(client, run, {"status": "running"})
    put_job(client, run, first, {"status": "waiting"})
    assert get_run(client, run)["status"] == "waiting"
    second = post_job(client, run, {"status": "queued"})
    database.jobs.update_one({"run": run, "job_id": first},
                             {"$set": {"started": datetime(2000, 1, 1)}})
    database.runs.update_one({"name": run}, {"$set": {"started": datetime(2000, 1, 1)}})
    put_job(client, run, second, {"status": "running"})
    run_json = get_run(client, run)
    assert run_json["status"] == "running"
    assert run_json["started"] == get_job(client, run, second)["started"]
    assert run_json["started"] != "2000-01-01 00:00:00"


def test_run_reentering_running_through_a_previously_started_job(client, run, database):
    # §5.2 step 6: run.started = the triggering job's started, even when step 4 did not set it
    # in this request (the job was started earlier: queued -> running -> waiting -> running).
    job_id = post_job(client, run, {"status": "queued"})
    put_job(client, run, job_id, {"status": "running"})
    job_started = get_job(client, run, job_id)["started"]
    assert job_started is not None
    put_job(client, run, job_id, {"status": "waiting"})
    assert get_run(client, run)["status"] == "waiting"
    put_job(client, run, job_id, {"status": "running"})
    run_json = get_run(client, run)
    assert run_json["status"] == "running"
    assert run_json["started"] == job_started
