"""Key encoding of free-form metadata and the storability check (storage.py)."""
import copy
import json

import pytest

from paddles_mongo.storage import (UnstorableValue, check_storable, decode_key, decode_keys,
                                   encode_key, encode_keys)
from tests.helpers import all_keys

ODD_KEYS = [
    "ubuntu@smithi001.front.sepia.ceph.com",
    "internal.check_packages",
    "$where",
    "$",
    "a$b",
    "100%",
    "%",
    "%%",
    "a\0b",
    "\0",
    ".",
    "..",
    "a.b.c",
    "a%2Eb",        # already looks percent-encoded
    "a%252Eb",
    "%2E",
    "%24gt",
    "%00",
    "%zz",
    "%C3%A9",
    "é.x",
    "日本.語",
    "emoji😀.$",
    "plain",
    "",
    "with space",
    "dash-key",
    "a+b",
    "%2e",
    "%FF",
    "100%25",
]


@pytest.mark.parametrize("key", ODD_KEYS)
def test_key_round_trips_exactly(key):
    assert decode_key(encode_key(key)) == key


@pytest.mark.parametrize("key", ODD_KEYS)
def test_encoded_key_is_storable_by_mongo(key):
    encoded = encode_key(key)
    assert "." not in encoded
    assert "$" not in encoded
    assert "\0" not in encoded


@pytest.mark.parametrize("key", ["plain", "dash-key", "with space", "ubuntu@host", ""])
def test_ordinary_keys_are_unchanged(key):
    assert encode_key(key) == key
    assert decode_key(key) == key


def test_already_percent_encoded_key_is_not_decoded_twice():
    assert encode_key("a%2Eb") != "a%2Eb"
    assert decode_key(encode_key("a%2Eb")) == "a%2Eb"


def test_nested_documents_round_trip_with_values_untouched():
    value = {
        "targets": {"ubuntu@smithi001.front.sepia.ceph.com": "ssh-ed25519 AAAA.$%\0"},
        "tasks": [{"internal.check_packages": None}, {"install": None},
                  {"workunit": {"clients": {"client.0": ["rados/test.sh"]}}}],
        "$set": {"a.b": ["x.y", "$z", "100%", {"k.k": "v.v"}]},
        "a%2Eb": {"%": 1.5, ".": True, "$": None},
        "list": [["a.b", {"c.d": "e.f"}]],
    }
    original = copy.deepcopy(value)
    encoded = encode_keys(value)
    assert value == original  # input not mutated
    assert decode_keys(encoded) == original


def test_encoded_nested_keys_have_no_dots_or_dollars():
    value = {"a.b": {"$c": [{"d.e": {"f\0": 1}}]}}
    for key in all_keys(encode_keys(value)):
        assert "." not in key and "$" not in key and "\0" not in key


def test_values_are_never_touched():
    value = {"k": "a.b$c%2E\0", "l": ["x.y", "$z", "%24"], "n": 1, "f": 2.5, "b": False,
             "z": None}
    encoded = encode_keys(value)
    assert encoded == value
    assert decode_keys({"k": "a%2Eb", "l": ["%24"]}) == {"k": "a%2Eb", "l": ["%24"]}


@pytest.mark.parametrize("value", [None, 1, 2.5, True, "a.b", "%2E", [1, "a.b"]])
def test_scalars_and_lists_without_objects_pass_through(value):
    assert encode_keys(value) == value
    assert decode_keys(value) == value


# --- check_storable ---------------------------------------------------------------------------

def nested_dicts(levels):
    value = {}
    for _ in range(levels - 1):
        value = {"k": value}
    return value


def nested_lists(levels):
    value = []
    for _ in range(levels - 1):
        value = [value]
    return value


def nested_mixed(levels):
    value = {}
    for level in range(levels - 1):
        value = [value] if level % 2 else {"k": value}
    return value


@pytest.mark.parametrize("build", [nested_dicts, nested_lists, nested_mixed])
def test_depth_100_is_storable(build):
    check_storable(build(100))


@pytest.mark.parametrize("build", [nested_dicts, nested_lists, nested_mixed])
def test_depth_101_is_rejected(build):
    with pytest.raises(UnstorableValue):
        check_storable(build(101))


def test_deep_nesting_below_a_wide_document_is_rejected():
    value = {"a": 1, "b": [1, 2, 3], "c": {"d": nested_dicts(100)}}
    with pytest.raises(UnstorableValue):
        check_storable(value)


def test_100000_deep_list_is_rejected_without_recursion_error():
    value = nested_lists(100_000)
    try:
        with pytest.raises(UnstorableValue):
            check_storable(value)
    finally:
        # unwind iteratively so tearing the structure down cannot overflow either
        while value:
            value = value[0]


def test_100000_deep_dict_is_rejected_without_recursion_error():
    value = nested_dicts(100_000)
    try:
        with pytest.raises(UnstorableValue):
            check_storable(value)
    finally:
        while value:
            value = value["k"]


@pytest.mark.parametrize("number", [0, 1, -1, 2 ** 63 - 1, -(2 ** 63)])
def test_int64_range_is_storable(number):
    check_storable({"n": number, "l": [number]})


@pytest.mark.parametrize("number", [2 ** 63, -(2 ** 63) - 1, 10 ** 30, -(10 ** 30)])
def test_ints_outside_int64_are_rejected(number):
    with pytest.raises(UnstorableValue):
        check_storable({"n": number})


def test_big_int_deep_in_a_list_is_rejected():
    with pytest.raises(UnstorableValue):
        check_storable({"a": [{"b": [1, 2, 2 ** 64]}]})


def test_booleans_and_floats_are_storable():
    check_storable({"t": True, "f": False, "x": 1e308, "y": -0.5, "z": None})


@pytest.mark.parametrize("value", [
    {"s": "\ud800"},
    {"s": "ok \udfff"},
    {"\ud83d": "key"},
    {"l": ["fine", {"deep": "\udc00"}]},
])
def test_lone_surrogates_are_rejected(value):
    with pytest.raises(UnstorableValue):
        check_storable(value)


def test_valid_unicode_is_storable():
    check_storable({"日本": "語", "emoji": "😀", "é.x": ["ü", {"ß": "€"}], "nul": "a\0b"})


def test_unstorable_value_is_a_value_error():
    assert issubclass(UnstorableValue, ValueError)


def realistic_job():
    """A job document as teuthology reports it (clients.md §5.2)."""
    sha1 = "0123456789abcdef0123456789abcdef01234567"
    run = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"
    return {
        "name": run,
        "job_id": "7891234",
        "description": "rados/thrash/{clusters/fixed-2 msgr/async thrashers/default "
                       "workloads/radosbench}",
        "owner": "scheduled_teuthology@teuthology", "user": "teuthology",
        "status": "fail", "success": False,
        "failure_reason": "Command failed on smithi001 with status 1: 'sudo ceph osd ...'",
        "sentry_event": "https://sentry.example/?query=abc", "duration": 5421.7,
        "flavor": "default", "pid": 4343, "priority": 100, "seed": 8765, "subset": "1/64",
        "no_nested_subset": False, "timestamp": "2026-01-02_03:04:05", "expire": None,
        "email": None, "verbose": False, "first_in_suite": False, "last_in_suite": False,
        "machine_type": "smithi", "os_type": "ubuntu", "os_version": "22.04",
        "branch": "main", "sha1": sha1, "suite": "rados", "suite_branch": "main",
        "suite_sha1": sha1, "suite_repo": "https://github.com/ceph/ceph-ci.git",
        "suite_relpath": "qa",
        "suite_path": "/home/teuthworker/src/github.com_ceph_ceph-c_main/qa",
        "repo": "https://github.com/ceph/ceph-ci.git", "teuthology_branch": "main",
        "teuthology_sha1": sha1,
        "archive_path": f"/home/teuthworker/archive/{run}/7891234",
        "archive_upload": None, "archive_upload_key": None,
        "worker_log": "/home/teuthworker/archive/worker_logs/worker.smithi.1234",
        "sleep_before_teardown": 0,
        "kernel": {"kdb": True, "sha1": "distro"},
        "roles": [["mon.a", "mgr.x", "osd.0", "osd.1", "client.0"],
                  ["mon.b", "osd.2", "osd.3"]],
        "targets": {"smithi001.front.sepia.ceph.com": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA1",
                    "smithi002.front.sepia.ceph.com": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA2"},
        "overrides": {
            "admin_socket": {"branch": "main"},
            "ceph": {"conf": {"mon": {"debug mon": 20, "mon warn on pool no app": False},
                              "mgr": {"debug mgr": 20, "debug ms": 1},
                              "osd": {"debug osd": 25, "osd shutdown pgref assert": True,
                                      "bluestore block size": 96636764160}},
                     "flavor": "default",
                     "log-ignorelist": ["\\(MDS_ALL_DOWN\\)", "\\(MDS_UP_LESS_THAN_MAX\\)",
                                        "\\(OSD_SLOW_PING_TIME", "overall HEALTH_"],
                     "sha1": sha1},
            "install": {"ceph": {"flavor": "default", "sha1": sha1}},
            "workunit": {"branch": "main", "sha1": sha1},
            "thrashosds": {"chance_pgnum_grow": 1, "chance_pgpnum_fix": 1, "timeout": 1200},
            "selinux": {"allowlist": ["scontext=system_u:system_r:logrotate_t:s0"]},
        },
        "tasks": [{"internal.check_packages": None}, {"internal.buildpackages_prep": None},
                  {"internal.save_config": None}, {"internal.check_lock": None},
                  {"install": None}, {"ceph": None},
                  {"thrashosds": {"op_delay": 30, "chance_down": 0.5}},
                  {"workunit": {"clients": {"client.0": ["rados/test.sh"]}}}],
        "pcp_grafana_url": None,
        "nuke-on-error": True,
    }


def test_realistic_teuthology_job_is_storable():
    check_storable(realistic_job())


def test_realistic_teuthology_job_survives_json_and_key_encoding():
    job = json.loads(json.dumps(realistic_job()))
    check_storable(encode_keys(job))
    assert decode_keys(encode_keys(job)) == job
