"""§3.2 run filter routes: `/runs/{dim}/` (index: distinct values) and `/runs/{dim}/{value}/`
(value: matching runs), chained in any order and depth; date rules, `since`, pagination (§2.5,
§2.7), the §10 fixes (rows 13-15 and 19), and ports of the upstream filter tests (§7.2
test_runs_by_*, test_get_*, TestRunControllerDateFilters).

Runs get `scheduled` from the timestamp in their name (§5.1) and suite/branch/machine_type from
their jobs (§5.2 step 8); their stored status -- what `/runs/status/` filters -- is derived from
their jobs (§5.4). sha1 and flavor are the values of the run's jobs."""
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import quote

import pytest

from tests.integration.support import (ADDRESS, DATE_ERROR, RUN_KEYS, app_on_fresh_database,
                                        assert_envelope, create_run, listing, names, post_job,
                                        put_job)

SHA_ABC1 = "abc1" + "1" * 36
SHA_ABD2 = "abd2" + "2" * 36
SHA_ABC3_UPPER = "ABC3" + "3" * 36
SHA_ABC4 = "abc4" + "4" * 36
SHA_FFF5 = "fff5" + "5" * 36
KNOWN_MACHINE_TYPES = ("burnupi", "mira", "plana", "saya", "tala", "vps")  # §5.1


def run_name(user, scheduled, suite, branch, machine_type, tag):
    """A teuthology run name whose timestamp is `scheduled` (UTC: the tests' server zone).
    `tag` sits in the kernel slot, so it never changes what the name parses to."""
    return f"{user}-{scheduled:%Y-%m-%d_%H:%M:%S}-{suite}-{branch}-{tag}-basic-{machine_type}"


@dataclass
class Run:
    tag: str
    user: str
    scheduled: datetime
    suite: str
    branch: str
    machine_type: str
    jobs: list = field(default_factory=list)   # (status, sha1, flavor)
    status: str = "empty"                      # expected stored status (§5.4)

    @property
    def name(self):
        return run_name(self.user, self.scheduled, self.suite, self.branch, self.machine_type,
                        self.tag)

    @property
    def sha1s(self):
        return {sha1 for _, sha1, _ in self.jobs if sha1}

    @property
    def flavors(self):
        return {flavor for _, _, flavor in self.jobs if flavor}


def add_run(client, run):
    """Create `run` through the API: its jobs carry suite/branch/machine_type (which correct
    the run, §5.2 step 8); a run without jobs keeps what its name parses to."""
    if not run.jobs:
        create_run(client, run.name)
    for number, (status, sha1, flavor) in enumerate(run.jobs, start=1):
        post_job(client, run.name, {"job_id": str(number), "status": status, "sha1": sha1,
                                    "flavor": flavor, "suite": run.suite, "branch": run.branch,
                                    "machine_type": run.machine_type})
    return run.name


# The shared data set, in insertion order. Statuses follow §5.4's table.
R1 = Run("k1", "alice", datetime(2024, 3, 1, 10), "rados", "main", "smithi",
         [("pass", SHA_ABC1, "default")], "finished pass")
R2 = Run("k2", "bob", datetime(2024, 3, 2, 11), "fs", "main", "mira",
         [("fail", SHA_ABD2, "default"), ("pass", SHA_ABC1, "default")], "finished fail")
R3 = Run("k3", "alice", datetime(2024, 3, 3, 12), "rados", "next", "smithi",
         [("queued", SHA_ABC3_UPPER, "crimson")], "queued")
R4 = Run("k4", "carol", datetime(2024, 3, 4, 13), "rbd", "squid", "plana",
         [("running", SHA_ABC4, "default")], "running")
R5 = Run("k5", "bob", datetime(2024, 3, 5, 0, 0, 0), "rados", "main", "smithi",
         [("pass", SHA_FFF5, "notcmalloc")], "finished pass")
R6 = Run("k6", "alice", datetime(2024, 3, 5, 23, 59, 59), "fs", "next", "mira",
         [("dead", SHA_FFF5, "crimson")], "finished dead")
R7 = Run("k7", "carol", datetime(2024, 3, 6, 0, 0, 0), "rados", "main", "plana", [], "empty")
R8 = Run("k8", "dave", datetime(2024, 3, 5, 12), "rados", "main", "smithi",
         [("pass", SHA_ABC1, "default"), ("pass", SHA_FFF5, "crimson")], "finished pass")
RUNS = [R1, R2, R3, R4, R5, R6, R7, R8]


# --- the oracle: what the spec says each URL answers, computed from RUNS ----------------------

def matches(run, dimension, value):
    if dimension == "sha1":
        return any(sha1.startswith(value) for sha1 in run.sha1s)   # prefix, case-sensitive
    if dimension in ("flavor", "flavors"):
        return value in run.flavors
    if dimension == "date":
        return run.scheduled.date().isoformat() == value
    if dimension == "status":
        return run.status == value
    return getattr(run, dimension) == value


def matching(pairs, runs=RUNS):
    return [run for run in runs if all(matches(run, dim, value) for dim, value in pairs)]


def newest_first(runs):
    """scheduled descending, ties by insertion (_id) descending."""
    order = {id(run): index for index, run in enumerate(RUNS)}
    return [run.name for run in sorted(runs, key=lambda r: (r.scheduled, order.get(id(r), 0)),
                                       reverse=True)]


def expected_runs(pairs):
    return newest_first(matching(pairs))


def values_of(run, dimension):
    if dimension == "sha1":
        return run.sha1s
    if dimension in ("flavor", "flavors"):
        return run.flavors
    if dimension == "date":
        return {run.scheduled.date().isoformat()}
    if dimension == "status":
        return {run.status}
    return {getattr(run, dimension)}


def expected_values(dimension, pairs=()):
    values = set()
    for run in matching(pairs):
        values |= values_of(run, dimension)
    return sorted(value for value in values if value)


def path(pairs, listing=None):
    segments = []
    for dimension, value in pairs:
        segments += [dimension, quote(value)]
    if listing:
        segments.append(listing)
    return "/runs/" + "".join(f"{segment}/" for segment in segments)


def assert_date_error(response):
    message = assert_envelope(response, 400)
    assert message.startswith(DATE_ERROR), message


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dataset(mongo_backend):
    """A test client on a database holding RUNS (read-only; shared by this module)."""
    with app_on_fresh_database(mongo_backend, "test_filters") as (client, _settings):
        for run in RUNS:
            add_run(client, run)
        yield client


def test_dataset_runs_have_the_attributes_the_filters_read(dataset):
    # The premise of every test below: names give scheduled/user, jobs correct suite/branch/
    # machine_type, stored status follows §5.4.
    response = dataset.get("/runs/", query_string={
        "fields": "name,user,scheduled,suite,branch,machine_type,status", "count": 100})
    by_name = {run["name"]: run for run in listing(response)}
    for run in RUNS:
        assert by_name[run.name] == {
            "name": run.name, "user": run.user, "scheduled": str(run.scheduled),
            "suite": run.suite, "branch": run.branch, "machine_type": run.machine_type,
            "status": run.status}


# --- index URLs: /runs/{dim}/ -----------------------------------------------------------------

def test_branch_index_lists_distinct_branches_sorted(dataset):
    assert listing(dataset.get("/runs/branch/")) == ["main", "next", "squid"]


def test_suite_index_lists_distinct_suites_sorted(dataset):
    assert listing(dataset.get("/runs/suite/")) == ["fs", "rados", "rbd"]


def test_machine_type_index_lists_distinct_machine_types_sorted(dataset):
    assert listing(dataset.get("/runs/machine_type/")) == ["mira", "plana", "smithi"]


def test_status_index_lists_distinct_stored_statuses_sorted(dataset):
    assert listing(dataset.get("/runs/status/")) == [
        "empty", "finished dead", "finished fail", "finished pass", "queued", "running"]


def test_user_index_lists_distinct_users_sorted(dataset):
    assert listing(dataset.get("/runs/user/")) == ["alice", "bob", "carol", "dave"]


def test_sha1_index_lists_distinct_job_sha1s_sorted_in_code_point_order(dataset):
    assert listing(dataset.get("/runs/sha1/")) == [
        SHA_ABC3_UPPER, SHA_ABC1, SHA_ABC4, SHA_ABD2, SHA_FFF5]


@pytest.mark.parametrize("dimension", ["flavors", "flavor"])
def test_flavor_index_lists_distinct_job_flavors_sorted(dataset, dimension):
    assert listing(dataset.get(f"/runs/{dimension}/")) == ["crimson", "default", "notcmalloc"]


def test_date_index_lists_distinct_scheduled_days(dataset):
    assert listing(dataset.get("/runs/date/")) == [
        "2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "2024-03-05", "2024-03-06"]


@pytest.mark.parametrize("dimension", ["branch", "suite", "machine_type", "status", "user",
                                       "sha1", "flavors", "flavor", "date"])
def test_index_of_an_empty_database_is_an_empty_list(client, dimension):
    assert listing(client.get(f"/runs/{dimension}/")) == []


@pytest.mark.parametrize("dimension", ["branch", "suite", "machine_type", "user", "sha1",
                                       "flavors", "status"])
def test_index_values_are_non_empty_strings(client, dimension):
    # `whatup` parses to nothing (§5.1: user/suite/branch/machine_type ""); its jobs have no
    # sha1 or flavor, or empty ones. None of that is a value to list.
    create_run(client, "whatup")
    post_job(client, "whatup-2", {"job_id": "1", "status": "queued", "sha1": None,
                                  "flavor": None})
    post_job(client, "whatup-3", {"job_id": "1", "status": "queued", "sha1": "",
                                  "flavor": ""})
    add_run(client, Run("k1", "alice", datetime(2024, 3, 1), "rados", "main", "smithi",
                        [("pass", SHA_ABC1, "default")]))
    values = listing(client.get(f"/runs/{dimension}/"))
    assert values == sorted(values)
    assert all(isinstance(value, str) and value for value in values), values
    assert len(values) >= 1


# --- value URLs: /runs/{dim}/{value}/ ---------------------------------------------------------

def test_branch_value_lists_matching_runs_newest_scheduled_first(dataset):
    assert names(dataset.get("/runs/branch/main/")) == [R7.name, R8.name, R5.name, R2.name,
                                                       R1.name]


def test_suite_value_lists_matching_runs(dataset):
    assert names(dataset.get("/runs/suite/fs/")) == [R6.name, R2.name]


def test_machine_type_value_lists_matching_runs(dataset):
    assert names(dataset.get("/runs/machine_type/smithi/")) == [R8.name, R5.name, R3.name,
                                                               R1.name]


def test_status_value_with_an_encoded_space(dataset):
    assert names(dataset.get("/runs/status/finished%20pass/")) == [R8.name, R5.name, R1.name]


@pytest.mark.parametrize("status, run", [("finished%20fail", R2), ("finished%20dead", R6),
                                         ("queued", R3), ("running", R4), ("empty", R7)])
def test_status_value_matches_the_stored_status(dataset, status, run):
    assert names(dataset.get(f"/runs/status/{status}/")) == [run.name]


def test_user_value_lists_matching_runs(dataset):
    assert names(dataset.get("/runs/user/alice/")) == [R6.name, R3.name, R1.name]


def test_sha1_value_is_a_prefix_match_listing_each_run_once(dataset):
    # R2 has two jobs whose sha1 starts with "ab": it is listed once.
    assert names(dataset.get("/runs/sha1/ab/")) == [R8.name, R4.name, R2.name, R1.name]


def test_sha1_prefix_match_is_case_sensitive(dataset):
    assert names(dataset.get("/runs/sha1/abc/")) == [R8.name, R4.name, R2.name, R1.name]
    assert names(dataset.get("/runs/sha1/ABC/")) == [R3.name]
    assert names(dataset.get("/runs/sha1/Abc/")) == []


def test_sha1_prefix_that_is_a_full_sha1(dataset):
    assert names(dataset.get(f"/runs/sha1/{SHA_ABC1}/")) == [R8.name, R2.name, R1.name]


def test_sha1_prefix_longer_than_any_sha1_matches_nothing(dataset):
    assert names(dataset.get(f"/runs/sha1/{SHA_ABC1}0/")) == []


def test_sha1_prefix_is_literal_text_not_a_pattern(dataset):
    assert names(dataset.get("/runs/sha1/a.c/")) == []
    assert names(dataset.get("/runs/sha1/.*/")) == []


@pytest.mark.parametrize("dimension", ["flavors", "flavor"])
def test_flavor_value_lists_runs_having_a_job_of_that_flavor(dataset, dimension):
    assert names(dataset.get(f"/runs/{dimension}/crimson/")) == [R6.name, R8.name, R3.name]
    assert names(dataset.get(f"/runs/{dimension}/default/")) == [R8.name, R4.name, R2.name,
                                                                 R1.name]


@pytest.mark.parametrize("day", ["2024-03-05", "2024-3-5"])
def test_date_value_lists_that_days_runs_including_midnight_and_23_59_59(dataset, day):
    assert names(dataset.get(f"/runs/date/{day}/")) == [R6.name, R8.name, R5.name]


def test_date_value_non_padded_2013_1_2(client):
    inside = create_run(client, run_name("u", datetime(2013, 1, 2, 5), "rados", "next", "plana",
                                         "in"))
    create_run(client, run_name("u", datetime(2013, 1, 1, 23, 59, 59), "rados", "next", "plana",
                                "before"))
    create_run(client, run_name("u", datetime(2013, 1, 3), "rados", "next", "plana", "after"))
    assert names(client.get("/runs/date/2013-1-2/")) == [inside]


def test_date_value_excludes_a_run_at_23_59_59_and_a_half(client, database):
    # §3.2: `d 00:00:00 <= scheduled <= d 23:59:59` -- a run at 23:59:59.5 is excluded.
    name = create_run(client, run_name("u", datetime(2024, 3, 5, 23, 59, 59), "rados", "main",
                                       "plana", "half"))
    database.runs.update_one({"name": name},
                             {"$set": {"scheduled": datetime(2024, 3, 5, 23, 59, 59, 500000)}})
    assert names(client.get("/runs/date/2024-03-05/")) == []


@pytest.mark.parametrize("dimension, value", [
    ("branch", "nope"), ("suite", "nope"), ("machine_type", "nope"), ("status", "finished"),
    ("user", "nope"), ("sha1", "0"), ("flavors", "nope"), ("flavor", "nope"),
    ("date", "2023-01-01")])
def test_value_matching_nothing_is_an_empty_list(dataset, dimension, value):
    assert names(dataset.get(f"/runs/{dimension}/{value}/")) == []


@pytest.mark.parametrize("url", ["/runs/branch/main/", "/runs/sha1/abc/", "/runs/flavor/default/",
                                 "/runs/date/2024-03-05/",
                                 "/runs/date/from/2024-03-01/to/2024-03-06/"])
def test_value_urls_answer_full_run_json(dataset, url):
    runs = listing(dataset.get(url))
    assert runs
    for run in runs:
        assert list(run) == list(RUN_KEYS)
        assert run["href"] == [f"{ADDRESS}/runs/{run['name']}/"]


def test_value_urls_report_sha1_and_flavor_of_the_first_job(dataset):
    (run,) = listing(dataset.get("/runs/user/dave/"))
    assert run["sha1"] == SHA_ABC1 and run["flavor"] == "default"
    assert run["results"]["pass"] == 2 and run["jobs_count"] == 2


# --- §10 row 13: sha1/flavor listings and chains ----------------------------------------------

def test_flavor_index_in_a_chain_lists_only_flavors_of_matching_runs(dataset):
    # The original listed every job's flavor in the database (cartesian product).
    assert listing(dataset.get("/runs/branch/next/flavor/")) == ["crimson"]


def test_flavors_index_in_a_chain_lists_only_flavors_of_matching_runs(dataset):
    assert listing(dataset.get("/runs/branch/next/flavors/")) == ["crimson"]


def test_sha1_index_in_a_chain_lists_only_sha1s_of_matching_runs(dataset):
    assert listing(dataset.get("/runs/branch/next/sha1/")) == [SHA_ABC3_UPPER, SHA_FFF5]
    assert listing(dataset.get("/runs/user/carol/sha1/")) == [SHA_ABC4]
    assert listing(dataset.get("/runs/status/empty/sha1/")) == []


@pytest.mark.parametrize("url", ["/runs/sha1/fff/flavor/crimson/",
                                 "/runs/flavor/crimson/sha1/fff/",
                                 "/runs/flavors/crimson/sha1/fff/",
                                 "/runs/sha1/fff/flavors/crimson/"])
def test_sha1_chained_with_flavor_works_in_both_orders(dataset, url):
    assert names(dataset.get(url)) == [R6.name, R8.name]


def test_flavors_and_flavor_are_accepted_at_any_level(dataset):
    expected = [R8.name, R2.name, R1.name]
    for url in ("/runs/branch/main/flavor/default/", "/runs/branch/main/flavors/default/",
                "/runs/flavor/default/branch/main/", "/runs/flavors/default/branch/main/"):
        assert names(dataset.get(url)) == expected, url


def test_flavor_and_flavors_are_one_dimension(dataset):
    response = dataset.get("/runs/flavors/default/flavor/crimson/")
    assert response.status_code == 404
    assert dataset.get("/runs/flavor/default/flavors/").status_code == 404


# --- index URLs inside chains ----------------------------------------------------------------

CHAIN_INDEXES = [
    ([("branch", "main")], "suite"),
    ([("date", "2024-03-05")], "branch"),
    ([("suite", "rados")], "sha1"),
    ([("sha1", "ab")], "flavor"),
    ([("sha1", "ab")], "flavors"),
    ([("flavor", "crimson")], "sha1"),
    ([("flavors", "crimson")], "sha1"),
    ([("branch", "next")], "flavor"),
    ([("branch", "main"), ("machine_type", "smithi")], "status"),
    ([("user", "alice")], "date"),
    ([("status", "finished pass")], "user"),
    ([("machine_type", "plana")], "branch"),
    ([("sha1", "fff")], "date"),
    ([("suite", "fs")], "machine_type"),
    ([("branch", "squid")], "user"),
    ([("flavor", "default")], "branch"),
    ([("branch", "main"), ("machine_type", "smithi"), ("sha1", "abc")], "suite"),
    ([("date", "2024-03-05"), ("user", "alice")], "flavor"),
    ([("branch", "nope")], "suite"),
]


@pytest.mark.parametrize("pairs, dimension", CHAIN_INDEXES,
                         ids=[path(p, d) for p, d in CHAIN_INDEXES])
def test_index_inside_a_chain_lists_values_among_matching_runs(dataset, pairs, dimension):
    assert listing(dataset.get(path(pairs, dimension))) == expected_values(dimension, pairs)


def test_index_inside_a_chain_examples(dataset):
    # Spelled out (spec §3.2 examples), independent of the oracle above.
    assert listing(dataset.get("/runs/branch/main/suite/")) == ["fs", "rados"]
    assert listing(dataset.get("/runs/date/2024-03-05/branch/")) == ["main", "next"]
    assert listing(dataset.get("/runs/suite/rados/sha1/")) == [SHA_ABC3_UPPER, SHA_ABC1,
                                                               SHA_FFF5]
    assert listing(dataset.get("/runs/sha1/ab/flavor/")) == ["crimson", "default"]
    assert listing(dataset.get("/runs/flavor/crimson/sha1/")) == [SHA_ABC3_UPPER, SHA_ABC1,
                                                                  SHA_FFF5]


# --- chains: pulpito's fixed order ------------------------------------------------------------

PULPITO_ORDER = ("branch", "machine_type", "sha1", "status", "suite", "date")
PULPITO_VALUES = [
    {"branch": "main", "machine_type": "smithi", "sha1": "abc", "status": "finished pass",
     "suite": "rados", "date": "2024-03-01"},
    {"branch": "main", "machine_type": "smithi", "sha1": "fff", "status": "finished pass",
     "suite": "rados", "date": "2024-03-05"},
    {"branch": "next", "machine_type": "mira", "sha1": "f", "status": "finished dead",
     "suite": "fs", "date": "2024-03-05"},
]
PULPITO_CHAINS = [
    [(dimension, values[dimension]) for dimension in subset]
    for values in PULPITO_VALUES
    for depth in (2, 3, 4, 5, 6)
    for subset in itertools.combinations(PULPITO_ORDER, depth)
]


@pytest.mark.parametrize("pairs", PULPITO_CHAINS, ids=[path(p) for p in PULPITO_CHAINS])
def test_chain_in_pulpito_order_lists_runs_matching_every_filter(dataset, pairs):
    assert names(dataset.get(path(pairs))) == expected_runs(pairs)


def test_pulpito_chain_examples(dataset):
    assert names(dataset.get("/runs/branch/main/machine_type/smithi/")) == [R8.name, R5.name,
                                                                          R1.name]
    assert names(dataset.get("/runs/branch/main/sha1/fff/status/finished%20pass/")) == [
        R8.name, R5.name]
    assert names(dataset.get(
        "/runs/branch/main/machine_type/smithi/sha1/abc/suite/rados/")) == [R8.name, R1.name]
    assert names(dataset.get("/runs/branch/main/machine_type/smithi/date/2024-03-05/")) == [
        R8.name, R5.name]
    assert names(dataset.get(
        "/runs/machine_type/smithi/status/finished%20pass/suite/rados/date/2024-03-01/")) == [
        R1.name]


def test_pulpito_running_view_with_count_9999(dataset):
    assert names(dataset.get("/runs/branch/squid/status/running/?count=9999")) == [R4.name]


def test_pulpito_compare_page_query(dataset):
    # clients.md §4.5: /runs/branch/{b}/suite/{s}/?count=n&since=d
    assert names(dataset.get("/runs/branch/main/suite/rados/?count=2&since=2024-03-02")) == [
        R7.name, R8.name]


# --- chains: pulpito-ng's arbitrary orders ----------------------------------------------------

NG_VALUES = {"machine_type": "smithi", "user": "alice", "sha1": "abc", "flavor": "default",
             "branch": "main", "suite": "rados", "status": "finished pass",
             "date": "2024-03-01"}
NG_CHAINS = (
    [list(p) for p in itertools.permutations(
        [(d, NG_VALUES[d]) for d in ("machine_type", "user", "sha1", "flavor")], 2)]
    + [list(p) for p in itertools.permutations(
        [(d, NG_VALUES[d]) for d in ("machine_type", "user", "sha1", "flavor")], 3)]
    + [list(p) for p in itertools.permutations(
        [(d, NG_VALUES[d]) for d in ("suite", "branch", "status", "date")])]
    + [[(d, NG_VALUES[d]) for d in order] for order in (
        ("machine_type", "branch", "suite", "status", "sha1", "user", "date"),
        ("date", "user", "sha1", "status", "suite", "branch", "machine_type", "flavor"),
        ("flavor", "machine_type", "date", "branch"),
        ("user", "machine_type"),
        ("status", "branch"),
        ("sha1", "suite", "branch"),
    )]
    + [[("machine_type", "smithi"), ("user", "bob"), ("date", "2024-03-05")],
       [("date", "2024-03-05"), ("status", "finished pass"), ("machine_type", "smithi")],
       [("user", "alice"), ("sha1", "ABC")],
       [("suite", "fs"), ("user", "alice"), ("flavor", "crimson")]]
)


@pytest.mark.parametrize("pairs", NG_CHAINS, ids=[path(p) for p in NG_CHAINS])
def test_chain_in_any_order_lists_runs_matching_every_filter(dataset, pairs):
    assert names(dataset.get(path(pairs))) == expected_runs(pairs)


def test_chain_order_does_not_change_the_answer(dataset):
    forward = names(dataset.get("/runs/suite/rados/branch/main/user/bob/"))
    backward = names(dataset.get("/runs/user/bob/branch/main/suite/rados/"))
    assert forward == backward == [R5.name]


def test_pulpito_ng_double_slash_is_accepted(dataset):
    # clients.md §4.6: one URL builder produces /runs//branch/main/.
    assert names(dataset.get("/runs//branch/main/")) == expected_runs([("branch", "main")])


# --- since (§3.2, §10 row 14) ----------------------------------------------------------------

def test_since_includes_a_run_scheduled_at_exactly_midnight(dataset):
    assert names(dataset.get("/runs/branch/main/?since=2024-03-05")) == [R7.name, R8.name,
                                                                         R5.name]
    assert names(dataset.get("/runs/branch/main/?since=2024-03-06")) == [R7.name]


def test_since_excludes_runs_of_the_day_before(client):
    before = create_run(client, run_name("u", datetime(2024, 3, 4, 23, 59, 59), "rados", "main",
                                         "plana", "before"))
    midnight = create_run(client, run_name("u", datetime(2024, 3, 5), "rados", "main", "plana",
                                           "midnight"))
    after = create_run(client, run_name("u", datetime(2024, 3, 5, 0, 0, 1), "rados", "main",
                                        "plana", "after"))
    assert names(client.get("/runs/branch/main/?since=2024-03-05")) == [after, midnight]
    assert names(client.get("/runs/branch/main/?since=2024-03-04")) == [after, midnight, before]


def test_since_accepts_a_non_padded_date(dataset):
    assert names(dataset.get("/runs/branch/main/?since=2024-3-5")) == [R7.name, R8.name,
                                                                       R5.name]


@pytest.mark.parametrize("dimension, value", [
    ("branch", "main"), ("suite", "rados"), ("machine_type", "smithi"),
    ("status", "finished pass"), ("user", "bob"), ("sha1", "fff"), ("flavors", "crimson"),
    ("flavor", "default")])
def test_since_applies_to_every_value_url(dataset, dimension, value):
    since = datetime(2024, 3, 3)
    expected = newest_first([run for run in matching([(dimension, value)])
                             if run.scheduled >= since])
    url = f"/runs/{dimension}/{quote(value)}/?since=2024-03-03"
    assert names(dataset.get(url)) == expected


def test_since_in_a_chain(dataset):
    assert names(dataset.get("/runs/suite/rados/branch/main/?since=2024-03-05")) == [
        R7.name, R8.name, R5.name]
    assert names(dataset.get("/runs/suite/rados/branch/main/?since=2024-03-05&count=1&page=2"
                             )) == [R8.name]


def test_since_today_and_yesterday(client):
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    today = datetime.combine(now.date(), time.min)
    yesterday = today - timedelta(days=1)
    older = create_run(client, run_name("u", yesterday - timedelta(seconds=1), "rados", "main",
                                        "plana", "older"))
    at_yesterday = create_run(client, run_name("u", yesterday, "rados", "main", "plana", "y"))
    at_today = create_run(client, run_name("u", today, "rados", "main", "plana", "t"))
    assert names(client.get("/runs/branch/main/?since=today")) == [at_today]
    assert names(client.get("/runs/branch/main/?since=yesterday")) == [at_today, at_yesterday]
    assert names(client.get("/runs/branch/main/")) == [at_today, at_yesterday, older]


@pytest.mark.parametrize("since", ["garbage", "2024-13-01", "2024-02-30", "20240305",
                                   "2024/03/05", "tomorrow"])
def test_bad_since_is_400(dataset, since):
    assert_date_error(dataset.get(f"/runs/branch/main/?since={since}"))


# --- date, today, yesterday (§2.5, §10 row 15) -----------------------------------------------

def test_date_today_and_yesterday_with_the_real_clock(client):
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    today = datetime.combine(now.date(), time.min)
    yesterday = today - timedelta(days=1)
    runs = {
        "before": yesterday - timedelta(seconds=1),
        "y_start": yesterday,
        "y_end": yesterday + timedelta(hours=23, minutes=59, seconds=59),
        "t_start": today,
        "t_end": today + timedelta(hours=23, minutes=59, seconds=59),
        "tomorrow": today + timedelta(days=1),
    }
    created = {key: create_run(client, run_name("u", when, "rados", "main", "plana", key))
               for key, when in runs.items()}
    assert names(client.get("/runs/date/today/")) == [created["t_end"], created["t_start"]]
    assert names(client.get("/runs/date/yesterday/")) == [created["y_end"], created["y_start"]]
    assert names(client.get("/runs/date/from/yesterday/to/today/")) == [
        created["t_end"], created["t_start"], created["y_end"], created["y_start"]]
    assert names(client.get("/runs/branch/main/date/today/")) == [created["t_end"],
                                                                 created["t_start"]]


@pytest.mark.parametrize("today, yesterday", [
    (date(2024, 3, 1), date(2024, 2, 29)),
    (date(2023, 3, 1), date(2023, 2, 28)),
    (date(2024, 1, 1), date(2023, 12, 31)),
    (date(2024, 5, 1), date(2024, 4, 30)),
    (date(2024, 3, 15), date(2024, 3, 14)),
])
def test_yesterday_works_on_any_day_including_the_first_of_a_month(client, frozen_clock,
                                                                   today, yesterday):
    frozen_clock.utc = datetime.combine(today, time(12))
    on_yesterday = create_run(client, run_name("u", datetime.combine(yesterday, time(6)),
                                               "rados", "main", "plana", "y"))
    on_today = create_run(client, run_name("u", datetime.combine(today, time(1)), "rados",
                                           "main", "plana", "t"))
    create_run(client, run_name("u", datetime.combine(yesterday, time(6)) - timedelta(days=1),
                                "rados", "main", "plana", "older"))
    assert names(client.get("/runs/date/yesterday/")) == [on_yesterday]
    assert names(client.get("/runs/date/today/")) == [on_today]
    assert names(client.get("/runs/branch/main/?since=yesterday")) == [on_today, on_yesterday]
    assert names(client.get("/runs/date/from/yesterday/to/today/")) == [on_today, on_yesterday]


@pytest.mark.parametrize("url", [
    "/runs/date/2097-13-32/", "/runs/date/2024-02-30/", "/runs/date/20240305/",
    "/runs/date/garbage/", "/runs/date/tomorrow/", "/runs/date/2024-03-05T00:00:00/",
    "/runs/branch/main/date/nope/", "/runs/date/nope/branch/main/",
    "/runs/date/from/yesterday/to/2097-13-32/", "/runs/date/from/2097-13-32/to/2024-01-01/",
    "/runs/date/from/2024-01-01/to/garbage/", "/runs/user/bob/date/from/x/to/2024-01-01/",
    "/runs/date/nope/branch/",
])
def test_bad_date_is_400_date_format_must_match(dataset, url):
    assert_date_error(dataset.get(url))


# --- date ranges (§3.2, §10 row 19) ----------------------------------------------------------

def test_date_range_includes_both_end_days_newest_first(dataset):
    assert names(dataset.get("/runs/date/from/2024-03-05/to/2024-03-06/")) == [
        R7.name, R6.name, R8.name, R5.name]
    assert names(dataset.get("/runs/date/from/2024-03-02/to/2024-03-04/")) == [
        R4.name, R3.name, R2.name]


def test_date_range_with_non_padded_dates(dataset):
    assert names(dataset.get("/runs/date/from/2024-3-5/to/2024-3-6/")) == [
        R7.name, R6.name, R8.name, R5.name]


def test_date_range_of_one_day(dataset):
    assert names(dataset.get("/runs/date/from/2024-03-05/to/2024-03-05/")) == [
        R6.name, R8.name, R5.name]


def test_date_range_backwards_is_empty(dataset):
    assert names(dataset.get("/runs/date/from/2024-03-06/to/2024-03-01/")) == []


def test_date_range_ignores_count_and_page(dataset):
    everything = [R7.name, R6.name, R8.name, R5.name, R4.name, R3.name, R2.name, R1.name]
    for query in ("", "?count=1", "?count=2&page=2", "?count=0", "?page=9"):
        url = "/runs/date/from/2024-03-01/to/2024-03-06/" + query
        assert names(dataset.get(url)) == everything, url


def test_date_range_is_unpaginated_and_newest_first_with_many_runs(client):
    created = [create_run(client, run_name("u", datetime(2024, 3, 1) + timedelta(hours=3 * i),
                                           "rados", "main", "plana", f"r{i}"))
               for i in range(30)]
    assert names(client.get("/runs/date/from/2024-03-01/to/2024-03-31/")) == created[::-1]


def test_date_range_inside_a_chain(dataset):
    assert names(dataset.get("/runs/user/bob/date/from/2024-03-01/to/2024-03-05/")) == [
        R5.name, R2.name]
    assert names(dataset.get(
        "/runs/branch/main/machine_type/smithi/date/from/2024-03-01/to/2024-03-05/")) == [
        R8.name, R5.name, R1.name]
    assert names(dataset.get("/runs/sha1/abc/flavor/default/date/from/2024-03-02/to/2024-03-05/"
                             )) == [R8.name, R4.name, R2.name]


@pytest.mark.parametrize("url", ["/runs/date/from/2024-03-01/",
                                 "/runs/branch/main/date/from/2024-03-01/",
                                 "/runs/date/from/today/"])
def test_date_from_without_to_is_an_empty_list(dataset, url):
    assert listing(dataset.get(url)) == []


@pytest.mark.parametrize("url", [
    "/runs/date/from/2024-03-01/to/2024-03-06/x/",
    "/runs/date/from/2024-03-01/to/2024-03-06/branch/main/",
    "/runs/date/from/2024-03-01/to/2024-03-06/branch/",
    "/runs/user/bob/date/from/2024-03-01/to/2024-03-06/suite/rados/",
    "/runs/date/from/2024-03-01/until/2024-03-06/",
    "/runs/date/from/2024-03-01/to/2024-03-06/to/2024-03-07/",
])
def test_nothing_may_follow_a_date_range(dataset, url):
    assert dataset.get(url).status_code == 404


# --- 404: repeated or unknown dimensions ------------------------------------------------------

@pytest.mark.parametrize("url", [
    "/runs/branch/main/branch/next/", "/runs/branch/main/branch/",
    "/runs/suite/rados/branch/main/suite/fs/", "/runs/sha1/ab/sha1/abc/",
    "/runs/sha1/ab/sha1/", "/runs/flavor/default/flavor/crimson/",
    "/runs/flavors/default/flavors/", "/runs/date/2024-03-05/date/2024-03-06/",
    "/runs/date/2024-03-05/date/", "/runs/status/empty/status/empty/",
    "/runs/user/bob/machine_type/plana/user/", "/runs/machine_type/x/machine_type/x/",
])
def test_repeated_dimension_is_404(dataset, url):
    assert dataset.get(url).status_code == 404


@pytest.mark.parametrize("url", [
    "/runs/branch/main/bogus/", "/runs/branch/main/bogus/x/", "/runs/suite/rados/nope/",
    "/runs/user/bob/name/x/", "/runs/branch/main/date/2024-03-05/from/",
    "/runs/branch/main/Branch/x/", "/runs/date/2024-03-05/branches/",
])
def test_unknown_dimension_is_404(dataset, url):
    assert dataset.get(url).status_code == 404


# --- pagination (§2.7) -----------------------------------------------------------------------

MAIN = [R7.name, R8.name, R5.name, R2.name, R1.name]


@pytest.mark.parametrize("query, expected", [
    ("count=2", MAIN[:2]),
    ("count=2&page=1", MAIN[:2]),
    ("count=2&page=2", MAIN[2:4]),
    ("count=2&page=3", MAIN[4:]),
    ("count=2&page=4", []),
    ("count=5&page=2", []),
    ("count=1&page=100", []),
    ("count=0", []),
    ("count=0&page=2", []),
    ("count=100", MAIN),
])
def test_value_url_pagination(dataset, query, expected):
    assert names(dataset.get(f"/runs/branch/main/?{query}")) == expected


@pytest.mark.parametrize("url", ["/runs/sha1/ab/", "/runs/flavor/default/",
                                 "/runs/date/2024-03-05/", "/runs/machine_type/smithi/",
                                 "/runs/suite/rados/branch/main/"])
def test_pagination_of_other_value_urls(dataset, url):
    everything = names(dataset.get(url + "?count=100"))
    assert len(everything) >= 2
    assert names(dataset.get(url + "?count=1")) == everything[:1]
    assert names(dataset.get(url + "?count=1&page=2")) == everything[1:2]
    assert names(dataset.get(url + f"?count=1&page={len(everything) + 1}")) == []
    assert names(dataset.get(url + "?count=0")) == []


def test_value_url_default_count_is_25(client):
    for index in range(27):
        create_run(client, run_name("u", datetime(2024, 1, 1) + timedelta(minutes=index),
                                    "rados", "main", "plana", f"r{index}"))
    assert len(names(client.get("/runs/branch/main/"))) == 25
    assert len(names(client.get("/runs/date/2024-01-01/"))) == 25
    assert len(names(client.get("/runs/branch/main/?page=2"))) == 2


def test_index_urls_are_unpaginated(client):
    for index in range(30):
        create_run(client, run_name("u", datetime(2024, 1, 1) + timedelta(days=index), "rados",
                                    f"b{index:02d}", "plana", f"r{index}"))
    expected = [f"b{index:02d}" for index in range(30)]
    assert listing(client.get("/runs/branch/?count=2&page=3")) == expected
    assert len(listing(client.get("/runs/date/?count=2"))) == 30


@pytest.mark.parametrize("query", ["count=-1", "count=abc", "page=abc", "count=1.5"])
def test_bad_count_or_page_is_400(dataset, query):
    # §10 row 9 (fixed): a 400 envelope rather than the original's 500.
    assert_envelope(dataset.get(f"/runs/branch/main/?{query}"), 400)


TIE_URLS = ["/runs/branch/main/", "/runs/suite/rados/", "/runs/machine_type/smithi/",
            "/runs/user/tie/", "/runs/status/queued/", "/runs/sha1/abc/", "/runs/flavor/default/",
            "/runs/flavors/default/", "/runs/date/2024-05-05/",
            "/runs/branch/main/sha1/abc/flavor/default/", "/runs/branch/main/?since=2024-05-05"]


def test_deep_pages_with_tied_scheduled_times_are_stable_without_duplicates_or_gaps(client):
    # 57 runs sharing three scheduled times: ties come back newest _id (creation) first.
    created = []
    for index in range(57):
        when = datetime(2024, 5, 5, 5, 5, 5 + index % 3)
        run = Run(f"r{index:02d}", "tie", when, "rados", "main", "smithi",
                  [("queued", SHA_ABC1, "default")])
        created.append((when, index, add_run(client, run)))
    expected = [name for _, _, name in sorted(created, reverse=True)]
    for url in TIE_URLS:
        joiner = "&" if "?" in url else "?"
        walked = []
        for page in range(1, 8):
            walked += names(client.get(f"{url}{joiner}count=9&page={page}"))
        assert walked == expected, url
        again = []
        for page in range(1, 8):
            again += names(client.get(f"{url}{joiner}count=9&page={page}"))
        assert again == walked, url
        assert names(client.get(f"{url}{joiner}count=9&page=8")) == [], url
        assert names(client.get(f"{url}{joiner}count=10&page=6")) == expected[50:], url


# --- stored status follows the jobs -----------------------------------------------------------

def test_status_filter_follows_job_updates(client):
    name = add_run(client, Run("k1", "u", datetime(2024, 2, 2), "rados", "main", "smithi",
                               [("queued", SHA_ABC1, "default"), ("queued", SHA_ABC1,
                                                                  "default")]))
    assert names(client.get("/runs/status/queued/")) == [name]
    put_job(client, name, "1", {"status": "running"})
    assert names(client.get("/runs/status/queued/")) == []
    assert names(client.get("/runs/status/running/")) == [name]
    put_job(client, name, "1", {"status": "pass"})
    put_job(client, name, "2", {"status": "fail"})
    assert names(client.get("/runs/status/running/")) == []
    assert names(client.get("/runs/status/finished%20fail/")) == [name]
    assert listing(client.get("/runs/status/")) == ["finished fail"]
    assert client.delete(f"/runs/{name}/jobs/2/").status_code == 200
    assert names(client.get("/runs/status/finished%20pass/")) == [name]


def test_sha1_and_flavor_filters_follow_job_updates(client):
    name = add_run(client, Run("k1", "u", datetime(2024, 2, 2), "rados", "main", "smithi",
                               [("queued", SHA_ABC1, "default")]))
    put_job(client, name, "1", {"sha1": SHA_FFF5, "flavor": "crimson"})
    assert names(client.get("/runs/sha1/fff/")) == [name]
    assert names(client.get("/runs/sha1/abc/")) == []
    assert names(client.get("/runs/flavor/crimson/")) == [name]
    assert listing(client.get("/runs/sha1/")) == [SHA_FFF5]
    assert listing(client.get("/runs/flavors/")) == ["crimson"]


def test_job_data_corrects_the_run_for_filters(client):
    # §5.2 step 8: a modern name parses to branch "squid-distro" and no machine type.
    name = "zack-2024-03-05_12:34:56-fs-squid-distro-default-smithi"
    post_job(client, name, {"job_id": "1", "status": "queued", "suite": "fs",
                            "branch": "squid", "machine_type": "smithi"})
    assert names(client.get("/runs/branch/squid/machine_type/smithi/suite/fs/")) == [name]
    assert names(client.get("/runs/branch/squid-distro/")) == []
    assert listing(client.get("/runs/branch/")) == ["squid"]


# --- upstream tests (§7.2 TestRunController) --------------------------------------------------

RADOS_NEXT = "teuthology-2013-01-01_00:00:00-rados-next-testing-basic-plana"
BIG_MASTER = "teuthology-2013-01-02_00:00:00-big-master-testing-basic-plana"


@pytest.fixture
def upstream_runs(client):
    create_run(client, RADOS_NEXT)
    create_run(client, BIG_MASTER)
    return client


def test_runs_by_branch(upstream_runs):
    assert names(upstream_runs.get("/runs/branch/master/"))[0] == BIG_MASTER


def test_runs_by_suite(upstream_runs):
    assert names(upstream_runs.get("/runs/suite/rados/"))[0] == RADOS_NEXT


def test_runs_by_branch_then_status(upstream_runs):
    assert names(upstream_runs.get("/runs/branch/master/status/empty/"))[0] == BIG_MASTER


def test_runs_by_branch_then_suite(upstream_runs):
    assert names(upstream_runs.get("/runs/branch/master/suite/big/"))[0] == BIG_MASTER


def test_runs_by_suite_then_branch(upstream_runs):
    assert names(upstream_runs.get("/runs/suite/rados/branch/next/"))[0] == RADOS_NEXT


def test_get_branches(upstream_runs):
    assert sorted(listing(upstream_runs.get("/runs/branch/"))) == ["master", "next"]


def test_get_suites(upstream_runs):
    assert sorted(listing(upstream_runs.get("/runs/suite/"))) == ["big", "rados"]


def test_get_suites_since_runs_by_branch(upstream_runs):
    assert listing(upstream_runs.get("/runs/branch/master/suite/")) == ["big"]


PLANA_RUN = "teuthology-2013-01-01_00:00:00-rados-next-testing-basic-plana"
VPS_RUN = "teuthology-2013-01-02_00:00:00-rados-next-testing-basic-vps"


def test_get_machine_types(client):
    create_run(client, PLANA_RUN)
    create_run(client, VPS_RUN)
    assert listing(client.get("/runs/machine_type/")) == ["plana", "vps"]


def test_get_runs_by_machine_types(client):
    create_run(client, PLANA_RUN)
    create_run(client, VPS_RUN)
    assert names(client.get("/runs/machine_type/vps/"))[0] == VPS_RUN


# --- upstream tests (§7.2 TestRunControllerDateFilters) ---------------------------------------

DATE_FILTER_KINDS = (("rados", "next", 0), ("nfs", "next", 1), ("rados", "master", 2),
                     ("nfs", "master", 3))


def date_filter_run(day, suite, branch, second):
    return f"teuthology-2013-01-0{day}_00:00:0{second}-{suite}-{branch}-testing-basic-plana"


@pytest.fixture
def date_filter_runs(client):
    for day in (1, 2, 3, 4):
        for suite, branch, second in DATE_FILTER_KINDS:
            create_run(client, date_filter_run(day, suite, branch, second))
    return client


def day_runs(days, suite=None, branch=None):
    return [date_filter_run(day, s, b, second) for day in days
            for s, b, second in DATE_FILTER_KINDS
            if suite in (None, s) and branch in (None, b)]


def test_date_filter_finds_runs(date_filter_runs):
    response = date_filter_runs.get("/runs/date/2013-01-02/")
    assert response.status_code == 200
    assert names(response) == sorted(day_runs([2]), reverse=True)


def test_bad_date_returns_error(date_filter_runs):
    assert_date_error(date_filter_runs.get("/runs/date/2097-13-32/"))


def test_date_range_filter_finds_runs(date_filter_runs):
    found = names(date_filter_runs.get("/runs/date/from/2013-01-02/to/2013-01-03/"))
    assert sorted(found) == sorted(day_runs([2, 3]))


def test_bad_date_range_returns_error(date_filter_runs):
    assert_date_error(date_filter_runs.get("/runs/date/from/yesterday/to/2097-13-32/"))


def test_branch_and_since(date_filter_runs):
    found = names(date_filter_runs.get("/runs/branch/next/?since=2013-01-03"))
    assert sorted(found) == sorted(day_runs([3, 4], branch="next"))


def test_suite_and_since(date_filter_runs):
    found = names(date_filter_runs.get("/runs/suite/nfs/?since=2013-01-03"))
    assert sorted(found) == sorted(day_runs([3, 4], suite="nfs"))


def test_suite_and_branch_and_since(date_filter_runs):
    found = names(date_filter_runs.get("/runs/suite/nfs/branch/next/?since=2013-01-03"))
    assert sorted(found) == sorted(day_runs([3, 4], suite="nfs", branch="next"))
