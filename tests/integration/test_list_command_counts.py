"""MongoDB commands per request for every list endpoint: the same whatever the page size (1, 10,
40) or the number of rows listed, and a small fixed number (printed; run with -s to see it).
Filter value URLs cost exactly one find: runs keep their results, so no per-run query (spec
§8.2 lists the original's per-run N+1 queries as the thing to design away) and no aggregate."""
import contextlib
from datetime import datetime, timedelta

import pytest

from paddles_mongo.domain.filters import parse_filter_path
from paddles_mongo.query_policy import WINDOW_DAYS
from paddles_mongo.services import run_filters, run_values
from tests.conftest import COUNTS_COMMANDS, QUERY_POLICIES
from tests.integration.support import CommandRecorder, app_with_clock, post_job

pytestmark = COUNTS_COMMANDS

PAGE_SIZES = (1, 10, 40)
BULK = 45     # runs matching every "bulk" filter value below: more than the largest page
OTHER = 10
SHA_BULK = "abd" + "0" * 37


# The server's clock: the day after the runs below, so under the local database's policy
# their pages are found in the first window of dates it reads (query_policy.py).
NOW = datetime(2024, 3, 6)


@contextlib.contextmanager
def counting_client(mongo_backend, query_policy):
    """(client, commands): an app on a fresh database, its clock at NOW, and `commands(url)`:
    GET url (a 200), returning the names of the MongoDB commands it sent and the JSON it
    answered."""
    listener = CommandRecorder()
    with app_with_clock(mongo_backend, "test_counts", NOW, [listener],
                        query_policy) as (client, _, _clock):
        def commands(url):
            listener.commands.clear()
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code, response.data)
            return list(listener.commands), response.get_json()

        commands.query_policy = query_policy
        yield client, commands


def bulk_run(index):
    when = datetime(2024, 3, 5) + timedelta(minutes=index)
    return f"alice-{when:%Y-%m-%d_%H:%M:%S}-rados-main-k{index}-basic-plana"


def other_run(index):
    when = datetime(2024, 2, 1) + timedelta(days=index)
    return f"bob-{when:%Y-%m-%d_%H:%M:%S}-fs-next-k{index}-basic-mira"


@pytest.fixture(scope="module", params=QUERY_POLICIES)
def commands_of(mongo_backend, request):
    """BULK runs (branch main, suite rados, machine type smithi, user alice, status queued,
    scheduled 2024-03-05, jobs with sha1s starting "ab" and flavors default and crimson) and
    OTHER runs that match none of those values. Yields commands_of(url): (the commands the
    GET sent, its JSON)."""
    with counting_client(mongo_backend, request.param) as (client, commands):
        for index in range(BULK):
            run = bulk_run(index)
            post_job(client, run, {"job_id": "1", "name": run, "status": "queued",
                                   "sha1": f"abc{index:037d}", "flavor": "default",
                                   "user": "alice", "suite": "rados", "branch": "main",
                                   "machine_type": "smithi",
                                   "description": f"rados/thrash/{index}"})
            post_job(client, run, {"job_id": "2", "name": run, "status": "queued",
                                   "sha1": SHA_BULK, "flavor": "crimson", "user": "alice",
                                   "suite": "rados", "branch": "main",
                                   "machine_type": "smithi",
                                   "description": f"rados/basic/{index}"})
        for index in range(OTHER):
            run = other_run(index)
            post_job(client, run, {"job_id": "1", "name": run, "status": "pass",
                                   "sha1": "fff" + "5" * 37, "flavor": "notcmalloc",
                                   "user": "bob", "suite": "fs", "branch": "next",
                                   "machine_type": "mira"})
        yield commands


VALUE_URLS = [
    "/runs/branch/main/", "/runs/suite/rados/", "/runs/machine_type/smithi/",
    "/runs/status/queued/", "/runs/user/alice/", "/runs/sha1/ab/", f"/runs/sha1/{SHA_BULK}/",
    "/runs/flavors/default/", "/runs/flavor/crimson/", "/runs/date/2024-03-05/",
    "/runs/branch/main/suite/rados/", "/runs/machine_type/smithi/user/alice/",
    "/runs/branch/main/machine_type/smithi/sha1/ab/",
    "/runs/branch/main/machine_type/smithi/sha1/ab/status/queued/",
    "/runs/branch/main/machine_type/smithi/sha1/ab/status/queued/suite/rados/date/2024-03-05/",
    "/runs/sha1/ab/flavor/default/", "/runs/flavor/default/sha1/ab/",
    "/runs/flavors/crimson/user/alice/date/2024-03-05/",
    "/runs/branch/main/?since=2024-03-01", "/runs/suite/rados/branch/main/?since=2024-03-05",
]


@pytest.mark.parametrize("url", VALUE_URLS)
def test_filter_value_url_uses_one_find_whatever_the_page_size(commands_of, url):
    joiner = "&" if "?" in url else "?"
    for size in PAGE_SIZES:
        commands, body = commands_of(f"{url}{joiner}count={size}")
        print(f"GET {url} count={size}: {len(commands)} commands {commands}")
        assert len(body) == size, (url, size, len(body))
        assert commands == ["find"], (url, size, commands)


@pytest.mark.parametrize("url", ["/runs/branch/main/", "/runs/sha1/ab/flavor/crimson/"])
def test_later_pages_cost_the_same(commands_of, url):
    for size in PAGE_SIZES:
        commands, body = commands_of(f"{url}?count={size}&page=2")
        print(f"GET {url} count={size} page=2: {len(commands)} commands {commands}")
        assert len(body) == min(size, BULK - size), (url, size, len(body))
        # A page the runs do not fill: the local database's policy reads every window, but a
        # sha1 prefix's range it reads whole, at once (query_policy.SecantusDBQueries.newest).
        windows = 1 if (commands_of.query_policy == "mongodb" or len(body) == size
                        or url.startswith("/runs/sha1/")) else len(WINDOW_DAYS) + 1
        assert commands == ["find"] * windows, (url, size, commands)


JOB_SEARCH_URLS = [
    "/jobs/", "/jobs/?status=queued", "/jobs/?branch=main", "/jobs/?user=alice",
    f"/jobs/?sha1={SHA_BULK}", "/jobs/?description=rados", "/jobs/?posted_after=2000-01-01",
    "/jobs/?posted_before=2999-01-01", "/jobs/?status=queued&branch=main&user=alice",
    f"/jobs/?sha1={SHA_BULK}&branch=next&status=queued",
]
JOB_SEARCH_COMMANDS = ["find"]


@pytest.mark.parametrize("url", JOB_SEARCH_URLS)
def test_job_search_uses_one_find_whatever_the_page_size(commands_of, url):
    joiner = "&" if "?" in url else "?"
    for size in PAGE_SIZES:
        commands, body = commands_of(f"{url}{joiner}count={size}")
        print(f"GET {url} count={size}: {len(commands)} commands {commands}")
        assert len(body) == size, (url, size, len(body))
        assert commands == JOB_SEARCH_COMMANDS, (url, size, commands)


def test_latest_runs_cost_the_same_whatever_the_page_size(commands_of):
    for size in PAGE_SIZES:
        commands, body = commands_of(f"/runs/?count={size}")
        print(f"GET /runs/ count={size}: {len(commands)} commands {commands}")
        assert len(body) == size
        assert commands == ["find"]


# --- unpaginated lists: the same cost for 1, 10 or 40 rows ---------------------------------

# (url template, expected number of commands). Index URLs: one distinct/aggregate; date
# ranges: one find; the queue: the queued jobs' runs (distinct), then the runs (find).
UNPAGINATED = [
    ("/runs/branch/", 1), ("/runs/suite/", 1), ("/runs/machine_type/", 1), ("/runs/status/", 1),
    ("/runs/user/", 1), ("/runs/sha1/", 1), ("/runs/flavors/", 1), ("/runs/flavor/", 1),
    ("/runs/date/", 1),
    ("/runs/machine_type/plana/branch/", 1), ("/runs/machine_type/plana/suite/", 1),
    ("/runs/machine_type/plana/user/", 1), ("/runs/machine_type/plana/sha1/", 1),
    ("/runs/machine_type/plana/flavor/", 1), ("/runs/machine_type/plana/date/", 1),
    ("/runs/sha1/0/flavors/", 1), ("/runs/flavor/vanilla/sha1/", 1),
    ("/runs/date/from/2020-01-01/to/2030-12-31/", 1),
    ("/runs/machine_type/plana/date/from/2020-01-01/to/2030-12-31/", 1),
    ("/runs/queued/", 1),
]


def add_distinct_runs(client, start, stop):
    """Runs whose every attribute (branch, suite, user, sha1, flavor, day) is distinct, all
    machine type plana, each with one queued job."""
    for index in range(start, stop):
        when = datetime(2024, 1, 1) + timedelta(days=index)
        run = f"u{index:02d}-{when:%Y-%m-%d_%H:%M:%S}-rados-b{index:02d}-k{index}-basic-plana"
        post_job(client, run, {"job_id": "1", "status": "queued", "sha1": f"{index:040d}",
                               "flavor": f"vanilla{index:02d}" if index else "vanilla",
                               "suite": f"s{index:02d}", "branch": f"b{index:02d}",
                               "machine_type": "plana"})


def version_reads(url):
    """The commands a list of values following the run values' version (services/
    run_values.py) sends before its own: marked runs looked for, the version read."""
    segments = [segment for segment in url.split("/")[2:] if segment]
    run_filter = parse_filter_path(segments, "UTC") if segments != ["queued"] else None
    if run_filter is None or run_filter.listing is None or not run_filters.versioned(run_filter):
        return []
    return ["find", "find"]


@pytest.mark.parametrize("query_policy", QUERY_POLICIES)
def test_unpaginated_lists_cost_the_same_for_1_10_and_40_rows(mongo_backend, query_policy):
    """Each list read after the run values' version moved, then read again: a list of values
    that follows the version is then served from the app's cache."""
    with counting_client(mongo_backend, query_policy) as (client, commands):
        database = client.application.extensions["paddles"].database
        seen = {url: {} for url, _ in UNPAGINATED}
        created = 0
        for rows in (1, 10, 40):
            add_distinct_runs(client, created, rows)
            created = rows
            # The new runs' marks: one reader moves the version and clears them.
            names, _ = commands("/runs/branch/")
            assert names[:1] == ["find"] and names[-2:] == ["update", "distinct"], names
            for url, _ in UNPAGINATED:
                database.take_numbers(run_values.VERSION)
                names, body = commands(url + "?count=2")
                assert isinstance(body, list) and body, (url, rows, body)
                again, body_again = commands(url + "?count=2")
                assert body_again == body, url
                seen[url][rows] = (names, again)
        for url, expected in UNPAGINATED:
            print(f"GET {url}: commands for 1/10/40 rows: {seen[url]}")
        for url, expected in UNPAGINATED:
            versioned = version_reads(url)
            assert [len(names) for names, _ in seen[url].values()] == [
                len(versioned) + expected] * 3, (url, seen[url])
            assert [again for _, again in seen[url].values()] == [
                versioned or names for names, _ in seen[url].values()], (url, seen[url])
