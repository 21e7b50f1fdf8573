"""Marshmallow schemas: loading job/run bodies and query strings, and the job JSON
(spec §3.2, §3.3, §4.1, §4.2, §5.2; clients.md §5.2)."""
from datetime import datetime

import pytest
from marshmallow import EXCLUDE, ValidationError

from paddles_mongo.config import Settings
from paddles_mongo.schemas.jobs import JobSchema, job_to_json
from paddles_mongo.schemas.queries import PageQuery, RunJobsQuery, RunListQuery
from paddles_mongo.schemas.runs import RunCreateSchema, run_to_json
from paddles_mongo.services.run_summary import stored_summary

from tests.helpers import (JOB_KEYS, JOB_WHITELIST, RESULTS_KEYS, RUN_KEYS, SPEC_EXAMPLE_RUN,
                           spec_example_run_json)

from .test_storage import realistic_job



def load_job(body):
    return JobSchema().load(body)


def flatten(messages):
    if isinstance(messages, dict):
        return " ".join(flatten(value) for value in messages.values())
    if isinstance(messages, (list, tuple)):
        return " ".join(flatten(value) for value in messages)
    return str(messages)


def assert_rejected(body, field, message_names_field=True):
    """Loading `body` fails on `field` (and, unless told otherwise, the message text names
    that field, since the wire message is the text alone)."""
    with pytest.raises(ValidationError) as error:
        load_job(body)
    assert field in error.value.messages
    if message_names_field:
        assert field in flatten(error.value.messages[field])


# --- JobSchema: type coercion ------------------------------------------------------------------

def test_int_job_id_becomes_string():
    assert load_job({"job_id": 7891234})["job_id"] == "7891234"


def test_string_job_id_is_kept():
    assert load_job({"job_id": "12345"})["job_id"] == "12345"


def test_int_pid_becomes_string():
    assert load_job({"pid": 4343})["pid"] == "4343"


def test_float_os_version_becomes_string():
    assert load_job({"os_version": 22.04})["os_version"] == "22.04"


def test_string_os_version_is_kept():
    assert load_job({"os_version": "8.stream"})["os_version"] == "8.stream"


@pytest.mark.parametrize("duration,expected", [
    (5421.7, 5422), (5421.2, 5421), (5421.0, 5421), (5421, 5421), (0.4, 0),
])
def test_duration_is_rounded_to_integer_seconds(duration, expected):
    loaded = load_job({"duration": duration})["duration"]
    assert loaded == expected
    assert isinstance(loaded, int)


def test_integral_float_priority_is_accepted_as_int():
    loaded = load_job({"priority": 100.0})["priority"]
    assert loaded == 100
    assert isinstance(loaded, int)


def test_int_priority_is_kept():
    assert load_job({"priority": 99})["priority"] == 99


@pytest.mark.parametrize("priority", [10.5, 0.1, -3.25])
def test_non_integral_priority_is_rejected(priority):
    assert_rejected({"priority": priority}, "priority")


@pytest.mark.parametrize("priority", [2 ** 63, -(2 ** 63) - 1])
def test_priority_outside_int64_is_rejected(priority):
    assert_rejected({"priority": priority}, "priority")


@pytest.mark.parametrize("field", ["description", "job_id", "name", "sha1", "branch", "suite",
                                   "machine_type", "os_version", "pid", "owner", "flavor",
                                   "failure_reason", "archive_path", "package_source"])
@pytest.mark.parametrize("value", [{"a": 1}, ["a"], True, False],
                         ids=["object", "array", "true", "false"])
def test_objects_arrays_and_bools_are_rejected_where_strings_belong(field, value):
    assert_rejected({field: value}, field)


@pytest.mark.parametrize("field", ["priority", "seed", "duration"])
@pytest.mark.parametrize("value", [{"a": 1}, [1], True], ids=["object", "array", "bool"])
def test_objects_arrays_and_bools_are_rejected_where_integers_belong(field, value):
    assert_rejected({field: value}, field)


@pytest.mark.parametrize("field", ["success", "verbose", "last_in_suite", "nuke_on_error"])
def test_booleans_accept_json_booleans(field):
    assert load_job({field: True})[field] is True
    assert load_job({field: False})[field] is False
    assert load_job({field: None})[field] is None


@pytest.mark.parametrize("field", ["success", "verbose", "last_in_suite", "nuke_on_error"])
def test_booleans_reject_objects(field):
    assert_rejected({field: {"a": 1}}, field)


def test_null_strings_are_kept_as_null():
    assert load_job({"description": None, "sha1": None}) == {"description": None, "sha1": None}


# --- JobSchema: status, timestamp, updated ------------------------------------------------------

@pytest.mark.parametrize("status", ["pass", "fail", "queued", "running", "dead", "unknown",
                                    "waiting"])
def test_each_job_status_is_accepted(status):
    assert load_job({"status": status})["status"] == status


BAD_STATUSES = ["finished pass", "PASS", "success", "", "empty", 1, True, ["pass"], {"s": "pass"}]


@pytest.mark.parametrize("status", BAD_STATUSES + [None])
def test_bad_status_is_rejected(status):
    assert_rejected({"status": status}, "status", message_names_field=False)


@pytest.mark.parametrize("status", BAD_STATUSES)
def test_bad_status_message_names_the_field(status):
    assert_rejected({"status": status}, "status")


def test_timestamp_is_parsed_without_zone_shift():
    assert load_job({"timestamp": "2026-01-02_03:04:05"})["timestamp"] == \
        datetime(2026, 1, 2, 3, 4, 5)


BAD_TIMESTAMPS = ["2026-01-02 03:04:05", "2026-01-02", "yesterday", "2026-13-02_03:04:05",
                  1704164645, {"t": 1}]


@pytest.mark.parametrize("timestamp", BAD_TIMESTAMPS)
def test_bad_timestamp_is_rejected(timestamp):
    assert_rejected({"timestamp": timestamp}, "timestamp", message_names_field=False)


@pytest.mark.parametrize("timestamp", BAD_TIMESTAMPS)
def test_bad_timestamp_message_names_the_field(timestamp):
    assert_rejected({"timestamp": timestamp}, "timestamp")


def test_updated_is_parsed():
    assert load_job({"updated": "2014-03-31 21:25:43"})["updated"] == \
        datetime(2014, 3, 31, 21, 25, 43)


def test_updated_fraction_is_dropped():
    assert load_job({"updated": "2014-03-31 21:25:43.123456"})["updated"] == \
        datetime(2014, 3, 31, 21, 25, 43)


BAD_UPDATED = ["2014-03-31_21:25:43", "2014-03-31", "now", "2014-13-31 21:25:43", 1396301143,
               ["x"]]


@pytest.mark.parametrize("updated", BAD_UPDATED + [None])
def test_bad_updated_is_rejected(updated):
    assert_rejected({"updated": updated}, "updated", message_names_field=False)


@pytest.mark.parametrize("updated", BAD_UPDATED)
def test_bad_updated_message_names_the_field(updated):
    assert_rejected({"updated": updated}, "updated")


# --- JobSchema: keys ----------------------------------------------------------------------------

def test_unknown_keys_are_dropped():
    loaded = load_job({"description": "d", "id": 5, "run": "r", "run_id": 3,
                       "first_in_suite": True, "teuthology_sha1": "abc", "repo": "x",
                       "sleep_before_teardown": 0, "worker_log": "w", "expire": None})
    assert loaded == {"description": "d"}


def test_server_side_keys_are_dropped():
    loaded = load_job({"posted": "2024-01-01 00:00:00", "started": "2024-01-01 00:00:00",
                       "log_href": "http://x", "status": "queued"})
    assert loaded == {"status": "queued"}


def test_dashed_nuke_on_error_maps_to_underscore():
    assert load_job({"nuke-on-error": True}) == {"nuke_on_error": True}


def test_dashed_suite_branch_maps_to_underscore():
    assert load_job({"suite-branch": "main"}) == {"suite_branch": "main"}


def test_null_job_id_is_dropped():
    assert load_job({"job_id": None, "status": "queued"}) == {"status": "queued"}


def test_empty_body_loads_to_empty_dict():
    assert load_job({}) == {}


# --- JobSchema: targets and other metadata -------------------------------------------------

def test_targets_object_is_kept_verbatim():
    targets = {"ubuntu@smithi001.front.sepia.ceph.com": "ssh-ed25519 AAAA"}
    assert load_job({"targets": targets})["targets"] == targets


def test_null_targets_allowed():
    assert load_job({"targets": None})["targets"] is None


@pytest.mark.parametrize("targets", [["ubuntu@t1"], "ubuntu@t1", 1, True])
def test_targets_must_be_an_object(targets):
    assert_rejected({"targets": targets}, "targets")


def test_free_form_metadata_is_kept_verbatim():
    body = {"overrides": {"ceph": {"conf": {"osd": {"debug osd": 25}}}},
            "tasks": [{"internal.check_packages": None}, {"install": None}],
            "roles": [["mon.a", "osd.0"], ["client.0"]],
            "kernel": {"kdb": True, "sha1": "distro"}}
    assert load_job(body) == body


def test_realistic_teuthology_job_loads():
    loaded = load_job(realistic_job())
    assert loaded["job_id"] == "7891234"
    assert loaded["pid"] == "4343"
    assert loaded["duration"] == 5422
    assert loaded["os_version"] == "22.04"
    assert loaded["nuke_on_error"] is True
    assert loaded["timestamp"] == datetime(2026, 1, 2, 3, 4, 5)
    assert loaded["targets"] == realistic_job()["targets"]
    for dropped in ("teuthology_sha1", "repo", "expire", "worker_log", "archive_upload",
                    "archive_upload_key", "no_nested_subset", "first_in_suite",
                    "sleep_before_teardown", "nuke-on-error"):
        assert dropped not in loaded
    assert set(loaded) <= set(JOB_WHITELIST)


# --- RunCreateSchema (spec §3.2 POST /runs/) ------------------------------------------------

def load_run(body):
    return RunCreateSchema().load(body, unknown=EXCLUDE)


def test_run_create_takes_name():
    assert load_run({"name": "foo"}) == {"name": "foo"}


def test_run_create_ignores_other_keys():
    assert load_run({"name": "foo", "status": "running", "user": "x"}) == {"name": "foo"}


@pytest.mark.parametrize("body", [{}, {"name": None}, {"name": ""}, {"other": "foo"}])
def test_run_create_without_name_names_the_required_key(body):
    with pytest.raises(ValidationError) as error:
        load_run(body)
    assert flatten(error.value.messages) == "could not find required key: 'name'"


def test_run_name_with_dots_is_accepted():
    name = "teuthology-2013-10-22_03:00:02-big-next-testing-basic-plana.log"
    assert load_run({"name": name}) == {"name": name}


# --- query schemas --------------------------------------------------------------------------

def test_page_query_defaults():
    assert PageQuery().load({}) == {"page": 1}


def test_page_query_parses_integers():
    assert PageQuery().load({"count": "5", "page": "3"}) == {"count": 5, "page": 3}


@pytest.mark.parametrize("count", ["abc", "1.5", "", "-1"])
def test_page_query_rejects_bad_count(count):
    with pytest.raises(ValidationError) as error:
        PageQuery().load({"count": count})
    assert "count" in error.value.messages


def test_page_query_count_zero_is_allowed():
    assert PageQuery().load({"count": "0"})["count"] == 0


def test_page_query_rejects_bad_page():
    with pytest.raises(ValidationError) as error:
        PageQuery().load({"page": "two"})
    assert "page" in error.value.messages


def test_run_list_query_fields_default_and_unknown_params_ignored():
    assert RunListQuery().load({"bogus": "1"}) == {"page": 1, "fields": ""}


def test_run_jobs_query_status_filter():
    assert RunJobsQuery().load({"status": "running"}) == {"status": "running", "fields": ""}


def test_run_jobs_query_rejects_unknown_status():
    with pytest.raises(ValidationError) as error:
        RunJobsQuery().load({"status": "finished"})
    assert "status" in error.value.messages


# --- job_to_json (spec §4.2) ------------------------------------------------------------------

SETTINGS = Settings()


def stored_job(**fields):
    return {"_id": "x", "run": "RUN", "job_id": "5", "target_nodes": [], **fields}


def test_job_json_key_order():
    assert list(job_to_json(stored_job(), SETTINGS)) == list(JOB_KEYS)


def test_job_json_unset_keys_are_null():
    rendered = job_to_json(stored_job(), SETTINGS)
    for key in JOB_WHITELIST:
        if key != "job_id":
            assert rendered[key] is None, key
    assert (rendered["posted"], rendered["started"], rendered["updated"]) == (None, None, None)


def test_job_json_log_href_from_default_template():
    assert job_to_json(stored_job(), SETTINGS)["log_href"] == \
        "http://qa-proxy.ceph.com/teuthology/RUN/5/teuthology.log"


def test_job_json_log_href_from_configured_template():
    settings = Settings(job_log_href_templ="http://logs.example/{run_name}/{job_id}/log")
    assert job_to_json(stored_job(), settings)["log_href"] == "http://logs.example/RUN/5/log"


def test_job_json_dates_formatted():
    rendered = job_to_json(stored_job(
        timestamp=datetime(2024, 1, 2, 3, 4, 5),
        posted=datetime(2026, 11, 28, 1, 36, 58, 639000),
        started=None,
        updated=datetime(2013, 1, 1, 0, 0, 0)), SETTINGS)
    assert rendered["timestamp"] == "2024-01-02 03:04:05"
    assert rendered["posted"] == "2026-11-28 01:36:58.639000"
    assert rendered["started"] is None
    assert rendered["updated"] == "2013-01-01 00:00:00"


def test_job_json_decodes_metadata_keys():
    rendered = job_to_json(stored_job(
        targets={"ubuntu@smithi001%2Efront%2Esepia%2Eceph%2Ecom": "ssh-rsa AAA"},
        tasks=[{"internal%2Echeck_packages": None}, {"%24weird": {"a%2Eb": "c.d"}}],
        overrides={"ceph": {"conf": {"a%252Eb": "literal"}}},
        kernel={"k%2Ey": 1},
        roles=[["mon.a"]]), SETTINGS)
    assert rendered["targets"] == {"ubuntu@smithi001.front.sepia.ceph.com": "ssh-rsa AAA"}
    assert rendered["tasks"] == [{"internal.check_packages": None}, {"$weird": {"a.b": "c.d"}}]
    assert rendered["overrides"] == {"ceph": {"conf": {"a%2Eb": "literal"}}}
    assert rendered["kernel"] == {"k.y": 1}
    assert rendered["roles"] == [["mon.a"]]


def test_job_json_plain_fields_are_returned_as_stored():
    rendered = job_to_json(stored_job(status="queued", priority=50, flavor="default",
                                      sha1="abcdef0123", description="rados/thrash a.b"),
                           SETTINGS)
    assert (rendered["status"], rendered["priority"], rendered["flavor"], rendered["sha1"],
            rendered["description"]) == ("queued", 50, "default", "abcdef0123",
                                         "rados/thrash a.b")
    assert rendered["job_id"] == "5"


def test_job_json_omits_internal_fields():
    rendered = job_to_json(stored_job(rev=3), SETTINGS)
    for key in ("_id", "run", "rev", "target_nodes", "id", "run_id", "href"):
        assert key not in rendered


# --- run_to_json (spec §4.1) ------------------------------------------------------------------

def run_summary(**counts):
    summary = {"queued": 0, "pass": 0, "running": 0, "waiting": 0, "fail": 0, "dead": 0,
               "unknown": 0, "total": 0, "sha1": "none", "flavor": "none", "priority": None,
               "status": "empty", "first_job_id": None, "sha1_counts": {}, "flavor_counts": {},
               "node_counts": {}, "posted_first": None, "posted_last": None}
    summary.update(counts)
    return summary


def run_doc(summary=None):
    """A stored run, keeping `summary` (what its jobs count to) as the service stores it."""
    return {"_id": "x", "name": SPEC_EXAMPLE_RUN,
            "user": "teuthology", "status": "queued", "suite": "big", "branch": "master",
            "machine_type": "vps", "posted": datetime(2026, 11, 28, 1, 37, 12, 599560),
            "scheduled": datetime(2013, 1, 2), "started": None,
            "updated": datetime(2026, 11, 28, 1, 37, 46, 526612), **stored_summary(summary)}


def test_run_json_key_order():
    assert list(run_to_json(run_doc(run_summary()), SETTINGS)) == list(RUN_KEYS)


def test_run_json_example():
    settings = Settings(address="http://paddles.example")
    summary = run_summary(queued=1, **{"pass": 1}, total=2, sha1="deadbeef01",
                          flavor="default", priority=100, status="queued")
    rendered = run_to_json(run_doc(summary), settings)
    assert rendered == {**spec_example_run_json("http://paddles.example"),
                        "posted": "2026-11-28 01:37:12.599560",
                        "updated": "2026-11-28 01:37:46.526612"}
    assert list(rendered["results"]) == list(RESULTS_KEYS)


def test_run_json_status_is_the_one_counted_from_the_jobs():
    rendered = run_to_json(run_doc(run_summary(running=1, total=1, status="running")), SETTINGS)
    assert rendered["status"] == "running"


def test_run_json_of_a_run_without_jobs_says_none_for_sha1_and_flavor():
    rendered = run_to_json(run_doc(run_summary()), SETTINGS)
    assert rendered["sha1"] == rendered["flavor"] == "none"
    assert rendered["results"]["sha1"] == rendered["results"]["flavor"] == "none"
