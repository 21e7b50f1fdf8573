"""Run-name parsing (spec §5.1) and run creation from a name (§5.1, §5.5)."""
from datetime import datetime

import pytest

from paddles_mongo.domain.runnames import parse_run_name
from paddles_mongo.services.runs import new_run
from tests.helpers import SPEC_NAME_TABLE

# Every row of the worked-examples table of spec §5.1, each test once per row.
over_name_table = pytest.mark.parametrize("name,user,suite,branch,machine_type,scheduled",
                                          SPEC_NAME_TABLE,
                                          ids=[row[0] for row in SPEC_NAME_TABLE])


@over_name_table
def test_name_table_user(name, user, suite, branch, machine_type, scheduled):
    assert parse_run_name(name)["user"] == user


@over_name_table
def test_name_table_suite(name, user, suite, branch, machine_type, scheduled):
    assert parse_run_name(name)["suite"] == suite


@over_name_table
def test_name_table_branch(name, user, suite, branch, machine_type, scheduled):
    assert parse_run_name(name)["branch"] == branch


@over_name_table
def test_name_table_machine_type(name, user, suite, branch, machine_type, scheduled):
    assert parse_run_name(name)["machine_type"] == machine_type


@over_name_table
def test_name_table_scheduled_is_the_name_timestamp(name, user, suite, branch, machine_type,
                                                    scheduled):
    assert parse_run_name(name)["scheduled"] == scheduled


@over_name_table
def test_name_table_full_parse(name, user, suite, branch, machine_type, scheduled):
    assert parse_run_name(name) == {"user": user, "suite": suite, "branch": branch,
                                    "machine_type": machine_type, "scheduled": scheduled}


def test_whatup_parses_to_empty_strings_and_no_schedule():
    assert parse_run_name("whatup") == {"user": "", "suite": "", "branch": "",
                                        "machine_type": "", "scheduled": None}


@pytest.mark.parametrize("name", ["", "foo", "slice_valid", "teuthology-rados-next",
                                  "teuthology-2013-10-22-big-next-testing-basic-plana"])
def test_names_without_a_timestamp_parse_to_nothing(name):
    assert parse_run_name(name) == {"user": "", "suite": "", "branch": "",
                                    "machine_type": "", "scheduled": None}


# --- the upstream model tests of spec §7.11 -------------------------------------------------

def test_run_suite_typical():
    assert parse_run_name(
        "teuthology-2013-10-22_03:00:02-big-next-testing-basic-plana")["suite"] == "big"


def test_run_suite_hyphenated():
    assert parse_run_name(
        "teuthology-2013-10-22_03:00:02-ceph-deploy-next-testing-basic-plana"
    )["suite"] == "ceph-deploy"


def test_run_suite_weird():
    assert parse_run_name("teuthology-2013-10-23_00:30:38-rgw-next---basic-saya")["suite"] == "rgw"


def test_run_suite_unlisted():
    assert parse_run_name(
        "teuthology-2013-10-22_03:00:02-kittens-next-testing-basic-plana")["suite"] == "kittens"


def test_run_suite_nosuite():
    assert parse_run_name("whatup")["suite"] == ""


def test_run_branch():
    assert parse_run_name(
        "teuthology-2013-10-22_03:00:02-big-next-testing-basic-plana")["branch"] == "next"


def test_run_branch_hyphenated():
    assert parse_run_name(
        "teuthology-2013-10-22_03:00:02-big-wip-9999-testing-basic-plana")["branch"] == "wip-9999"


def test_run_hyphenated_suite_and_branch():
    parsed = parse_run_name(
        "teuthology-2013-10-22_03:00:02-ceph-deploy-wip-9999-testing-basic-plana")
    assert (parsed["suite"], parsed["branch"]) == ("ceph-deploy", "wip-9999")


def test_run_user():
    assert parse_run_name("teuthology-2013-12-22_01:00:02-x-x-x-x-x")["user"] == "teuthology"


def test_run_machine_type():
    assert parse_run_name("x-2013-12-22_01:00:02-big-x-x-x-plana")["machine_type"] == "plana"


def test_scheduled():
    parsed = parse_run_name("teuthology-2013-10-23_01:35:02-upgrade-small-next-testing-basic-vps")
    assert parsed["scheduled"] == datetime(2013, 10, 23, 1, 35, 2)
    assert parsed["machine_type"] == "vps"


# --- run creation from a name (spec §5.1, §5.5) ---------------------------------------------

NOW = datetime(2026, 11, 28, 1, 37, 12, 599000)


def test_new_run_takes_parsed_attributes_and_starts_empty():
    run = new_run("teuthology-2013-10-22_03:00:02-big-next-testing-basic-plana", NOW, "UTC")
    assert run["name"] == "teuthology-2013-10-22_03:00:02-big-next-testing-basic-plana"
    assert (run["user"], run["suite"], run["branch"], run["machine_type"]) == (
        "teuthology", "big", "next", "plana")
    assert run["status"] == "empty"
    assert run["posted"] == NOW
    assert run["started"] is None
    assert run["updated"] is None


def test_new_run_scheduled_is_name_timestamp_in_utc_when_server_is_utc():
    run = new_run("teuthology-2013-10-23_01:35:02-upgrade-small-next-testing-basic-vps", NOW, "UTC")
    assert run["scheduled"] == datetime(2013, 10, 23, 1, 35, 2)


def test_new_run_scheduled_converts_server_local_time_to_utc():
    # 2013-10-23 01:35:02 in New York (EDT, UTC-4) is 05:35:02 UTC.
    run = new_run("teuthology-2013-10-23_01:35:02-upgrade-small-next-testing-basic-vps", NOW,
                  "America/New_York")
    assert run["scheduled"] == datetime(2013, 10, 23, 5, 35, 2)


def test_new_run_without_timestamp_is_scheduled_when_posted():
    run = new_run("whatup", NOW, "UTC")
    assert run["scheduled"] == NOW
    assert (run["user"], run["suite"], run["branch"], run["machine_type"]) == ("", "", "", "")


# --- more of the grammar of spec §5.1 --------------------------------------------------------

@pytest.mark.parametrize("name,suite,branch,machine_type", [
    # alternatives are tried in list order: the longest upgrade suites come first
    ("teuthology-2014-01-01_00:00:00-upgrade:dumpling-x:stress-split-next-testing-basic-vps",
     "upgrade:dumpling-x:stress-split", "next", "vps"),
    ("teuthology-2014-01-01_00:00:00-upgrade-rados-double-next-testing-basic-plana",
     "upgrade-rados-double", "next", "plana"),
    ("teuthology-2014-01-01_00:00:00-mixed-clients-next-testing-basic-mira",
     "mixed-clients", "next", "mira"),
    # a known suite followed by non-hyphen characters
    ("teuthology-2014-01-01_00:00:00-rbd:cli-master-testing-basic-burnupi",
     "rbd:cli", "master", "burnupi"),
    ("teuthology-2014-01-01_00:00:00-smoke-master-testing-basic-tala",
     "smoke", "master", "tala"),
])
def test_known_suites_and_machine_types(name, suite, branch, machine_type):
    parsed = parse_run_name(name)
    assert (parsed["suite"], parsed["branch"], parsed["machine_type"]) == (
        suite, branch, machine_type)


@pytest.mark.parametrize("distro", ["centos", "debian", "fedora", "opensuse", "rhel", "suse",
                                    "ubuntu"])
def test_pattern_a_accepts_each_known_distro(distro):
    parsed = parse_run_name(f"u-2013-01-01_00:00:00-rados-main-testing-default-plana-{distro}")
    assert (parsed["user"], parsed["suite"], parsed["branch"], parsed["machine_type"]) == (
        "u", "rados", "main", "plana")


def test_captured_values_are_stripped_of_spaces_and_hyphens():
    parsed = parse_run_name(" alice -2013-01-03_10:00:00-big- next -testing-basic-plana")
    assert (parsed["user"], parsed["suite"], parsed["branch"], parsed["machine_type"]) == (
        "alice", "big", "next", "plana")


def test_non_padded_timestamp_in_name():
    parsed = parse_run_name("teuthology-2013-1-2_3:4:5-big-next-testing-basic-plana")
    assert parsed["scheduled"] == datetime(2013, 1, 2, 3, 4, 5)
    assert parsed["suite"] == "big"
