"""The lab's questions on hand-built labs: a test's history, flaky tests, a run against its
baseline, failures by signature, a suite's trends (docs/api.md "Lab questions")."""
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

import pytest

from paddles_mongo import create_app
from paddles_mongo.db import Database
from tests.conftest import COUNTS_COMMANDS, QUERY_POLICIES
from tests.integration.support import CommandRecorder, assert_envelope, post_job, put_job

# Every question under each query policy (query_policy.py): plain MongoDB queries, and the
# local database's windows of dates.
pytestmark = pytest.mark.parametrize("query_policy", QUERY_POLICIES)

NOW = datetime(2024, 6, 20, 12)
SUITE = "rados"
THRASH = "rados/thrash/{clusters/fixed-2 msgr/async}"
BASIC = "rados/basic/{objectstore/bluestore}"


def run_name(day, suite=SUITE, branch="main", machine_type="smithi", hour=0):
    return (f"teuthology-2024-06-{day:02d}_{hour:02d}:00:00-{suite}-{branch}-distro-default-"
            f"{machine_type}")


@pytest.fixture
def lab(client, frozen_clock):
    """post(run, description, status, when=NOW, **fields) -> job_id, with the clock at `when`."""
    def post(run, description, status, when=NOW, **fields):
        frozen_clock.utc = when
        _, _, _, _, suite, branch, *_, machine_type = run.split("-")
        body = {"description": description, "status": status, "name": run, "suite": suite,
                "branch": branch, "machine_type": machine_type, **fields}
        job_id = post_job(client, run, body)
        frozen_clock.utc = NOW
        return job_id

    frozen_clock.utc = NOW
    return post


def get(client, path, **query):
    response = client.get(f"{path}?{urlencode(query)}" if query else path)
    assert response.status_code == 200, response.data
    return response.get_json()


# --- test history ----------------------------------------------------------------------------

def test_history_is_the_tests_jobs_newest_first(client, lab):
    job_ids = []
    for day, status in ((1, "pass"), (2, "fail"), (3, "pass")):
        run = run_name(day)
        job_ids.append(lab(run, THRASH, status, NOW - timedelta(days=10 - day),
                           failure_reason="boom" if status == "fail" else None))
        lab(run, BASIC, "pass", NOW - timedelta(days=10 - day))
    lab(run_name(4, suite="fs"), THRASH, "pass")  # another suite: another test
    history = get(client, "/tests/history/", suite=SUITE, description=THRASH)
    assert [(job["run"], job["status"]) for job in history] == [
        (run_name(3), "pass"), (run_name(2), "fail"), (run_name(1), "pass")]
    assert set(history[0]) == {"run", "job_id", "status", "success", "posted", "started",
                               "updated", "sha1", "branch", "machine_type", "os_type",
                               "os_version", "failure_reason", "href"}
    assert history[1]["failure_reason"] == "boom"
    assert history[0]["href"] == f"http://paddles.test/runs/{run_name(3)}/jobs/{job_ids[2]}/"
    assert history[0]["posted"] == str(NOW - timedelta(days=7))
    assert get(client, "/tests/history/", suite=SUITE, description=THRASH, count=1, page=2) == [
        history[1]]
    assert get(client, "/tests/history/", suite="fs", description=THRASH)[0]["run"] == (
        run_name(4, suite="fs"))


def test_history_narrows_by_the_jobs_branch_machine_type_and_os(client, lab):
    lab(run_name(1), THRASH, "pass", os_type="ubuntu", os_version="22.04")
    lab(run_name(2, branch="squid"), THRASH, "fail", os_type="centos", os_version="9")
    lab(run_name(3, machine_type="mira"), THRASH, "pass", machine_type="mira",
        os_type="ubuntu", os_version="20.04")
    runs = lambda **query: [job["run"] for job in get(
        client, "/tests/history/", suite=SUITE, description=THRASH, **query)]
    assert runs(branch="squid") == [run_name(2, branch="squid")]
    assert runs(machine_type="mira") == [run_name(3, machine_type="mira")]
    assert runs(os_type="ubuntu") == [run_name(3, machine_type="mira"), run_name(1)]
    assert runs(os_type="ubuntu", os_version="22.04") == [run_name(1)]


def test_two_tests_sharing_a_test_id_still_have_their_own_histories(client, database, lab):
    """The test id is a hash: should two tests share one, each history holds its own jobs."""
    for day, description in ((1, THRASH), (2, BASIC), (3, THRASH), (4, BASIC)):
        lab(run_name(day), description, "pass", NOW - timedelta(days=10 - day))
    shared = database.jobs.find_one({"description": BASIC})["test_id"]
    database.jobs.update_many({"description": THRASH}, {"$set": {"test_id": shared}})
    history = get(client, "/tests/history/", suite=SUITE, description=BASIC)
    assert [job["run"] for job in history] == [run_name(4), run_name(2)]
    second = get(client, "/tests/history/", suite=SUITE, description=BASIC, count=1, page=2)
    assert [job["run"] for job in second] == [run_name(2)]


def test_a_job_whose_description_changes_moves_to_its_new_test(client, lab):
    job_id = lab(run_name(1), THRASH, "pass")
    put_job(client, run_name(1), job_id, {"description": BASIC})
    assert get(client, "/tests/history/", suite=SUITE, description=THRASH) == []
    assert len(get(client, "/tests/history/", suite=SUITE, description=BASIC)) == 1


@pytest.mark.parametrize("query, message", [
    ({}, "suite is required; description is required"),
    ({"suite": SUITE}, "description is required"),
    ({"suite": SUITE, "description": THRASH, "count": "-1"},
     "count must be an integer from 0 to 1000000000"),
    ({"suite": SUITE, "description": THRASH, "page": "0"},
     "page must be an integer from 1 to 1000000000"),
])
def test_history_bad_parameters_are_400(client, query, message):
    assert_envelope(client.get(f"/tests/history/?{urlencode(query)}"), 400, message)


# --- flaky tests -----------------------------------------------------------------------------

def test_flaky_tests_rank_by_flip_rate_then_flips_then_description(client, lab):
    outcomes = {THRASH: ["pass", "fail", "pass", "dead"],          # 3 flips of 3
                BASIC: ["pass", "pass", "fail", "fail", "pass"],   # 2 flips of 4
                "rados/steady": ["pass", "pass", "pass"],          # never fails: not flaky
                "rados/broken": ["fail", "dead", "fail"],          # never passes: not flaky
                "rados/short": ["pass", "fail"]}                   # fewer than min_jobs
    last = {}
    for description, statuses in outcomes.items():
        for day, status in enumerate(statuses, start=1):
            last[description] = lab(run_name(day), description, status,
                                    NOW - timedelta(days=10 - day))
    lab(run_name(9), THRASH, "running")  # unfinished: not counted
    lab(run_name(9), BASIC, "pass", NOW - timedelta(days=20))  # before the period
    flaky = get(client, "/tests/flaky/", suite=SUITE)
    assert [test["description"] for test in flaky] == [THRASH, BASIC]
    assert flaky[0] == {"suite": SUITE, "description": THRASH, "jobs": 4, "pass": 2, "fail": 1,
                        "dead": 1, "flips": 3, "flip_rate": 1.0, "pass_rate": 0.5,
                        "last_status": "dead", "last_run": run_name(4),
                        "last_job_id": last[THRASH]}
    assert flaky[1]["flips"] == 2 and flaky[1]["flip_rate"] == 0.5
    assert flaky[1]["pass_rate"] == 0.6
    assert [test["description"] for test in get(client, "/tests/flaky/", suite=SUITE,
                                                 min_jobs=2)] == [THRASH, "rados/short", BASIC]
    assert get(client, "/tests/flaky/", suite=SUITE, count=1) == flaky[:1]
    assert get(client, "/tests/flaky/", suite="fs") == []
    assert get(client, "/tests/flaky/", suite=SUITE, since_days=6) == []  # 2 jobs at most


def test_flaky_tests_narrow_by_the_runs_branch(client, lab):
    for day, status in enumerate(("pass", "fail", "pass"), start=1):
        lab(run_name(day, branch="squid"), THRASH, status, NOW - timedelta(days=5 - day))
        lab(run_name(day), THRASH, "pass", NOW - timedelta(days=5 - day))
    assert [t["jobs"] for t in get(client, "/tests/flaky/", suite=SUITE)] == [6]
    assert get(client, "/tests/flaky/", suite=SUITE, branch="main") == []
    assert [t["flips"] for t in get(client, "/tests/flaky/", suite=SUITE, branch="squid")] == [2]


@pytest.mark.parametrize("query, message", [
    ({}, "suite is required"),
    ({"suite": SUITE, "since_days": "0"}, "since_days must be an integer from 1 to 36500"),
    ({"suite": SUITE, "min_jobs": "1"}, "min_jobs must be an integer from 2 to 1000000"),
])
def test_flaky_bad_parameters_are_400(client, query, message):
    assert_envelope(client.get(f"/tests/flaky/?{urlencode(query)}"), 400, message)


# --- a run against its baseline --------------------------------------------------------------

def compare(client, run, **query):
    return get(client, f"/runs/{quote(run)}/compare/", **query)


def test_the_default_baseline_is_the_newest_earlier_run_like_it_with_finished_jobs(client,
                                                                                   lab):
    lab(run_name(1), THRASH, "pass")
    was = lab(run_name(2), THRASH, "fail")                   # the baseline of day 5
    lab(run_name(3), THRASH, "queued")                       # no finished job
    lab(run_name(4, branch="squid"), THRASH, "pass")         # another branch
    lab(run_name(4, machine_type="mira"), THRASH, "pass", machine_type="mira")
    lab(run_name(4, suite="fs"), THRASH, "pass")             # another suite
    lab(run_name(6), THRASH, "pass")                         # later
    now = lab(run_name(5), THRASH, "pass")
    answer = compare(client, run_name(5))
    assert answer["run"] == run_name(5) and answer["baseline"] == run_name(2)
    assert answer["fixes"] == [{"description": THRASH, "job_id": now, "baseline_job_id": was,
                                "was": "fail", "now": "pass"}]
    assert answer["counts"] == {"regressions": 0, "fixes": 1, "still_failing": 0, "new": 0,
                                "missing": 0, "pending": 0}
    assert compare(client, run_name(5), baseline=run_name(1))["baseline"] == run_name(1)


def test_compare_matches_by_description_and_takes_a_runs_newest_job_of_it(client, lab):
    baseline, run = run_name(1), run_name(2)
    was = lab(baseline, THRASH, "pass")
    lab(baseline, BASIC, "fail")
    gone = lab(baseline, "rados/gone", "dead")
    lab(baseline, "rados/slow", "running")               # unfinished: absent
    lab(run, THRASH, "pass", NOW - timedelta(hours=2))
    rerun = lab(run, THRASH, "fail", NOW - timedelta(hours=1))   # the rerun counts
    lab(run, BASIC, "dead")
    slow = lab(run, "rados/slow", "pass")
    lab(run, "rados/queued", "queued")
    answer = compare(client, run)
    assert answer["baseline"] == baseline
    assert answer["regressions"] == [{"description": THRASH, "job_id": rerun,
                                      "baseline_job_id": was, "was": "pass", "now": "fail"}]
    assert [e["description"] for e in answer["still_failing"]] == [BASIC]
    assert answer["new"] == [{"description": "rados/slow", "job_id": slow,
                              "baseline_job_id": None, "was": None, "now": "pass"}]
    assert answer["missing"] == [{"description": "rados/gone", "job_id": None,
                                  "baseline_job_id": gone, "was": "dead", "now": None}]
    assert [e["description"] for e in answer["pending"]] == ["rados/queued"]
    assert answer["counts"]["pending"] == 1


def test_a_job_that_changes_status_moves_between_lists_at_once(client, lab):
    lab(run_name(1), THRASH, "pass")
    job_id = lab(run_name(2), THRASH, "running")
    assert compare(client, run_name(2))["counts"]["pending"] == 1
    put_job(client, run_name(2), job_id, {"status": "fail"})
    answer = compare(client, run_name(2))
    assert answer["counts"]["pending"] == 0 and answer["counts"]["regressions"] == 1


def test_without_a_baseline_every_finished_job_is_new(client, lab):
    lab(run_name(1), THRASH, "pass")
    answer = compare(client, run_name(1))
    assert answer["baseline"] is None and answer["counts"]["new"] == 1


def test_compare_of_a_missing_run_or_baseline_is_404(client, lab):
    lab(run_name(1), THRASH, "pass")
    assert_envelope(client.get("/runs/nope/compare/"), 404, "run nope was not found")
    assert_envelope(client.get(f"/runs/{run_name(1)}/compare/?baseline=nope"), 404,
                    "run nope was not found")


# --- failures by signature -------------------------------------------------------------------

def test_failures_group_by_signature_most_jobs_first(client, lab):
    first = lab(run_name(1), THRASH, "fail", NOW - timedelta(days=3),
                failure_reason="Command failed on smithi012 with status 1: 'ceph osd'")
    second = lab(run_name(2), THRASH, "dead", NOW - timedelta(days=2),
                 failure_reason="Command failed on smithi044.front.sepia.ceph.com with status "
                                "124: 'ceph osd'")
    third = lab(run_name(2), BASIC, "fail", NOW - timedelta(days=1),
                failure_reason="Command failed on smithi003 with status 2: 'ceph osd'")
    lab(run_name(2), BASIC, "fail", failure_reason="timeout")
    lab(run_name(3), BASIC, "fail")                          # no reason
    lab(run_name(3), BASIC, "pass", failure_reason="ignored")  # passed
    lab(run_name(4), BASIC, "fail", NOW - timedelta(days=9), failure_reason="timeout")  # old
    groups = get(client, "/failures/")
    assert [(g["signature"], g["jobs"]) for g in groups] == [
        ("Command failed on <host> with status <n>: 'ceph osd'", 3), ("", 1), ("timeout", 1)]
    assert groups[0] == {
        "signature": "Command failed on <host> with status <n>: 'ceph osd'",
        "example": "Command failed on smithi012 with status 1: 'ceph osd'",
        "jobs": 3, "runs": 2, "tests": 2, "first_seen": str(NOW - timedelta(days=3)),
        "last_seen": str(NOW - timedelta(days=1)), "last_run": run_name(2)}
    assert [g["jobs"] for g in get(client, "/failures/", since_days=10)] == [3, 2, 1]
    assert [g["signature"] for g in get(client, "/failures/", count=1)] == [groups[0]["signature"]]
    assert [g["jobs"] for g in get(client, "/failures/", branch="squid")] == []
    jobs = get(client, "/failures/jobs/", signature=groups[0]["signature"])
    assert [(job["run"], job["job_id"]) for job in jobs] == [
        (run_name(2), third), (run_name(2), second), (run_name(1), first)]
    assert get(client, "/failures/jobs/", signature="timeout", since_days=10, count=1,
               page=2)[0]["run"] == run_name(4)
    assert [job["run"] for job in get(client, "/failures/jobs/", signature="")] == [run_name(3)]


@pytest.mark.parametrize("statuses", [("fail", "dead", "fail"), ("dead", "fail", "dead")])
def test_a_signature_groups_its_failed_and_dead_jobs_as_one(client, lab, statuses):
    """However the statuses are read (the local database reads each apart), one group: its
    example from the first job, its last run from the last."""
    for day, status in zip((1, 2, 3), statuses):
        lab(run_name(day), THRASH if day < 3 else BASIC, status, NOW - timedelta(days=5 - day),
            failure_reason=f"hit max job timeout after {day}h")
    assert get(client, "/failures/") == [{
        "signature": "hit max job timeout after <n>h", "example": "hit max job timeout after 1h",
        "jobs": 3, "runs": 3, "tests": 2, "first_seen": str(NOW - timedelta(days=4)),
        "last_seen": str(NOW - timedelta(days=2)), "last_run": run_name(3)}]


def test_failure_jobs_need_a_signature(client):
    assert_envelope(client.get("/failures/jobs/"), 400, "signature is required")


# --- trends ----------------------------------------------------------------------------------

def test_trends_have_one_entry_per_day_with_empty_days(client, lab):
    lab(run_name(18), THRASH, "pass")
    lab(run_name(18), BASIC, "fail")
    lab(run_name(18, hour=5), THRASH, "dead")
    lab(run_name(20), THRASH, "running")
    lab(run_name(20, branch="squid"), THRASH, "pass")
    lab(run_name(10), THRASH, "pass")          # before the window
    lab(run_name(19, suite="fs"), THRASH, "pass")
    days = get(client, "/trends/", suite=SUITE, days=3)
    assert days == [
        {"date": "2024-06-18", "runs": 2, "jobs": 3, "pass": 1, "fail": 1, "dead": 1,
         "pass_rate": 0.333},
        {"date": "2024-06-19", "runs": 0, "jobs": 0, "pass": 0, "fail": 0, "dead": 0,
         "pass_rate": None},
        {"date": "2024-06-20", "runs": 2, "jobs": 2, "pass": 1, "fail": 0, "dead": 0,
         "pass_rate": 1.0}]
    assert get(client, "/trends/", suite=SUITE, days=3, branch="main")[2]["pass_rate"] is None
    assert len(get(client, "/trends/", suite=SUITE)) == 30


@pytest.mark.parametrize("query, message", [
    ({}, "suite is required"), ({"suite": SUITE, "days": "0"},
                                "days must be an integer from 1 to 36500")])
def test_trends_bad_parameters_are_400(client, query, message):
    assert_envelope(client.get(f"/trends/?{urlencode(query)}"), 400, message)


# --- commands per question -------------------------------------------------------------------

@COUNTS_COMMANDS
def test_each_question_costs_a_few_commands_whatever_the_lab(settings, lab, query_policy):
    """Commands per request, a few for 1 or 12 runs of 3 jobs (the local database's policy
    reads a page not full in every window of dates: query_policy.py)."""
    recorder = CommandRecorder()
    counted = Database(settings, [recorder])
    client = create_app(settings, counted).test_client()

    def commands(path, **query):
        recorder.commands.clear()
        get(client, path, **query)
        return list(recorder.commands)

    try:
        for runs in (1, 12):
            for day in range(1, runs + 1):
                for description, status in ((THRASH, "pass"), (BASIC, "fail"), (THRASH, "dead")):
                    lab(run_name(day, hour=runs), description, status,
                        failure_reason="Command failed on smithi001 with status 1")
            assert commands("/tests/history/", suite=SUITE, description=THRASH) == ["find"] * (
                1 if query_policy == "mongodb" else 5 if runs == 1 else 1)
            assert commands("/tests/flaky/", suite=SUITE) == ["find", "find"]
            # the run, its baseline (none for the first: the local database's policy looks
            # in every window), the jobs of both
            baseline_finds = 1 if runs > 1 or query_policy == "mongodb" else 5
            assert commands(f"/runs/{quote(run_name(runs, hour=runs))}/compare/") == [
                "find"] * (1 + baseline_finds + (2 if runs > 1 else 1))
            # the local database reads each failed status apart (query_policy.by_value) and
            # groups the jobs here (query_policy.grouped)
            per_status = ["aggregate"] if query_policy == "mongodb" else ["find"] * 2
            assert commands("/failures/") == per_status
            assert commands("/failures/", branch="main") == ["find", *per_status]
            assert commands("/trends/", suite=SUITE) == ["find"]
    finally:
        counted.close()
