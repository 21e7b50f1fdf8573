"""The query policy switch (paddles_mongo/query_policy.py): which policy a setting chooses, and
the local database's in-process sort, which must order as MongoDB does."""
from datetime import datetime, timedelta

import pytest

from paddles_mongo.config import ConfigError
from paddles_mongo.query_policy import (WINDOW_DAYS, MongoDBQueries, SecantusDBQueries,
                                        choose_policy, projection_of, satisfies,
                                        sort_here, time_windows)

SECANTUS_BUILD_INFO = {"version": "8.2.11", "secantusVersion": "0.7.0b3", "ok": 1.0}
MONGODB_BUILD_INFO = {"version": "8.0.4", "gitVersion": "bc35ab43", "ok": 1.0}


def never_asked():
    raise AssertionError("buildInfo asked for a policy named outright")


@pytest.mark.parametrize("build_info, chosen", [(SECANTUS_BUILD_INFO, SecantusDBQueries),
                                                (MONGODB_BUILD_INFO, MongoDBQueries)])
def test_auto_asks_the_server(build_info, chosen):
    assert choose_policy("auto", lambda: build_info) is chosen


@pytest.mark.parametrize("setting, chosen", [("mongodb", MongoDBQueries),
                                             ("secantusdb", SecantusDBQueries)])
def test_a_named_policy_is_taken_as_named(setting, chosen):
    assert choose_policy(setting, never_asked) is chosen


def test_an_unknown_policy_is_a_settings_error():
    with pytest.raises(ConfigError, match="query_policy must be one of auto, mongodb, "
                                          "secantusdb, got 'postgres'"):
        choose_policy("postgres", never_asked)


def test_plain_queries_always_name_their_index():
    assert MongoDBQueries().hint({"run": "r"}, "run_job_id_unique") == {
        "hint": "run_job_id_unique"}


@pytest.mark.parametrize("query, hinted", [
    ({"run": "r"}, False), ({"posted": {"$gte": 1, "$lt": 2}}, False),
    ({"status": {"$in": ["fail", "dead"]}}, False),
    ({"run": "r", "status": "pass"}, True), ({"description": {"$regex": "x"}}, True),
    ({"test_id": "t", "posted": 1}, False), ({"test_id": "t", "posted": {"$gte": 1}}, True),
    ({"test_id": "t", "branch": "main"}, True),
    ({"test_id": {"$in": ["t"]}, "posted": {"$gte": 1}}, True),
    ({"test_id": {"$regex": "t"}, "posted": {"$gte": 1}}, True)])
def test_the_local_database_is_told_the_index_only_where_it_would_scan(query, hinted):
    policy = SecantusDBQueries({"index": ("test_id", "posted", "_id")})
    assert policy.hint(query, "index") == ({"hint": "index"} if hinted else {})


def test_sorting_here_orders_as_mongodb_does():
    """Descending posted, then seq, then _id; missing and null sort lowest, as in BSON."""
    day = datetime(2026, 12, 3)
    docs = [{"_id": 1, "posted": day, "seq": 2}, {"_id": 2, "posted": None},
            {"_id": 3, "posted": day}, {"_id": 4, "posted": day, "seq": 5},
            {"_id": 5, "posted": datetime(2026, 12, 4)}, {"_id": 6, "posted": day, "seq": 2}]
    order = [("posted", -1), ("seq", -1), ("_id", -1)]
    assert [doc["_id"] for doc in sort_here(docs, order)] == [5, 4, 6, 1, 3, 2]


@pytest.mark.parametrize("query, matched", [
    ({"status": "pass"}, True), ({"status": "fail"}, False), ({"branch": None}, True),
    ({"status": {"$in": ["fail", "pass"]}}, True), ({"status": {"$in": ["fail"]}}, False),
    ({"posted": {"$gte": datetime(2026, 12, 3)}}, True),
    ({"posted": {"$gt": datetime(2026, 12, 3)}}, False),
    ({"posted": {"$gt": datetime(2026, 12, 2), "$lt": datetime(2026, 12, 4)}}, True),
    ({"posted": {"$lte": datetime(2026, 12, 2)}}, False),
    ({"started": {"$gte": datetime(2026, 12, 3)}}, False),  # missing: in no range
    ({"posted": {"$gte": "2026-12-03"}}, False),  # a string never compares with a date
    ({"status": "pass", "posted": {"$eq": datetime(2026, 12, 3)}}, True),
    ({"status": "pass", "job_id": "2"}, False),
    ({"targets": "smithi001"}, True), ({"targets": ["smithi001", "smithi002"]}, True),
    ({"targets": {"$gte": "smithi002", "$lt": "smithi003"}}, True),
    ({"targets": {"$regex": "^mira"}}, False), ({"targets": {"$regex": "^SMITHI",
                                                              "$options": "i"}}, True),
    ({"results.pass": {"$gt": 0}}, True), ({"results.fail": {"$gt": 0}}, False),
    ({"$or": [{"results.fail": {"$gt": 0}}, {"results.pass": {"$gt": 0}}]}, True),
    ({"$or": [{"results.fail": {"$gt": 0}}, {"status": "fail"}]}, False),
    ({"$and": [{"status": "pass"}, {"job_id": {"$in": ["1", "3"]}}]}, True),
    ({"success": 1}, False), ({"results.pass": 2.0}, True),  # a boolean is not a number
    ({"description": {"$regex": "thrash"}}, False)])  # missing: no pattern matches
def test_picking_here_matches_as_mongodb_does(query, matched):
    job = {"status": "pass", "posted": datetime(2026, 12, 3), "job_id": "1", "success": True,
           "targets": ["smithi001", "smithi002"], "results": {"pass": 2, "fail": 0}}
    assert satisfies(job, query) is matched


def test_a_projection_leaves_out_paths_inside_another():
    assert projection_of(["name", "jobs_posted", "jobs_posted.last", "results.pass", "jobs"]) == {
        "name": 1, "jobs_posted": 1, "results.pass": 1, "jobs": 1}


KEYS = {"branch_suite_scheduled": ("branch", "suite", "scheduled"),
        "target_nodes_posted": ("target_nodes", "posted", "_id"),
        "run_job_id_unique": ("run", "job_id")}
ORDER_FIELDS = {"branch_suite_scheduled": "scheduled", "target_nodes_posted": "posted"}


@pytest.mark.parametrize("query, index, served, rest", [
    # all on the index: sent whole, nothing picked here
    ({"branch": "b", "suite": "s"}, "branch_suite_scheduled", {"branch": "b", "suite": "s"}, {}),
    # a field off the index, and an `$or`: picked here
    ({"branch": "b", "machine_type": "m", "$or": [{"results.pass": {"$gt": 0}}]},
     "branch_suite_scheduled", {"branch": "b"},
     {"machine_type": "m", "$or": [{"results.pass": {"$gt": 0}}]}),
    # a prefix: its range sent with an earlier exclusive start, the whole condition checked
    ({"branch": {"$gte": "ma", "$lt": "mb", "$regex": "^ma"}}, "branch_suite_scheduled",
     {"branch": {"$gt": "m`", "$lt": "mb"}}, {"branch": {"$gte": "ma", "$lt": "mb",
                                                         "$regex": "^ma"}}),
    # the order field is left to the windows
    ({"target_nodes": "n", "posted": {"$gte": datetime(2026, 1, 1)}, "status": "fail"},
     "target_nodes_posted", {"target_nodes": "n"}, {"status": "fail"}),
    # a set of the first key, without an order field (the jobs of a set of runs): served alone
    ({"run": {"$in": ["a", "b"]}, "status": {"$in": ["fail"]}}, "run_job_id_unique",
     {"run": {"$in": ["a", "b"]}}, {"status": {"$in": ["fail"]}}),
    # nothing served leads the index, or a condition it cannot check: hinted whole
    ({"suite": "s"}, "branch_suite_scheduled", None, None),
    ({"branch": "b", "suite": {"$exists": True}}, "branch_suite_scheduled", None, None),
    ({"target_nodes": "n", "name": {"$regex": "x", "$options": "s"}}, "target_nodes_posted",
     None, None)])
def test_the_local_database_is_sent_what_it_walks_on_the_index(query, index, served, rest):
    assert SecantusDBQueries(KEYS).index_part(query, index, ORDER_FIELDS.get(index)) == (
        served, rest)


NOW = datetime(2024, 6, 1, 12)


def day(days):
    return NOW - timedelta(days=days)


def test_windows_go_back_from_now_and_end_with_the_rest():
    assert WINDOW_DAYS == (2, 16, 128, 1024)
    assert list(time_windows(None, NOW)) == [
        {"$gte": day(2)}, {"$gte": day(16), "$lt": day(2)}, {"$gte": day(128), "$lt": day(16)},
        {"$gte": day(1024), "$lt": day(128)}, {"$lt": day(1024)}]


def test_a_floor_ends_the_windows_at_it():
    assert list(time_windows({"$gte": day(10)}, NOW)) == [
        {"$gte": day(2)}, {"$gte": day(10), "$lt": day(2)}]
    assert list(time_windows({"$gte": NOW}, NOW)) == [{"$gte": NOW}]


def test_windows_reach_back_from_a_ceiling_before_now():
    """A page after a cursor (`posted` at most the cursor's) costs as much at any depth: its
    windows are as wide as the first page's."""
    ceiling = day(20)
    assert list(time_windows({"$gte": day(200), "$lte": ceiling}, NOW)) == [
        {"$gte": day(22), "$lte": ceiling},
        {"$gte": day(36), "$lt": day(22), "$lte": ceiling},
        {"$gte": day(148), "$lt": day(36), "$lte": ceiling},
        {"$gte": day(200), "$lt": day(148), "$lte": ceiling}]
    assert list(time_windows({"$lte": NOW + timedelta(days=1)}, NOW))[0] == {
        "$gte": day(2), "$lte": NOW + timedelta(days=1)}


def test_strict_bounds_are_kept_and_narrowed():
    """`/jobs/?posted_after=&posted_before=` compare strictly."""
    assert list(time_windows({"$gt": day(20), "$lt": day(1)}, NOW)) == [
        {"$gt": day(20), "$gte": day(3), "$lt": day(1)},
        {"$gt": day(20), "$gte": day(17), "$lt": day(3)},
        {"$gt": day(20), "$lt": day(17)}]
