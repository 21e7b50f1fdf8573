"""Lists of filter values (`/runs/branch/`, `/runs/branch/main/suite/`...) kept per run values'
version (services/run_values.py): each app serves them from its cache until the version moves,
and no change of the runs' values, by any path or any host, is ever missed by a later read.

Each test reads through a second app (a second host, with its own cache) the lists the first
one's writes change, having read them before the change so that a stale entry would show."""
from datetime import datetime, timedelta

import pytest

from paddles_mongo.db import MARKED_RUNS, VALUES_MARK
from paddles_mongo.repairs import StaleWriteRepairs
from paddles_mongo.services import run_values
from paddles_mongo.services.run_summary import job_write_update
from tests.integration.support import create_run, post_job, put_job

WHEN = datetime(2026, 3, 1, 12, 0, 0)


def run_name(suite, branch, tag, machine_type="plana", day=0):
    """A run name parsed to user teuthology, `suite`, `branch`, `machine_type`."""
    return (f"teuthology-{WHEN + timedelta(days=day):%Y-%m-%d_%H:%M:%S}-{suite}-{branch}-"
            f"k{tag}-basic-{machine_type}")


def values(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.data)
    return response.get_json()


def kept(client, url):
    """values(url), read twice: the second time from the app's cache (the first may have
    versioned a change instead, and then keeps nothing)."""
    first = values(client, url)
    assert values(client, url) == first
    return first


@pytest.fixture
def hosts(make_client):
    """Two apps on one database, each with its own cache: (writer, reader)."""
    return make_client(), make_client()


def marked(database):
    return [run["name"] for run in database.runs.find(MARKED_RUNS, {"name": 1})]


def version(database):
    return (database.counters.find_one({"_id": run_values.VERSION}) or {}).get("seq", 0)


def test_new_runs_show_in_every_hosts_lists(hosts):
    writer, reader = hosts
    create_run(writer, run_name("rados", "main", "a"))
    assert kept(reader, "/runs/branch/") == ["main"]
    assert kept(reader, "/runs/branch/main/suite/") == ["rados"]
    assert kept(reader, "/runs/machine_type/") == ["plana"]
    assert kept(reader, "/runs/date/") == ["2026-03-01"]
    create_run(writer, run_name("fs", "next", "b", machine_type="mira", day=1))
    assert kept(reader, "/runs/branch/") == ["main", "next"]
    assert values(reader, "/runs/branch/main/suite/") == ["rados"]
    assert values(reader, "/runs/branch/next/suite/") == ["fs"]
    assert values(reader, "/runs/machine_type/") == ["mira", "plana"]
    assert values(reader, "/runs/date/") == ["2026-03-01", "2026-03-02"]
    # the first job of a run (teuthology creates runs this way) makes it too
    post_job(writer, run_name("rbd", "squid", "c", day=2), {"job_id": "1", "status": "queued"})
    assert values(reader, "/runs/branch/") == ["main", "next", "squid"]


@pytest.mark.parametrize("field, corrected, url, expected", [
    ("suite", "fs", "/runs/branch/main/suite/", ["fs"]),
    ("branch", "next", "/runs/suite/rados/branch/", ["next"]),
    ("machine_type", "burnupi", "/runs/machine_type/", ["burnupi"]),
])
def test_a_job_correcting_its_runs_values_moves_the_lists(hosts, field, corrected, url,
                                                          expected):
    writer, reader = hosts
    run = run_name("rados", "main", "a")
    job_id = post_job(writer, run, {"job_id": "1", "status": "queued"})
    before = kept(reader, url)
    assert before != expected
    put_job(writer, run, job_id, {"status": "running", field: corrected})
    assert values(reader, url) == expected


def test_a_batch_of_jobs_correcting_its_run_moves_the_lists(hosts):
    writer, reader = hosts
    run = run_name("rados", "main", "a")
    create_run(writer, run)
    assert kept(reader, "/runs/branch/main/suite/") == ["rados"]
    response = writer.post(f"/runs/{run}/jobs/", json=[
        {"job_id": "1", "status": "queued", "suite": "upgrade"},
        {"job_id": "2", "status": "queued", "suite": "upgrade"}])
    assert response.status_code == 200, response.data
    assert values(reader, "/runs/branch/main/suite/") == ["upgrade"]


def test_jobs_carrying_their_runs_values_leave_it_unmarked(hosts, database):
    """Every teuthology job write carries its run's suite, branch and machine type: only a
    change marks the run (the lists are then read again)."""
    writer, reader = hosts
    run = run_name("rados", "main", "a")
    same = {"suite": "rados", "branch": "main", "machine_type": "plana"}
    job_id = post_job(writer, run, {"job_id": "1", "status": "queued", **same})
    assert kept(reader, "/runs/branch/") == ["main"]  # clears the run's creation mark
    assert marked(database) == []
    settled = version(database)
    put_job(writer, run, job_id, {"status": "running", **same})
    post_job(writer, run, {"job_id": "2", "status": "queued", **same})
    assert marked(database) == []
    assert values(reader, "/runs/branch/") == ["main"]
    assert version(database) == settled


def test_a_deleted_run_leaves_every_hosts_lists(hosts, database):
    writer, reader = hosts
    create_run(writer, run_name("rados", "main", "a"))
    doomed = create_run(writer, run_name("fs", "next", "b"))
    assert kept(reader, "/runs/branch/") == ["main", "next"]
    assert writer.delete(f"/runs/{doomed}/").status_code == 200
    assert values(reader, "/runs/branch/") == ["main"]
    assert database.counters.find_one({"_id": run_values.VERSION}).get("deleting") == []


def test_a_deletion_whose_deleter_died_is_read_fresh_until_repaired(hosts, database, settings):
    writer, reader = hosts
    create_run(writer, run_name("rados", "main", "a"))
    doomed = create_run(writer, run_name("fs", "next", "b"))
    assert kept(reader, "/runs/branch/") == ["main", "next"]
    assert kept(writer, "/runs/branch/") == ["main", "next"]
    # The deleter records its intent, deletes, and dies before moving the version.
    deletion = run_values.deleting_runs(database, datetime(2026, 3, 1))
    deletion.__enter__()
    database.runs.delete_one({"name": doomed})
    stuck = version(database)
    assert values(reader, "/runs/branch/") == ["main"]
    assert values(writer, "/runs/branch/") == ["main"]
    assert run_values.values_version(database) is None  # read fresh while the intent stays
    repairs = StaleWriteRepairs(database, settings.stale_write_seconds, 60)
    repairs.repair_once()  # the intent is old (2026-03-01): dropped, the version moved
    assert database.counters.find_one({"_id": run_values.VERSION})["deleting"] == []
    assert version(database) == stuck + 1
    assert run_values.values_version(database) == stuck + 1
    assert values(reader, "/runs/branch/") == ["main"]


def test_an_intent_younger_than_the_stale_age_is_left_to_its_deleter(database):
    now = datetime.now()
    deletion = run_values.deleting_runs(database, now)
    deletion.__enter__()
    assert run_values.repair_deletions(database, now - timedelta(seconds=60)) == 0
    assert run_values.values_version(database) is None
    deletion.__exit__(None, None, None)
    assert run_values.values_version(database) == version(database)


def test_a_change_made_while_a_reader_moves_the_version_keeps_its_mark(hosts, database,
                                                                         monkeypatch):
    """A reader clears only the marks it read: a change marked after them (here, between the
    version moving and the marks cleared) is versioned by the next reader."""
    writer, reader = hosts
    run = create_run(writer, run_name("rados", "main", "a"))
    take_numbers = database.take_numbers

    def a_change_between(counter, count=1):
        taken = take_numbers(counter, count)
        if counter == run_values.VERSION:
            database.runs.update_one({"name": run},
                                     job_write_update(None, None, {"suite": "fs"}, None))
        return taken

    monkeypatch.setattr(database, "take_numbers", a_change_between)
    assert values(reader, "/runs/branch/main/suite/") in (["rados"], ["fs"])
    monkeypatch.setattr(database, "take_numbers", take_numbers)
    assert marked(database) == [run]
    assert values(reader, "/runs/branch/main/suite/") == ["fs"]
    assert marked(database) == []
    assert values(reader, "/runs/branch/main/suite/") == ["fs"]


def test_lists_of_values_counted_from_jobs_are_read_each_time(hosts, database):
    """Statuses, sha1s and flavors move with every job write, unmarked: never kept."""
    writer, reader = hosts
    run = run_name("rados", "main", "a")
    job_id = post_job(writer, run, {"job_id": "1", "status": "queued", "sha1": "abc"})
    assert kept(reader, "/runs/status/") == ["queued"]
    assert kept(reader, "/runs/branch/main/sha1/") == ["abc"]
    settled = version(database)
    put_job(writer, run, job_id, {"status": "running", "sha1": "def"})
    assert values(reader, "/runs/status/") == ["running"]
    assert values(reader, "/runs/branch/main/sha1/") == ["def"]
    assert version(database) == settled


def test_a_mark_is_a_field_of_the_run_only_until_read(client, database):
    run = create_run(client, run_name("rados", "main", "a"))
    assert VALUES_MARK in database.runs.find_one({"name": run})
    assert VALUES_MARK not in client.get(f"/runs/{run}/").get_json()
    values(client, "/runs/branch/")
    assert VALUES_MARK not in database.runs.find_one({"name": run})
