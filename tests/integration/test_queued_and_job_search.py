"""§3.2 `GET /runs/queued/` (pulpito's queue page; upstream §7.2 test_queued_*) and §3.4
`GET /jobs/` (the global job search): every filter, pagination (§2.7), the sha1-over-branch
rule, strict posted_after/posted_before meaning that day's 00:00:00, bad dates (§2.5)."""
from datetime import datetime, timedelta

import pytest

from tests.conftest import QUERY_POLICIES
from tests.integration.support import (DATE_ERROR, JOB_KEYS, RUN_KEYS, assert_envelope,
                                        create_run, names, post_job, put_job)

SHA1 = "1111111111111111111111111111111111111111"
SHA2 = "2222222222222222222222222222222222222222"
SHA3 = "3333333333333333333333333333333333333333"

# The routes here are shaped by the query policy: each test runs under both.
pytestmark = pytest.mark.parametrize("query_policy", QUERY_POLICIES)


def run_name(scheduled, tag, suite="rados", branch="main"):
    """`scheduled` comes from the name's timestamp (§5.1); `tag` keeps names unique."""
    return f"teuthology-{scheduled:%Y-%m-%d_%H:%M:%S}-{suite}-{branch}-{tag}-basic-plana"


def queued(client):
    return names(client.get("/runs/queued/"))


# --- GET /runs/queued/ ------------------------------------------------------------------------

def test_queued_on_an_empty_database_is_an_empty_list(client):
    assert queued(client) == []


def test_queued_fully(client):
    # §7.2 test_queued_fully: two runs, each with two queued jobs.
    runs = [run_name(datetime(2013, 1, day), "full") for day in (1, 2)]
    for run in runs:
        for _ in range(2):
            post_job(client, run, {"status": "queued"})
    assert sorted(queued(client)) == sorted(runs)


def test_queued_partially(client):
    # §7.2 test_queued_partially: two runs, each with one queued and one dead job.
    runs = [run_name(datetime(2013, 1, day), "partial") for day in (1, 2)]
    for run in runs:
        post_job(client, run, {"status": "queued"})
        post_job(client, run, {"status": "dead"})
    assert sorted(queued(client)) == sorted(runs)


def test_queued_runs_are_ordered_oldest_scheduled_first(client):
    days = (3, 1, 4, 2)  # created out of order
    runs = {day: run_name(datetime(2024, 3, day, 6), f"d{day}") for day in days}
    for day in days:
        post_job(client, runs[day], {"status": "queued"})
    assert queued(client) == [runs[1], runs[2], runs[3], runs[4]]


def test_partially_queued_runs_are_listed_whatever_their_stored_status(client):
    # queued + pass -> run status "queued"; queued + dead -> "finished fail"; queued + running
    # -> "running": all have a queued job.
    mixes = {"pass": "a", "dead": "b", "running": "c", "waiting": "d", "unknown": "e",
             "fail": "f"}
    expected = []
    for hour, (other, tag) in enumerate(mixes.items()):
        run = run_name(datetime(2024, 3, 1, hour), tag)
        post_job(client, run, {"status": other})
        post_job(client, run, {"status": "queued"})
        expected.append(run)
    assert queued(client) == expected


def test_runs_without_queued_jobs_are_absent(client):
    wanted = run_name(datetime(2024, 3, 1), "wanted")
    post_job(client, wanted, {"status": "queued"})
    create_run(client, run_name(datetime(2024, 3, 2), "empty"))
    for hour, status in enumerate(("running", "pass", "fail", "dead", "waiting", "unknown")):
        post_job(client, run_name(datetime(2024, 3, 3, hour), status), {"status": status})
    assert queued(client) == [wanted]


def test_a_run_with_several_queued_jobs_is_listed_once(client):
    run = run_name(datetime(2024, 3, 1), "many")
    for _ in range(5):
        post_job(client, run, {"status": "queued"})
    assert queued(client) == [run]


def test_a_run_leaving_the_queue_disappears(client):
    first = run_name(datetime(2024, 3, 1), "first")
    second = run_name(datetime(2024, 3, 2), "second")
    job_a = post_job(client, first, {"status": "queued"})
    job_b = post_job(client, first, {"status": "queued"})
    job_c = post_job(client, second, {"status": "queued"})
    assert queued(client) == [first, second]
    put_job(client, first, job_a, {"status": "running"})
    assert queued(client) == [first, second]  # still one queued job
    put_job(client, first, job_b, {"status": "running"})
    assert queued(client) == [second]
    put_job(client, second, job_c, {"success": True})
    assert queued(client) == []
    put_job(client, first, job_b, {"status": "queued"})  # back in the queue
    assert queued(client) == [first]


def test_deleting_the_queued_job_or_the_run_removes_it_from_the_queue(client):
    first = run_name(datetime(2024, 3, 1), "first")
    second = run_name(datetime(2024, 3, 2), "second")
    job = post_job(client, first, {"status": "queued"})
    post_job(client, first, {"status": "pass"})
    post_job(client, second, {"status": "queued"})
    assert client.delete(f"/runs/{first}/jobs/{job}/").status_code == 200
    assert queued(client) == [second]
    assert client.delete(f"/runs/{second}/").status_code == 200
    assert queued(client) == []


def test_queued_is_unpaginated(client):
    runs = [run_name(datetime(2024, 3, 1) + timedelta(hours=hour), f"h{hour}")
            for hour in range(30)]
    for run in runs:
        post_job(client, run, {"status": "queued"})
    assert queued(client) == runs
    assert names(client.get("/runs/queued/?count=2&page=2")) == runs


def test_queued_runs_are_full_run_json(client):
    run = run_name(datetime(2024, 3, 1), "json")
    post_job(client, run, {"status": "queued", "sha1": SHA1, "flavor": "default"})
    post_job(client, run, {"status": "pass"})
    (body,) = client.get("/runs/queued/").get_json()
    assert list(body) == list(RUN_KEYS)
    assert body["status"] == "queued"
    assert body["results"]["queued"] == 1 and body["results"]["pass"] == 1
    assert body["jobs_count"] == 2


# --- GET /jobs/ -------------------------------------------------------------------------------

RUN_A = run_name(datetime(2024, 3, 1), "a")
RUN_B = run_name(datetime(2024, 3, 2), "b", suite="fs", branch="next")
RUN_C = run_name(datetime(2024, 3, 3), "c", suite="rbd", branch="squid")

# (key, run, posted, job document); posted times straddle the day boundaries on purpose.
JOBS = [
    ("J1", RUN_A, datetime(2024, 3, 4, 23, 59, 59),
     {"status": "pass", "sha1": SHA1, "branch": "main", "user": "alice",
      "description": "rados/thrash/{a b}"}),
    ("J2", RUN_A, datetime(2024, 3, 5, 0, 0, 0),
     {"status": "fail", "sha1": SHA2, "branch": "main", "user": "bob",
      "description": "rados/basic"}),
    ("J3", RUN_B, datetime(2024, 3, 5, 0, 0, 1),
     {"status": "queued", "sha1": SHA1, "branch": "next", "user": "alice",
      "description": "fs/basic Thrash"}),
    ("J4", RUN_B, datetime(2024, 3, 5, 12, 0, 0),
     {"status": "running", "sha1": SHA3, "branch": "next", "user": "carol",
      "description": "fs/verify"}),
    ("J5", RUN_C, datetime(2024, 3, 6, 0, 0, 0),
     {"status": "dead", "sha1": SHA1, "branch": "squid", "user": "alice",
      "description": "rbd/thrash"}),
    ("J6", RUN_C, datetime(2024, 3, 6, 8, 0, 0),
     {"status": "queued", "sha1": SHA2, "branch": "main", "user": "bob"}),
]


@pytest.fixture
def jobs(client, frozen_clock):
    """Creates JOBS with the server's clock at each `posted` time; returns {key: (run, job_id)}
    and leaves the clock at 2024-03-06 09:00 (for today/yesterday)."""
    created = {}
    for key, run, posted, document in JOBS:
        frozen_clock.utc = posted
        created[key] = (run, post_named_job(client, run, document))
    frozen_clock.utc = datetime(2024, 3, 6, 9)
    return created


def post_named_job(client, run, document):
    """teuthology puts the run name in the job's `name` (clients.md); search results are
    identified by (name, job_id)."""
    return post_job(client, run, {**document, "name": run})


def search(client, query=""):
    response = client.get(f"/jobs/{query}")
    assert response.status_code == 200, (response.status_code, response.data)
    body = response.get_json()
    assert isinstance(body, list), body
    return [(job["name"], job["job_id"]) for job in body]


def keys(jobs, *wanted):
    return [jobs[key] for key in wanted]


def test_job_search_without_filters_lists_jobs_newest_posted_first(client, jobs):
    assert search(client) == keys(jobs, "J6", "J5", "J4", "J3", "J2", "J1")


def test_job_search_answers_full_job_json(client, jobs):
    body = client.get("/jobs/").get_json()
    for job in body:
        assert list(job) == list(JOB_KEYS)
    by_id = {(job["name"], job["job_id"]): job for job in body}
    assert by_id[jobs["J2"]]["posted"] == "2024-03-05 00:00:00"
    assert by_id[jobs["J2"]]["sha1"] == SHA2


def test_job_search_on_an_empty_database_is_an_empty_list(client):
    assert search(client) == []


def test_job_search_default_count_is_10(client, frozen_clock):
    for minute in range(12):
        frozen_clock.utc = datetime(2024, 3, 1, 0, minute)
        post_named_job(client, RUN_A, {"status": "queued"})
    assert len(search(client)) == 10
    assert len(search(client, "?page=2")) == 2


def test_job_search_by_description_substring(client, jobs):
    assert search(client, "?description=thrash") == keys(jobs, "J5", "J1")
    assert search(client, "?description=basic") == keys(jobs, "J3", "J2")
    assert search(client, "?description=rados/") == keys(jobs, "J2", "J1")


def test_job_search_by_description_is_case_sensitive(client, jobs):
    assert search(client, "?description=Thrash") == keys(jobs, "J3")


def test_job_search_description_is_literal_text_not_a_pattern(client, jobs):
    assert search(client, "?description=%7Ba%20b%7D") == keys(jobs, "J1")  # "{a b}"
    assert search(client, "?description=rados/.") == []
    assert search(client, "?description=.*") == []


@pytest.mark.parametrize("status, expected", [
    ("queued", ("J6", "J3")), ("pass", ("J1",)), ("fail", ("J2",)), ("running", ("J4",)),
    ("dead", ("J5",)), ("waiting", ()), ("unknown", ())])
def test_job_search_by_status(client, jobs, status, expected):
    assert search(client, f"?status={status}") == keys(jobs, *expected)


@pytest.mark.parametrize("status", ["bogus", "finished%20pass", "QUEUED", "empty"])
def test_job_search_status_must_be_a_job_status(client, jobs, status):
    assert_envelope(client.get(f"/jobs/?status={status}"), 400)


def test_job_search_by_sha1_is_exact(client, jobs):
    assert search(client, f"?sha1={SHA1}") == keys(jobs, "J5", "J3", "J1")
    assert search(client, f"?sha1={SHA1[:10]}") == []


def test_job_search_by_branch_reads_the_jobs_branch(client, jobs):
    assert search(client, "?branch=main") == keys(jobs, "J6", "J2", "J1")
    # J5's run now has branch "main" (J6 corrected it); J5 itself is squid.
    assert search(client, "?branch=squid") == keys(jobs, "J5")
    assert search(client, "?branch=nope") == []


@pytest.mark.parametrize("branch", ["main", "next", "nope"])
def test_job_search_sha1_given_means_branch_ignored(client, jobs, branch):
    assert search(client, f"?sha1={SHA1}&branch={branch}") == keys(jobs, "J5", "J3", "J1")


def test_job_search_by_user_reads_the_jobs_user(client, jobs):
    assert search(client, "?user=alice") == keys(jobs, "J5", "J3", "J1")
    assert search(client, "?user=teuthology") == []  # the runs' user, not the jobs'


def test_job_search_posted_after_is_strict_after_that_days_midnight(client, jobs):
    # J2 was posted at exactly 2024-03-05 00:00:00: not after it.
    assert search(client, "?posted_after=2024-03-05") == keys(jobs, "J6", "J5", "J4", "J3")
    assert search(client, "?posted_after=2024-03-06") == keys(jobs, "J6")


def test_job_search_posted_before_is_strict_before_that_days_midnight(client, jobs):
    # Before 2024-03-05 means before 00:00:00 that day: J2 (at midnight) and J4 (noon) are out.
    assert search(client, "?posted_before=2024-03-05") == keys(jobs, "J1")
    assert search(client, "?posted_before=2024-03-06") == keys(jobs, "J4", "J3", "J2", "J1")


def test_job_search_posted_window(client, jobs):
    assert search(client, "?posted_after=2024-03-05&posted_before=2024-03-06") == keys(
        jobs, "J4", "J3")
    assert search(client, "?posted_after=2024-03-06&posted_before=2024-03-05") == []


def test_job_search_posted_dates_may_be_non_padded(client, jobs):
    assert search(client, "?posted_after=2024-3-5&posted_before=2024-3-6") == keys(
        jobs, "J4", "J3")


def test_job_search_posted_today_and_yesterday(client, jobs):
    # The clock reads 2024-03-06 09:00 (see the fixture).
    assert search(client, "?posted_after=today") == keys(jobs, "J6")
    assert search(client, "?posted_after=yesterday") == keys(jobs, "J6", "J5", "J4", "J3")
    assert search(client, "?posted_before=today") == keys(jobs, "J4", "J3", "J2", "J1")
    assert search(client, "?posted_before=yesterday") == keys(jobs, "J1")


def test_job_search_yesterday_on_the_first_of_a_month(client, frozen_clock):
    frozen_clock.utc = datetime(2024, 2, 28, 23)
    old = post_named_job(client, RUN_A, {"status": "pass"})
    frozen_clock.utc = datetime(2024, 2, 29, 1)
    recent = post_named_job(client, RUN_A, {"status": "pass"})
    frozen_clock.utc = datetime(2024, 3, 1, 12)
    assert search(client, "?posted_after=yesterday") == [(RUN_A, recent)]
    assert search(client, "?posted_before=yesterday") == [(RUN_A, old)]


@pytest.mark.parametrize("query", ["posted_after=2024-13-01", "posted_after=garbage",
                                   "posted_before=2024-02-30", "posted_before=20240305",
                                   "posted_after=2024-03-05&posted_before=nope",
                                   "posted_after=tomorrow"])
def test_job_search_bad_date_is_400(client, jobs, query):
    message = assert_envelope(client.get(f"/jobs/?{query}"), 400)
    assert message.startswith(DATE_ERROR), message


@pytest.mark.parametrize("query, expected", [
    ("status=queued&branch=main&user=bob", ("J6",)),
    ("description=basic&user=alice", ("J3",)),
    ("status=queued&posted_before=2024-03-06", ("J3",)),
    ("user=alice&posted_after=2024-03-05", ("J5", "J3")),
    (f"sha1={SHA2}&status=fail", ("J2",)),
    (f"sha1={SHA1}&branch=main&user=alice&posted_after=2024-03-04", ("J5", "J3", "J1")),
    ("branch=next&description=fs/&status=running", ("J4",)),
    ("user=bob&description=thrash", ()),
])
def test_job_search_filters_combine(client, jobs, query, expected):
    assert search(client, f"?{query}") == keys(jobs, *expected)


ALL = ("J6", "J5", "J4", "J3", "J2", "J1")


@pytest.mark.parametrize("query, expected", [
    ("count=2", ALL[:2]), ("count=2&page=1", ALL[:2]), ("count=2&page=2", ALL[2:4]),
    ("count=2&page=3", ALL[4:]), ("count=2&page=4", ()), ("count=6&page=2", ()),
    ("count=4&page=2", ALL[4:]), ("count=1&page=100", ()), ("count=0", ()),
    ("count=0&page=3", ()), ("count=100", ALL),
    ("status=queued&count=1&page=2", ("J3",)), ("user=alice&count=2&page=2", ("J1",)),
])
def test_job_search_pagination(client, jobs, query, expected):
    assert search(client, f"?{query}") == keys(jobs, *expected)


@pytest.mark.parametrize("query", ["count=-1", "count=abc", "page=abc", "count=2.5",
                                   "page=0", "page=-5"])
def test_job_search_bad_count_or_page_is_400(client, jobs, query):
    assert_envelope(client.get(f"/jobs/?{query}"), 400)


def test_job_search_unknown_parameters_are_ignored(client, jobs):
    assert search(client, "?bogus=1&name=x") == keys(jobs, *ALL)


def test_job_search_pages_of_tied_posted_times_have_no_duplicates_or_gaps(client,
                                                                          frozen_clock):
    frozen_clock.utc = datetime(2024, 3, 1, 12)
    created = {(RUN_A, post_named_job(client, RUN_A, {"status": "queued", "user": "tie"}))
               for _ in range(23)}
    for query in ("", "&user=tie", "&status=queued"):
        walked = []
        for page in range(1, 6):
            walked += search(client, f"?count=5&page={page}{query}")
        assert len(walked) == len(set(walked)) == 23, query
        assert set(walked) == created, query
        again = []
        for page in range(1, 6):
            again += search(client, f"?count=5&page={page}{query}")
        assert again == walked, query
