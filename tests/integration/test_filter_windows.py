"""A page of a run filter is the same under every query policy: the plain sorted `find`
(`mongodb`) and the local database's windows of `scheduled` going back from now (`secantusdb`,
query_policy.py), over runs spread across years, for any page, `since` and date range."""
import random
from datetime import datetime, timedelta

import pytest

from paddles_mongo import create_app
from paddles_mongo.db import Database
from paddles_mongo.query_policy import WINDOW_DAYS
from tests.conftest import COUNTS_COMMANDS, QUERY_POLICIES
from tests.integration.support import CommandRecorder, app_with_clock, post_job

NOW = datetime(2024, 6, 1, 12)
BRANCHES = ("main", "squid", "reef")
SUITES = ("rados", "fs")


def lab():
    """Runs from six years before NOW to two days after it, at irregular gaps (hours to
    months): (name, branch, suite, scheduled), newest first."""
    rng = random.Random(7)
    runs, when = [], NOW + timedelta(days=2)
    while when > NOW - timedelta(days=6 * 365):
        branch, suite = rng.choice(BRANCHES), rng.choice(SUITES)
        runs.append((f"teuthology-{when:%Y-%m-%d_%H:%M:%S}-{suite}-{branch}-distro-default-"
                     f"smithi", branch, suite, when))
        when -= timedelta(hours=rng.choice((1, 3, 7, 30, 200, 900)))
    return runs


RUNS = lab()


@pytest.fixture(scope="module", params=QUERY_POLICIES)
def lab_app(mongo_backend, request):
    """(client, settings) of an app under each query policy, its clock at NOW, on the lab."""
    with app_with_clock(mongo_backend, "test_windows", NOW,
                        query_policy=request.param) as (client, settings, _):
        for name, branch, suite, _when in RUNS:
            post_job(client, name, {"status": "pass", "branch": branch, "suite": suite})
        yield client, settings


@pytest.fixture
def filled(lab_app):
    return lab_app[0]


def expected(branch=None, suite=None, since=None, until=None):
    return [name for name, run_branch, run_suite, when in RUNS
            if branch in (None, run_branch) and suite in (None, run_suite)
            and (since is None or when >= since) and (until is None or when <= until)]


def names(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.data)
    return [run["name"] for run in response.get_json()]


FILTERS = [("/runs/branch/main/", {"branch": "main"}),
           ("/runs/branch/squid/suite/fs/", {"branch": "squid", "suite": "fs"}),
           ("/runs/suite/rados/", {"suite": "rados"}),
           # status is off the index read (branch's): checked on each window's runs
           ("/runs/branch/reef/status/finished%20pass/", {"branch": "reef"})]


@pytest.mark.parametrize("path, attributes", FILTERS, ids=[path for path, _ in FILTERS])
def test_every_page_is_the_newest_runs_in_order(filled, path, attributes):
    matching = expected(**attributes)
    assert len(matching) > 40, "the lab must fill several pages"
    for count in (1, 7, 25):
        for page in (1, 2, 3, len(matching) // count + 1):
            first = (page - 1) * count
            assert names(filled, f"{path}?count={count}&page={page}") == (
                matching[first:first + count]), (count, page)


@pytest.mark.parametrize("since", ["2024-05-31", "2023-01-01", "2019-01-01"])
def test_since_bounds_the_windows(filled, since):
    floor = datetime.fromisoformat(since)
    matching = expected(branch="main", since=floor)
    for _read in range(2):  # the second time from the page's floor (PageFloors)
        assert names(filled, f"/runs/branch/main/?since={since}&count=1000") == matching
        assert names(filled, f"/runs/branch/main/?since={since}&count=3&page=2") == (
            matching[3:6])


def test_a_day_and_a_date_range_are_the_runs_of_their_days(filled):
    day = RUNS[len(RUNS) // 2][3]
    start = datetime.combine(day.date(), datetime.min.time())
    end = start + timedelta(days=1) - timedelta(seconds=1)
    assert names(filled, f"/runs/date/{day:%Y-%m-%d}/branch/main/?count=1000") == expected(
        branch="main", since=start, until=end)
    assert names(filled, "/runs/branch/main/date/from/2020-01-01/to/2023-06-30/") == expected(
        branch="main", since=datetime(2020, 1, 1), until=datetime(2023, 6, 30, 23, 59, 59))


@COUNTS_COMMANDS
def test_the_local_database_reads_only_the_windows_a_page_needs(lab_app):
    """Under `secantusdb`, each window is one bounded `find`; a page found in the first
    window costs one. Under `mongodb`, one `find` whatever the page."""
    recorder = CommandRecorder()
    recorder.record = lambda event: (event.command["filter"] if event.command_name == "find"
                                     else event.command_name)
    settings = lab_app[1]
    counted = Database(settings, [recorder])
    try:
        client = create_app(settings, counted).test_client()
        newest_branch = RUNS[0][1]  # scheduled after NOW: in the first window
        newest = names(client, f"/runs/branch/{newest_branch}/?count=1")
        assert newest == expected(branch=newest_branch)[:1]
        assert len(recorder.commands) == 1
        recorder.commands.clear()
        everything = names(client, "/runs/branch/main/?count=10000")
        assert everything == expected(branch="main")
        finds = list(recorder.commands)
        if settings.query_policy == "mongodb":
            assert len(finds) == 1 and "scheduled" not in finds[0]
        else:
            assert len(finds) == len(WINDOW_DAYS) + 1
            assert all("scheduled" in find for find in finds)
    finally:
        counted.close()


@pytest.mark.parametrize("query_policy", QUERY_POLICIES)
def test_a_run_scheduled_at_the_first_instant_of_a_window_is_on_the_page(client, frozen_clock):
    """A run scheduled exactly where a window starts (NOW - 2 days) is in it: the local
    database's planner leaves out a date equal to a `$gte` on a descending index key after an
    equality (suite_scheduled), so its windows start one millisecond earlier, exclusive
    (query_policy.inclusive_start)."""
    frozen_clock.utc = NOW
    start = NOW - timedelta(days=WINDOW_DAYS[0])
    names = [f"teuthology-{when:%Y-%m-%d_%H:%M:%S}-rados-main-distro-default-smithi"
             for when in (start - timedelta(days=9), start, start + timedelta(hours=5),
                          start + timedelta(days=1))]
    for name in names:
        post_job(client, name, {"status": "pass", "suite": "rados", "branch": "main"})
    response = client.get("/runs/suite/rados/")
    assert [run["name"] for run in response.get_json()] == names[::-1]
    response = client.get("/runs/branch/main/?count=1&page=3")
    assert [run["name"] for run in response.get_json()] == names[1:2]

