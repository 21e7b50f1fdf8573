"""No list route scans a collection (spec §8: every filter, index listing, queue and search is
served by an index; §8.2's slow queries were all scans).

For each route shape, the MongoDB read commands the request sends (find, aggregate, distinct,
captured with a pymongo CommandListener) are re-run through `explain` (queryPlanner verbosity)
and the winning plan must not contain a COLLSCAN stage anywhere."""
import contextlib
import copy
import itertools
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest

from paddles_mongo.db import MARKED_RUNS_INDEX
from paddles_mongo.query_policy import CHOICES
from paddles_mongo.services import run_values
from paddles_mongo.run_dimensions import DIMENSION_PAIRS, RUN_DIMENSIONS
from tests.integration.support import (CommandRecorder, FrozenClock, app_on_fresh_database,
                                       post_job)

pytestmark = pytest.mark.wire(reason="explains the queries sent (explain): the server's query plans")

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


def run_name(index, when):
    return (f"{USERS[index % len(USERS)]}-{when:%Y-%m-%d_%H:%M:%S}-"
            f"{SUITES[index % 3]}-{BRANCHES[index % 3]}-k{index}-basic-plana")


# RUN_COUNT runs 23 hours apart from 2024-03-01; `fill` adds one scheduled today.
RUNS = [run_name(index, datetime(2024, 3, 1) + timedelta(hours=23 * index))
        for index in range(RUN_COUNT)]


def fill(client, today):
    for index, run in enumerate(RUNS + [run_name(RUN_COUNT, today)]):
        for job in range(JOBS_PER_RUN):
            number = index * JOBS_PER_RUN + job
            post_job(client, run, {
                "job_id": str(job + 1), "name": run,
                "status": RUN_JOB_STATUSES[index % len(RUN_JOB_STATUSES)][job],
                "sha1": sha1_of(number % 17), "flavor": FLAVORS[number % 3],
                "branch": BRANCHES[index % 3], "suite": SUITES[index % 3],
                "machine_type": MACHINE_TYPES[index % 3], "user": USERS[number % 5],
                "description": f"{SUITES[index % 3]}/thrash/{number}",
                "targets": {f"ubuntu@{MACHINE_TYPES[index % 3]}{number % 4:03d}": "ssh-rsa A"}})


@contextlib.contextmanager
def explained_app(mongo_backend, query_policy="auto"):
    """(client, capture, explainer): an app whose database reports its read commands, and a
    second connection to the same database to explain them on."""
    capture = ReadCapture()
    # The server's clock stays at the fill's time: a module's routes are read for minutes,
    # and `/runs/date/today/` must still find the run scheduled today after a midnight.
    with pytest.MonkeyPatch.context() as patch, app_on_fresh_database(
            mongo_backend, "test_plans", [capture],
            query_policy=query_policy) as (client, settings):
        clock = FrozenClock(patch)
        clock.utc = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
        fill(client, clock.utc)
        explainer = mongo_backend.database(settings)
        try:
            yield client, capture, explainer
        finally:
            explainer.close()


@pytest.fixture(scope="module")
def plans(mongo_backend):
    with explained_app(mongo_backend) as explained:
        yield explained


@pytest.fixture(scope="module", params=[choice for choice in CHOICES if choice != "auto"])
def plans_by_policy(request, mongo_backend):
    """`plans` under each query policy in turn (query_policy.py)."""
    with explained_app(mongo_backend, request.param) as explained:
        yield explained


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
    # fields where the original had none
    f"/runs/{RUN}/?fields=name,status,results", f"/runs/{RUN}/jobs/2/?fields=status",
    "/runs/branch/main/suite/rados/?fields=name,status", "/jobs/?status=queued&fields=job_id",
    "/nodes/?fields=name,locked", "/nodes/?machine_type=smithi&fields=name",
    # the lab's questions
    "/tests/history/?suite=rados&description=rados/thrash/0", f"/runs/{RUN}/compare/",
    f"/runs/{RUN}/compare/?baseline={quote(RUNS[0])}", "/failures/?since_days=30",
    "/failures/?branch=main&suite=rados", "/failures/jobs/?signature=",
    "/trends/?suite=rados&days=3000", "/trends/?suite=fs&branch=next",
    # nodes: pulpito's stats page, a node's job history
    "/nodes/job_stats/", "/nodes/job_stats/?machine_type=smithi&since_days=3",
    "/nodes/smithi001/jobs/?count=5&page=2", "/nodes/mira002/jobs/?status=pass",
]


def explainable(command):
    return {key: value for key, value in command.items() if key not in SESSION_KEYS}


def values_under(node, key):
    """Every value of `key` in an explain output, however nested."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key:
                yield value
            else:
                yield from values_under(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from values_under(item, key)


def winning_plans(explained):
    """Every winning plan in an explain output (find, distinct, aggregate `$cursor` stages, SBE
    `queryPlan` shapes)."""
    for key in ("winningPlan", "queryPlan"):
        yield from values_under(explained, key)


def contains_collscan(node):
    if isinstance(node, dict):
        return any(contains_collscan(value) for value in node.values())
    if isinstance(node, list):
        return any(contains_collscan(item) for item in node)
    return node == "COLLSCAN"


def plans_of(plans, url):
    """GET `url`; [(read command, its winning plan)] of every read command it sent."""
    client, capture, explainer = plans
    capture.commands.clear()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.data)
    assert response.get_json(), f"{url}: no data; the plan would prove nothing"
    commands = list(capture.commands)
    assert commands, f"{url}: no read command captured"
    found = []
    for command in commands:
        explained = explainer.db.command("explain", explainable(command),
                                         verbosity="queryPlanner")
        winners = list(winning_plans(explained))
        assert winners, f"{url}: no winning plan in {json.dumps(explained, default=str)}"
        found += [(command, plan) for plan in winners]
    return found


@pytest.mark.parametrize("url", ROUTES)
def test_route_reads_never_scan_a_collection(plans, url):
    for command, plan in plans_of(plans, url):
        assert not contains_collscan(plan), (
            f"{url}: COLLSCAN for {json.dumps(explainable(command), default=str)}\n"
            f"winning plan: {json.dumps(plan, default=str)}")


# A value of each run filter dimension that the filled runs hold. A dimension added to
# run_dimensions.py needs one here: the tests below cover every dimension of the table.
DIMENSION_VALUES = {"sha1": "00", "date": "2024-03-01", "user": "alice", "branch": "main",
                    "suite": "rados", "machine_type": "smithi", "flavor": "default",
                    "status": "queued"}


def index_names(plan):
    """The names of the indexes a plan reads."""
    return values_under(plan, "indexName")


def indexes_read(plans, url):
    """The indexes the winning plans of the request's read commands use."""
    used = set()
    for _command, plan in plans_of(plans, url):
        assert not contains_collscan(plan), (url, json.dumps(plan, default=str))
        used.update(index_names(plan))
    return used


def test_node_job_stats_read_the_runs_of_the_period_and_no_job(plans_by_policy):
    """Every run's jobs were posted in the period: no run straddles its start."""
    assert indexes_read(plans_by_policy, "/nodes/job_stats/") == {"jobs_posted_last"}
    assert indexes_read(plans_by_policy, "/nodes/job_stats/?machine_type=mira") == {
        "machine_type_seq", "jobs_posted_last"}


@pytest.mark.parametrize("url", ["/jobs/?description=thrash", "/jobs/?description=s/thr&count=2"])
def test_description_search_reads_the_grams_index_where_the_server_has_it(plans_by_policy, url):
    policy = plans_by_policy[0].application.extensions["paddles"].database.policy
    expected = {"mongodb": {"description_grams_posted"}, "secantusdb": {"posted"}}
    assert indexes_read(plans_by_policy, url) == expected[policy.name]


def test_flaky_tests_read_the_runs_of_the_period_and_their_jobs(plans_by_policy):
    """No test of the fill is flaky (each description runs once): the reads still count."""
    client, capture, explainer = plans_by_policy
    capture.commands.clear()
    assert client.get("/tests/flaky/?suite=rados&branch=main").status_code == 200
    used = set()
    for command in list(capture.commands):
        explained = explainer.db.command("explain", explainable(command),
                                         verbosity="queryPlanner")
        for plan in winning_plans(explained):
            assert not contains_collscan(plan), json.dumps(plan, default=str)
            used.update(index_names(plan))
    assert used == {"jobs_posted_last", "run_job_id_unique"}


def test_a_test_history_and_a_signatures_jobs_read_their_own_index(plans_by_policy):
    assert indexes_read(plans_by_policy,
                        "/tests/history/?suite=rados&description=rados/thrash/0") == {
        "test_id_posted"}
    assert indexes_read(plans_by_policy, "/failures/jobs/?signature=") == {
        "failure_signature_posted"}


def test_queued_runs_read_an_index_of_only_the_runs_with_queued_jobs(plans_by_policy):
    assert indexes_read(plans_by_policy, "/runs/queued/") == {"queued_scheduled"}


# The dimension pairs with an index of their own (run_dimensions.DIMENSION_PAIRS).
PAIR_INDEXES = {frozenset(("branch", "suite")): "branch_suite_scheduled"}


def test_every_dimension_of_the_table_has_a_sample_value():
    assert set(DIMENSION_VALUES) == {dimension.segment for dimension in RUN_DIMENSIONS}


def values_read(plans, url):
    """indexes_read of a list of filter values read, not served from the app's cache: the run
    values' version moved first, as by a change (services/run_values.py). The version itself
    is read by its `_id`."""
    plans[2].take_numbers(run_values.VERSION)
    used = set()
    for command, plan in plans_of(plans, url):
        assert not contains_collscan(plan), (url, json.dumps(plan, default=str))
        if command.get("find") == "counters":
            assert command["filter"] == {"_id": run_values.VERSION}, command
        else:
            used.update(index_names(plan))
    return used


@pytest.mark.parametrize("dimension", RUN_DIMENSIONS, ids=lambda d: d.segment)
def test_a_dimension_reads_its_own_index(plans_by_policy, dimension):
    value = DIMENSION_VALUES[dimension.segment]
    assert indexes_read(plans_by_policy, f"/runs/{dimension.segment}/{value}/") == {
        dimension.index}
    # A list of values that follows the version first looks for runs marked by a change.
    marks = set() if dimension.counted else {MARKED_RUNS_INDEX}
    assert values_read(plans_by_policy, f"/runs/{dimension.segment}/") == {
        dimension.index, *marks}


@pytest.mark.parametrize("first, second", list(itertools.permutations(RUN_DIMENSIONS, 2)),
                         ids=lambda d: d.segment)
def test_a_chain_reads_the_index_of_its_most_selective_dimension(plans_by_policy, first,
                                                                 second):
    url = (f"/runs/{first.segment}/{DIMENSION_VALUES[first.segment]}/"
           f"{second.segment}/{DIMENSION_VALUES[second.segment]}/")
    client = plans_by_policy[0]
    if not client.get(url).get_json():
        pytest.fail(f"{url}: no run matches; pick DIMENSION_VALUES that meet")
    intended = PAIR_INDEXES.get(frozenset((first.segment, second.segment)),
                                min(first, second, key=RUN_DIMENSIONS.index).index)
    assert indexes_read(plans_by_policy, url) == {intended}, url


def test_the_pairs_of_the_table_are_those_these_tests_expect():
    assert {frozenset(d.segment for d in pair.dimensions): pair.index
            for pair in DIMENSION_PAIRS} == PAIR_INDEXES


@pytest.mark.parametrize("url, intended", [
    ("/runs/branch/main/suite/rados/machine_type/smithi/", "branch_suite_scheduled"),
    ("/runs/machine_type/smithi/suite/rados/branch/main/", "branch_suite_scheduled"),
    # a dimension more selective than the pair's: its own index
    ("/runs/user/alice/branch/main/suite/rados/", "user_scheduled"),
    ("/runs/branch/main/suite/rados/sha1/00/", "sha1s_scheduled"),
])
def test_a_chain_with_a_pair_reads_the_pair_index_unless_a_dimension_is_more_selective(
        plans_by_policy, url, intended):
    assert indexes_read(plans_by_policy, url) == {intended}, url


def test_the_suites_of_a_branch_read_an_index_of_the_branch(plans_by_policy):
    """MongoDB is told the pair's index (a distinct scan); the local database, which a hint
    costs the whole index, walks the runs of the branch on the index its planner picks."""
    policy = plans_by_policy[0].application.extensions["paddles"].database.policy
    expected = {"mongodb": {"branch_suite_scheduled"},
                "secantusdb": {"branch_scheduled", "branch_suite_scheduled"}}
    read = values_read(plans_by_policy, "/runs/branch/main/suite/") - {MARKED_RUNS_INDEX}
    assert len(read) == 1 and read <= expected[policy.name], read


# Pages after a cursor (services/paging.py) read the index of the list's first page.
CURSOR_LISTS = ["/runs/?count=2", "/runs/branch/main/?count=2",
                "/runs/suite/rados/branch/main/?count=1", "/runs/sha1/00/?count=2",
                "/jobs/?count=2", "/jobs/?status=queued&count=2", f"/jobs/?sha1={SHA}&count=1",
                "/nodes/?count=2", "/nodes/?machine_type=smithi&count=1",
                "/nodes/smithi001/jobs/?count=2"]


@pytest.mark.parametrize("url", CURSOR_LISTS)
def test_a_page_after_a_cursor_reads_the_index_of_the_first_page(plans_by_policy, url):
    client = plans_by_policy[0]
    first = indexes_read(plans_by_policy, url)
    cursor = client.get(url).headers["X-Next-Cursor"]
    assert indexes_read(plans_by_policy, f"{url}&after={cursor}") == first, url


@pytest.mark.parametrize("url", [f"/runs/{RUN}/", f"/runs/{RUN}/jobs/?status=queued"])
def test_a_304_reads_the_run_by_its_name_alone(plans_by_policy, url):
    client, capture, explainer = plans_by_policy
    tag = client.get(url).headers["ETag"]
    capture.commands.clear()
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
    command, = capture.commands
    assert command["find"] == "runs"
    plans = list(winning_plans(explainer.db.command("explain", explainable(command),
                                                    verbosity="queryPlanner")))
    assert {name for plan in plans for name in index_names(plan)} == {"name_unique"}


# Each events page reads the sequence on its filter's (key, seq) index; the local database's
# windows also read the newest seq on the sequence's own.
EVENT_PAGES = {"/events/?after=3&limit=10": "seq_unique",
               "/events/?type=job.created,run.updated&limit=5": "type_seq",
               f"/events/?run={RUN}&after=2": "run_seq", "/events/?node=smithi001": "node_seq",
               "/events/?node=smithi001&type=node.created": "node_seq"}


@pytest.mark.parametrize("url", EVENT_PAGES)
def test_event_pages_read_the_sequence_on_their_filters_index(plans_by_policy, url):
    assert indexes_read(plans_by_policy, url) in ({EVENT_PAGES[url]},
                                                  {EVENT_PAGES[url], "seq_unique"})


def test_node_history_reads_the_nodes_events(plans_by_policy):
    client = plans_by_policy[0]
    assert client.put("/nodes/smithi002/lock", json={
        "locked": True, "locked_by": "alice", "description": "plans"}).status_code == 200
    assert indexes_read(plans_by_policy, "/nodes/smithi002/history/") == {"node_seq"}
    assert client.put("/nodes/smithi002/lock", json={
        "locked": False, "locked_by": "alice"}).status_code == 200
