"""No list route scans a collection (spec §8: every filter, index listing, queue and search is
served by an index; §8.2's slow queries were all scans).

For each route shape, the MongoDB read commands the request sends (find, aggregate, distinct,
captured with a pymongo CommandListener) are re-run through `explain` (queryPlanner verbosity)
and the winning plan must not contain a COLLSCAN stage anywhere."""
import copy
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest

from paddles_mongo.db import Database
from tests.integration.conftest import CommandRecorder, app_on_fresh_database, post_job

READ_COMMANDS = ("find", "aggregate", "distinct")
SESSION_KEYS = ("lsid", "$db", "$clusterTime", "$readPreference", "txnNumber",
                "readConcern", "$readConcern", "startTransaction", "autocommit", "apiVersion")
BRANCHES = ("main", "next", "squid")
SUITES = ("rados", "fs", "rbd")
MACHINE_TYPES = ("smithi", "mira", "plana")
USERS = ("alice", "bob", "carol", "dave", "erin")
FLAVORS = ("default", "crimson", "notcmalloc")
# Job statuses per run, cycled, so runs get many stored statuses (§5.4): queued, finished
# pass, finished fail, running, finished dead, waiting, queued (rule 9), finished fail.
RUN_JOB_STATUSES = (("queued", "queued", "queued"), ("pass", "pass", "pass"),
                    ("pass", "fail", "queued"), ("running", "queued", "pass"),
                    ("dead", "dead", "dead"), ("waiting", "queued", "queued"),
                    ("pass", "queued", "queued"), ("pass", "dead", "pass"))
RUN_COUNT = 30
JOBS_PER_RUN = 3


def sha1_of(number):
    return f"{number:04x}" * 10


class ReadCapture(CommandRecorder):
    """Keeps a copy of every read command sent."""

    def record(self, event):
        if event.command_name in READ_COMMANDS:
            return copy.deepcopy(dict(event.command))
        return None


def run_names():
    """RUN_COUNT runs 23 hours apart from 2024-03-01, plus one scheduled today."""
    today = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    names = []
    for index in range(RUN_COUNT + 1):
        when = datetime(2024, 3, 1) + timedelta(hours=23 * index)
        if index == RUN_COUNT:
            when = today
        names.append(f"{USERS[index % len(USERS)]}-{when:%Y-%m-%d_%H:%M:%S}-"
                     f"{SUITES[index % 3]}-{BRANCHES[index % 3]}-k{index}-basic-plana")
    return names


RUNS = run_names()


@pytest.fixture(scope="module")
def plans(mongo_server_uri):
    """(client, capture, explainer): an app whose database reports its read commands, and a
    second connection to the same database to explain them on."""
    capture = ReadCapture()
    with app_on_fresh_database(mongo_server_uri, "test_plans", [capture]) as (client, settings):
        for index, run in enumerate(RUNS):
            for job in range(JOBS_PER_RUN):
                number = index * JOBS_PER_RUN + job
                post_job(client, run, {
                    "job_id": str(job + 1), "name": run,
                    "status": RUN_JOB_STATUSES[index % len(RUN_JOB_STATUSES)][job],
                    "sha1": sha1_of(number % 17), "flavor": FLAVORS[number % 3],
                    "branch": BRANCHES[index % 3], "suite": SUITES[index % 3],
                    "machine_type": MACHINE_TYPES[index % 3], "user": USERS[number % 5],
                    "description": f"{SUITES[index % 3]}/thrash/{number}"})
        explainer = Database(settings)
        try:
            yield client, capture, explainer
        finally:
            explainer.close()


RUN = quote(RUNS[3])  # one running, one queued, one passed job
SHA = sha1_of(5)

ROUTES = [
    # each dimension alone, value URL
    "/runs/branch/main/", "/runs/suite/rados/", "/runs/machine_type/smithi/",
    "/runs/status/queued/", "/runs/status/finished%20fail/", "/runs/user/alice/",
    "/runs/sha1/0005/", f"/runs/sha1/{SHA}/", "/runs/flavors/default/", "/runs/flavor/crimson/",
    "/runs/date/2024-03-05/", "/runs/date/today/",
    # each dimension alone, index URL
    "/runs/branch/", "/runs/suite/", "/runs/machine_type/", "/runs/status/", "/runs/user/",
    "/runs/sha1/", "/runs/flavors/", "/runs/flavor/", "/runs/date/",
    # chains of 2-3 dimensions (values and indexes)
    "/runs/branch/main/suite/rados/", "/runs/branch/main/machine_type/smithi/",
    "/runs/branch/next/sha1/00/", "/runs/sha1/00/flavor/default/",
    "/runs/flavor/default/sha1/00/", "/runs/status/queued/suite/fs/",
    "/runs/user/alice/date/2024-03-10/", "/runs/date/2024-03-10/branch/next/",
    "/runs/machine_type/mira/status/finished%20fail/user/carol/",
    "/runs/branch/main/machine_type/smithi/sha1/000/",
    "/runs/flavors/crimson/user/alice/suite/rados/",
    "/runs/branch/main/suite/", "/runs/branch/next/flavor/", "/runs/suite/rados/sha1/",
    "/runs/date/2024-03-05/branch/", "/runs/sha1/00/flavor/", "/runs/flavor/default/sha1/",
    "/runs/status/queued/user/", "/runs/branch/main/machine_type/smithi/status/",
    "/runs/user/alice/date/", "/runs/sha1/0001/date/",
    # since, pages
    "/runs/branch/main/?since=2024-03-10", "/runs/sha1/00/?since=2024-03-10",
    "/runs/flavor/default/?since=2024-03-10", "/runs/status/queued/?since=2024-03-10",
    "/runs/suite/rados/branch/main/?since=2024-03-10&count=2&page=2",
    "/runs/user/alice/?count=2&page=3",
    # date ranges
    "/runs/date/from/2024-03-05/to/2024-03-12/", "/runs/user/alice/date/from/2024-03-01/to/2024-03-31/",
    "/runs/branch/main/machine_type/smithi/date/from/2024-03-01/to/2024-03-20/",
    "/runs/sha1/00/date/from/2024-03-01/to/2024-03-20/",
    # queue, latest runs
    "/runs/queued/", "/runs/", "/runs/?count=5&page=3", "/runs/?fields=name,status",
    # job search: each filter alone, then combined
    "/jobs/", "/jobs/?description=thrash", "/jobs/?status=queued", f"/jobs/?sha1={SHA}",
    "/jobs/?branch=next", "/jobs/?user=bob", "/jobs/?posted_after=2024-01-01",
    "/jobs/?posted_before=2099-01-01", "/jobs/?count=5&page=4",
    "/jobs/?status=queued&branch=main&user=alice", f"/jobs/?sha1={SHA}&branch=main",
    "/jobs/?description=rados&status=pass", "/jobs/?user=carol&posted_after=2024-01-01",
    "/jobs/?status=dead&posted_after=2024-01-01&posted_before=2099-01-01&count=3&page=2",
    # one run: its page and its job list
    f"/runs/{RUN}/", f"/runs/{RUN}/jobs/", f"/runs/{RUN}/jobs/?status=queued",
    f"/runs/{RUN}/jobs/?fields=job_id,status,description", f"/runs/{RUN}/jobs/2/",
]


def explainable(command):
    return {key: value for key, value in command.items() if key not in SESSION_KEYS}


def winning_plans(node):
    """Every winning plan in an explain output, however nested (find, distinct, aggregate
    `$cursor` stages, SBE `queryPlan` shapes)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("winningPlan", "queryPlan"):
                yield value
            else:
                yield from winning_plans(value)
    elif isinstance(node, list):
        for item in node:
            yield from winning_plans(item)


def contains_collscan(node):
    if isinstance(node, dict):
        return any(contains_collscan(value) for value in node.values())
    if isinstance(node, list):
        return any(contains_collscan(item) for item in node)
    return node == "COLLSCAN"


@pytest.mark.parametrize("url", ROUTES)
def test_route_reads_never_scan_a_collection(plans, url):
    client, capture, explainer = plans
    capture.commands.clear()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.data)
    assert response.get_json(), f"{url}: no data; the plan would prove nothing"
    commands = list(capture.commands)
    assert commands, f"{url}: no read command captured"
    for command in commands:
        explained = explainer.db.command("explain", explainable(command),
                                         verbosity="queryPlanner")
        winners = list(winning_plans(explained))
        assert winners, f"{url}: no winning plan in {json.dumps(explained, default=str)}"
        for plan in winners:
            assert not contains_collscan(plan), (
                f"{url}: COLLSCAN for {json.dumps(explainable(command), default=str)}\n"
                f"winning plan: {json.dumps(plan, default=str)}")
