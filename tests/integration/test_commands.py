"""The management commands (spec §6), each run through its script in scripts/ as an operator
would: a subprocess with PADDLES_MONGO_URI pointing at a real database. Data is written through
the API (Flask test client) where the API can produce it; dates and corruptions are then set
directly in the database."""
import json
import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from pymongo import ASCENDING, DESCENDING, MongoClient

from paddles_mongo.commands import COMMANDS
from paddles_mongo.db import INDEXES
from paddles_mongo.query_policy import SecantusDBQueries
from paddles_mongo.services.runs import new_run
from paddles_mongo.timeformat import utcnow
from tests.conftest import RUNS_SCRIPTS, SCRIPTS, free_port, run_script
from tests.integration.support import create_run

pytestmark = RUNS_SCRIPTS

LINKS = sorted(entry.name for entry in SCRIPTS.iterdir() if entry.is_symlink())
DOMAIN = "front.sepia.ceph.com"


def unreachable_uri():
    return f"mongodb://127.0.0.1:{free_port()}/paddles"


def ok(result):
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout.splitlines()


def failed_cleanly(result, code=1):
    """Exit `code`, no traceback, exactly one `Error: ...` line, the last thing on stderr."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == errors[0], result.stderr
    return errors[0]


def host(name):
    return f"{name}.{DOMAIN}"


def create_job(client, run, job_id, **body):
    response = client.post(f"/runs/{run}/jobs/", json={"job_id": job_id, **body})
    assert response.status_code == 200, (response.status_code, response.data)


def update_job(client, run, job_id, **body):
    response = client.put(f"/runs/{run}/jobs/{job_id}/", json=body)
    assert response.status_code == 200, (response.status_code, response.data)


def set_job(database, run, job_id, **fields):
    result = database.jobs.update_one({"run": run, "job_id": job_id}, {"$set": fields})
    assert result.matched_count == 1


def job(database, run, job_id):
    return database.jobs.find_one({"run": run, "job_id": job_id})


def stored_run(database, name):
    return database.runs.find_one({"name": name})


def snapshot(database):
    return {name: list(database.db[name].find().sort("_id", 1))
            for name in ("runs", "jobs", "nodes", "queues")}


# ------------------------------------------------------------------------------------------
# Every script: help, bad arguments, an unreachable database


def test_every_command_has_a_script_linked_to_the_dispatcher():
    assert set(LINKS) == {command.name for command in COMMANDS}
    for name in LINKS:
        assert os.readlink(SCRIPTS / name) == "paddles-command"


@pytest.mark.parametrize("name", LINKS)
def test_help_shows_the_scripts_own_usage_line(name):
    result = run_script(name, unreachable_uri(), "--help")
    lines = ok(result)
    assert lines[0].startswith(f"Usage: {name} "), result.stdout
    command = next(command for command in COMMANDS if command.name == name)
    assert " ".join(command.help.split())[:30] in " ".join(result.stdout.split())


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory):
    """A repository as `make install` leaves it: scripts/, the package, and `.venv` (here the
    environment running the tests)."""
    root = tmp_path_factory.mktemp("clone")
    (root / "scripts").symlink_to(SCRIPTS)
    (root / "paddles_mongo").symlink_to(SCRIPTS.parent / "paddles_mongo")
    (root / ".venv").symlink_to(os.path.dirname(os.path.dirname(sys.executable)))
    return root


@pytest.mark.parametrize("name", LINKS)
def test_scripts_run_from_the_system_python_under_the_repositorys_venv(fresh_clone, name):
    """Started by their shebang with the system's python3 first on PATH (which lacks the
    dependencies), the scripts run again under the repository's .venv."""
    script = fresh_clone / "scripts" / name
    env = {"PATH": "/usr/bin:/bin", "PADDLES_CONFIG": os.devnull}
    for command in ([str(script), "--help"], ["/usr/bin/python3", str(script), "--help"]):
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60,
                                cwd="/")
        assert ok(result)[0].startswith(f"Usage: {name} "), result.stdout


def test_dispatcher_under_a_name_that_is_no_command_says_so():
    result = subprocess.run([sys.executable, str(SCRIPTS / "paddles-command"), "--help"],
                            capture_output=True, text=True, timeout=60, cwd="/")
    assert result.returncode == 1
    assert "no such paddles-mongo command" in result.stderr
    assert "Traceback" not in result.stderr


BAD_ARGUMENTS = [
    ("create-indexes", ["--check", "extra"]),
    ("create-indexes", ["--bogus"]),
    ("expire-jobs", ["--running", "0"]),
    ("expire-jobs", ["-q", "soon"]),
    ("recount", ["--bogus"]),
    ("delete-run", []),
    ("dedupe", ["a%", "b%"]),
    ("reparse", ["extra"]),
    ("set-targets", ["--force"]),
    ("node-jobs", []),
    ("node-jobs", ["smithi", "-c", "0"]),
    ("node-stats", []),
    ("node-stats", ["0"]),
    ("queue-stats", ["week"]),
    ("import-from-paddles", []),
    ("import-from-paddles", ["http://127.0.0.1:1/", "--concurrency", "0"]),
    ("import-from-paddles", ["http://127.0.0.1:1/", "--since", "last-week"]),
]


@pytest.mark.parametrize("name,args", BAD_ARGUMENTS,
                         ids=[f"{name} {' '.join(args)}" for name, args in BAD_ARGUMENTS])
def test_bad_arguments_exit_2_with_usage(name, args):
    result = run_script(name, unreachable_uri(), *args)
    failed_cleanly(result, code=2)
    assert f"Usage: {name} " in result.stderr


UNREACHABLE = [
    ("create-indexes", []),
    ("create-indexes", ["--check"]),
    ("expire-jobs", []),
    ("recount", []),
    ("recount", ["--check"]),
    ("recount", ["--dry-run"]),
    ("create-indexes", ["--dry-run"]),
    ("delete-run", ["some-run"]),
    ("dedupe", []),
    ("reparse", []),
    ("set-targets", []),
    ("node-jobs", ["smithi"]),
    ("node-stats", ["7"]),
    ("queue-stats", ["7"]),
]


@pytest.mark.parametrize("name,args", UNREACHABLE,
                         ids=[f"{name} {' '.join(args)}".strip() for name, args in UNREACHABLE])
def test_unreachable_database_exits_1_with_one_error_line(name, args):
    uri = unreachable_uri()
    result = run_script(name, uri, *args, PADDLES_MONGO_SERVER_SELECTION_TIMEOUT_MS="300")
    error = failed_cleanly(result)
    assert uri in error and "reach" in error, error
    assert result.stdout == ""


def test_bad_settings_exit_1_with_one_error_line(database_uri):
    result = run_script("recount", database_uri, PADDLES_MONGO_SERVER_SELECTION_TIMEOUT_MS="x")
    error = failed_cleanly(result)
    assert "bad settings" in error


# Commands that show a progress bar: on a terminal only ("quiet otherwise", commands/common.py);
# a cron job's stderr stays empty.
PROGRESS_COMMANDS = [("expire-jobs", []), ("recount", []), ("dedupe", []), ("reparse", []),
                     ("set-targets", [])]


@pytest.mark.parametrize("name,args", PROGRESS_COMMANDS,
                         ids=[name for name, _ in PROGRESS_COMMANDS])
def test_progress_is_quiet_when_stderr_is_not_a_terminal(database, database_uri, client, name,
                                                         args):
    create_run(client, "quiet-run")
    create_job(client, "quiet-run", "1", status="pass", success=True)
    result = run_script(name, database_uri, *args)
    ok(result)
    assert result.stderr == ""


# ------------------------------------------------------------------------------------------
# create-indexes --check


def declared_count():
    """The indexes create-indexes makes here: the local database's (`auto` chooses its policy),
    which goes without some (query_policy.py)."""
    return sum(1 for models in INDEXES.values() for model in models
               if model.document["name"] not in SecantusDBQueries.skipped_indexes)


def test_check_passes_when_every_index_exists(database, database_uri):
    result = run_script("create-indexes", database_uri, "--check")
    assert ok(result) == ["indexes match the declaration"]
    assert "indexes match" in result.stdout


def test_check_on_an_empty_database_lists_every_index_missing(database_uri):
    result = run_script("create-indexes", database_uri, "--check")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == declared_count()
    assert all(line.startswith("missing: ") for line in lines)
    assert "missing: jobs.run_job_id_unique" in lines
    assert "missing: runs.name_unique" in lines
    # creating them makes the check pass
    ok(run_script("create-indexes", database_uri))
    assert ok(run_script("create-indexes", database_uri, "--check")) == [
        "indexes match the declaration"]


def test_check_lists_a_dropped_index_as_missing(database, database_uri):
    database.jobs.drop_index("run_job_id_unique")
    result = run_script("create-indexes", database_uri, "--check")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == ["missing: jobs.run_job_id_unique"]
    # the check changed nothing
    assert "run_job_id_unique" not in database.jobs.index_information()


def test_check_lists_an_extra_index_as_unexpected(database, database_uri):
    database.runs.create_index([("extra", ASCENDING)])
    result = run_script("create-indexes", database_uri, "--check")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == ["unexpected: runs.extra_1"]
    assert "extra_1" in database.runs.index_information()


def test_check_lists_an_index_with_other_keys_as_different(database, database_uri):
    database.runs.drop_index("posted")
    database.runs.create_index([("posted", ASCENDING)], name="posted")
    result = run_script("create-indexes", database_uri, "--check")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == ["different: runs.posted"]


def test_check_lists_an_index_that_lost_its_uniqueness_as_different(database, database_uri):
    database.nodes.drop_index("name_unique")
    database.nodes.create_index([("name", ASCENDING)], name="name_unique")
    result = run_script("create-indexes", database_uri, "--check")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == ["different: nodes.name_unique"]


def test_check_lists_every_kind_of_drift_together(database, database_uri):
    database.jobs.drop_index("run_job_id_unique")
    database.runs.create_index([("extra", ASCENDING)])
    database.queues.drop_index("paused_by")
    database.queues.create_index([("paused_by", DESCENDING)], name="paused_by")
    result = run_script("create-indexes", database_uri, "--check")
    assert result.returncode == 1, result.stderr
    assert sorted(result.stdout.splitlines()) == [
        "different: queues.paused_by", "missing: jobs.run_job_id_unique",
        "unexpected: runs.extra_1"]


def index_state(database):
    return {name: database.db[name].index_information() for name in INDEXES}


def test_dry_run_lists_the_drift_creates_nothing_and_exits_0(database, database_uri):
    database.jobs.drop_index("run_job_id_unique")
    database.runs.create_index([("extra", ASCENDING)])
    database.queues.drop_index("paused_by")
    database.queues.create_index([("paused_by", DESCENDING)], name="paused_by")
    before = index_state(database)
    lines = ok(run_script("create-indexes", database_uri, "--dry-run"))
    assert sorted(lines[:-1]) == [
        "different: queues.paused_by", "missing: jobs.run_job_id_unique",
        "unexpected: runs.extra_1"]
    assert lines[-1] == "would create 1 indexes"
    assert index_state(database) == before


def test_dry_run_on_an_empty_database_would_create_every_index(database_uri):
    lines = ok(run_script("create-indexes", database_uri, "--dry-run"))
    assert lines[-1] == f"would create {declared_count()} indexes"
    assert len(lines) == declared_count() + 1
    with MongoClient(database_uri) as client:
        assert client.get_default_database().list_collection_names() == []


def test_dry_run_when_every_index_exists(database, database_uri):
    assert ok(run_script("create-indexes", database_uri, "--dry-run")) == [
        "indexes match the declaration"]


# ------------------------------------------------------------------------------------------
# expire-jobs


def expire_lab(client, database):
    """Runs whose jobs are stale or fresh in every way the rule distinguishes. Returns `now`."""
    now = utcnow()
    minutes = lambda n: now - timedelta(minutes=n)  # noqa: E731
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    lab = {
        "stale-running": [("1", dict(status="running", success=False), minutes(31))],
        "stale-waiting": [("1", dict(status="waiting"), minutes(45)),
                          ("2", dict(status="pass", success=True), days(30))],
        "stale-unknown": [("1", dict(status="unknown"), minutes(120))],
        "fresh-and-stale": [("1", dict(status="running"), minutes(10)),
                            ("2", dict(status="running"), minutes(40))],
        "stale-queued": [("1", dict(status="queued"), days(15)),
                         ("2", dict(status="queued"), days(13)),
                         ("3", dict(status="queued"), minutes(60))],
        "finished": [("1", dict(status="pass", success=True), days(30)),
                     ("2", dict(status="fail", success=False), days(30)),
                     ("3", dict(status="dead"), days(30))],
        "never-updated": [("1", dict(status="running"), None),
                          ("2", dict(status="queued"), None)],
    }
    for run, jobs in lab.items():
        create_run(client, run)
        for job_id, body, _ in jobs:
            create_job(client, run, job_id, **body)
        for job_id, _, updated in jobs:
            if updated is None:
                database.jobs.update_one({"run": run, "job_id": job_id},
                                         {"$unset": {"updated": ""}})
            else:
                set_job(database, run, job_id, updated=updated)
        database.runs.update_one({"name": run}, {"$set": {"updated": days(40)}})
    return now


EXPIRED = {("stale-running", "1"), ("stale-waiting", "1"), ("stale-unknown", "1"),
           ("fresh-and-stale", "2"), ("stale-queued", "1")}


def test_expire_jobs_marks_stale_jobs_dead_and_leaves_the_rest(client, database, database_uri):
    expire_lab(client, database)
    before = {(j["run"], j["job_id"]): j for j in database.jobs.find()}
    lines = ok(run_script("expire-jobs", database_uri))
    assert lines == ["marked 5 jobs dead in 5 runs"]
    after = {(j["run"], j["job_id"]): j for j in database.jobs.find()}
    assert set(after) == set(before)
    for key, old in before.items():
        new = after[key]
        if key in EXPIRED:
            assert new["status"] == "dead", key
            # status only: neither `success` nor `updated` moves
            assert new.get("success") == old.get("success"), key
            assert new.get("updated") == old.get("updated"), key
        else:
            assert new["status"] == old["status"], key
            assert ({k: v for k, v in new.items() if k != "rev"}
                    == {k: v for k, v in old.items() if k != "rev"}), key
    assert after[("stale-running", "1")]["success"] is False
    assert "updated" not in after[("never-updated", "1")]


def test_expire_jobs_stores_the_affected_runs_status(client, database, database_uri):
    expire_lab(client, database)
    before = {run["name"]: run for run in database.runs.find()}
    ok(run_script("expire-jobs", database_uri))
    statuses = {run["name"]: run["status"] for run in database.runs.find()}
    assert statuses == {
        "stale-running": "finished dead",
        "stale-waiting": "finished fail",
        "stale-unknown": "finished dead",
        "fresh-and-stale": "running",
        "stale-queued": "finished fail",
        "finished": "finished fail",
        "never-updated": "running",
    }
    for run in database.runs.find():
        assert run["updated"] == before[run["name"]]["updated"], run["name"]
    # the API reports the same status as is stored
    for name, status in statuses.items():
        assert client.get(f"/runs/{name}/").get_json()["status"] == status


def test_expire_jobs_thresholds_are_options(client, database, database_uri):
    now = utcnow()
    create_run(client, "thresholds")
    for job_id, status, age in (("1", "running", timedelta(minutes=60)),
                                ("2", "running", timedelta(minutes=150)),
                                ("3", "waiting", timedelta(minutes=119)),
                                ("4", "queued", timedelta(days=2)),
                                ("5", "queued", timedelta(days=4))):
        create_job(client, "thresholds", job_id, status=status)
        set_job(database, "thresholds", job_id, updated=now - age)
    lines = ok(run_script("expire-jobs", database_uri, "--running", "120", "-q", "3"))
    assert lines == ["marked 2 jobs dead in 1 runs"]
    statuses = {j["job_id"]: j["status"] for j in database.jobs.find({"run": "thresholds"})}
    assert statuses == {"1": "running", "2": "dead", "3": "waiting", "4": "queued", "5": "dead"}
    lines = ok(run_script("expire-jobs", database_uri, "-r", "30", "--queued", "1"))
    assert lines == ["marked 3 jobs dead in 1 runs"]
    assert {j["status"] for j in database.jobs.find({"run": "thresholds"})} == {"dead"}
    assert stored_run(database, "thresholds")["status"] == "finished dead"


def test_expire_jobs_dry_run_changes_nothing_and_reports_the_count(client, database,
                                                                  database_uri):
    expire_lab(client, database)
    before = snapshot(database)
    lines = ok(run_script("expire-jobs", database_uri, "--dry-run"))
    assert lines == ["would mark 5 jobs dead in 5 runs"]
    assert snapshot(database) == before
    # and a real run afterwards does what the dry run announced
    assert ok(run_script("expire-jobs", database_uri)) == ["marked 5 jobs dead in 5 runs"]


def test_expire_jobs_with_nothing_stale(client, database, database_uri):
    create_run(client, "fresh")
    create_job(client, "fresh", "1", status="running")
    before = snapshot(database)
    assert ok(run_script("expire-jobs", database_uri)) == ["marked 0 jobs dead in 0 runs"]
    assert snapshot(database) == before


# ------------------------------------------------------------------------------------------
# recount


def recount_lab(client, database):
    create_run(client, "a-pass")
    create_job(client, "a-pass", "1", status="pass", success=True, sha1="aaa", flavor="default")
    create_job(client, "a-pass", "2", status="pass", success=True, sha1="aaa", flavor="default")
    create_run(client, "b-fail")
    create_job(client, "b-fail", "1", status="fail", success=False, sha1="bbb", flavor="default")
    create_run(client, "c-queued")
    create_job(client, "c-queued", "1", status="queued", sha1="ccc", flavor="crimson")
    create_run(client, "d-running")
    create_job(client, "d-running", "1", status="running", sha1="ddd", flavor="default")
    create_run(client, "e-empty")
    # corruptions: a status, a sha1 list, a flavor list
    database.runs.update_one({"name": "a-pass"}, {"$set": {"status": "running"}})
    database.runs.update_one({"name": "b-fail"}, {"$set": {"sha1s": ["zzz"]}})
    database.runs.update_one({"name": "c-queued"}, {"$set": {"flavors": ["bogus"]}})


EXPECTED_RUNS = {
    "a-pass": ("finished pass", ["aaa"], ["default"]),
    "b-fail": ("finished fail", ["bbb"], ["default"]),
    "c-queued": ("queued", ["ccc"], ["crimson"]),
    "d-running": ("running", ["ddd"], ["default"]),
    "e-empty": ("empty", [], []),
}


# How recount_lab's corruptions show: each differing field, stored -> counted.
RECOUNT_CHANGES = [
    "a-pass: status 'running' -> 'finished pass'",
    "b-fail: sha1s ['zzz'] -> ['bbb']",
    "c-queued: flavors ['bogus'] -> ['crimson']",
]


def stored_summaries(database):
    return {run["name"]: (run["status"], run["sha1s"], run["flavors"])
            for run in database.runs.find()}


def test_recount_check_lists_exactly_the_differing_runs_and_changes_nothing(client, database,
                                                                           database_uri):
    recount_lab(client, database)
    before = snapshot(database)
    result = run_script("recount", database_uri, "--check")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout.splitlines() == [*RECOUNT_CHANGES, "3 runs differ"]
    assert snapshot(database) == before


def test_recount_dry_run_lists_how_the_runs_would_change_changes_nothing_and_exits_0(
        client, database, database_uri):
    recount_lab(client, database)
    before = snapshot(database)
    assert ok(run_script("recount", database_uri, "--dry-run")) == [
        *RECOUNT_CHANGES, "would fix 3 runs"]
    assert snapshot(database) == before
    assert ok(run_script("recount", database_uri, "--dry-run", "d-running")) == [
        "would fix 0 runs"]


def test_recount_fixes_the_runs_and_a_following_check_passes(client, database, database_uri):
    recount_lab(client, database)
    lines = ok(run_script("recount", database_uri))
    assert lines[-1] == "3 runs fixed"
    assert [line.split(":")[0] for line in lines[:-1]] == ["a-pass", "b-fail", "c-queued"]
    assert stored_summaries(database) == EXPECTED_RUNS
    assert ok(run_script("recount", database_uri, "--check")) == ["0 runs differ"]
    assert ok(run_script("recount", database_uri)) == ["0 runs fixed"]


def test_recount_of_one_named_run_touches_only_that_run(client, database, database_uri):
    recount_lab(client, database)
    before = {run["name"]: run for run in database.runs.find()}
    lines = ok(run_script("recount", database_uri, "a-pass"))
    assert lines == [RECOUNT_CHANGES[0], "1 runs fixed"]
    after = {run["name"]: run for run in database.runs.find()}
    assert after["a-pass"]["status"] == "finished pass"
    for name in ("b-fail", "c-queued", "d-running", "e-empty"):
        assert after[name] == before[name], name
    result = run_script("recount", database_uri, "--check", "b-fail", "d-running")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [RECOUNT_CHANGES[1], "1 runs differ"]


# ------------------------------------------------------------------------------------------
# delete-run


def delete_lab(client):
    for run in ("doomed-run", "other-run"):
        create_run(client, run)
        for job_id in ("1", "2", "3"):
            create_job(client, run, job_id, status="pass", success=True,
                     targets={f"ubuntu@{host('smithi001')}": "ssh-ed25519 AAAA"})


def test_delete_run_deletes_the_run_and_its_jobs_only(client, database, database_uri):
    delete_lab(client)
    assert ok(run_script("delete-run", database_uri, "doomed-run")) == [
        "deleted run doomed-run and 3 jobs"]
    assert stored_run(database, "doomed-run") is None
    assert database.jobs.count_documents({"run": "doomed-run"}) == 0
    assert client.get("/runs/doomed-run/").status_code == 404
    assert database.jobs.count_documents({"run": "other-run"}) == 3
    assert stored_run(database, "other-run") is not None
    assert database.nodes.count_documents({"name": host("smithi001")}) == 1


def test_delete_run_dry_run_changes_nothing(client, database, database_uri):
    delete_lab(client)
    before = snapshot(database)
    assert ok(run_script("delete-run", database_uri, "doomed-run", "--dry-run")) == [
        "would delete run doomed-run and 3 jobs"]
    assert snapshot(database) == before


def test_delete_run_of_a_missing_run_exits_1(client, database, database_uri):
    delete_lab(client)
    before = snapshot(database)
    error = failed_cleanly(run_script("delete-run", database_uri, "no-such-run"))
    assert "non-existent run" in error
    assert snapshot(database) == before


# ------------------------------------------------------------------------------------------
# dedupe: data imported without the unique indexes

ALICE = "alice-2026-01-02_03:04:05-rados-main-distro-default-smithi"
BOB = "bob-2026-01-02_03:04:05-rbd-main-distro-default-smithi"


@pytest.fixture
def raw_db(database_uri):
    """The test's database with no indexes at all (create_indexes never ran on it)."""
    with MongoClient(database_uri) as mongo:
        yield mongo.get_default_database()


def raw_job(run, job_id, updated, **fields):
    return {"run": run, "job_id": job_id, "posted": updated - timedelta(hours=2),
            "started": None, "updated": updated, "target_nodes": [], "rev": 0, **fields}


def insert_duplicates(raw_db):
    now = utcnow()
    earlier = now - timedelta(hours=1)
    for name, copies in ((ALICE, 3), (BOB, 2)):
        for _ in range(copies):
            raw_db.runs.insert_one(new_run(name, now, "UTC"))
    raw_db.jobs.insert_many([
        # alice job 1: kept running; its duplicate reports the pass
        raw_job(ALICE, "1", earlier, status="running", success=None, description="thrash",
                sha1="aaa", target_nodes=[host("smithi001")]),
        raw_job(ALICE, "2", earlier, status="pass", success=True, description="single"),
        raw_job(ALICE, "3", earlier, status="pass", success=True, description="sticky"),
        raw_job(ALICE, "1", now, status="pass", success=True, duration=3600, sha1="aaa",
                target_nodes=[host("smithi002")]),
        # a duplicate of a passed job cannot move it out of pass
        raw_job(ALICE, "3", now, status="running"),
        raw_job(BOB, "1", earlier, status="queued", description="bob's"),
        raw_job(BOB, "1", now, status="dead"),
    ])
    return now


def groups(raw_db):
    runs = {}
    for run in raw_db.runs.find():
        runs[run["name"]] = runs.get(run["name"], 0) + 1
    jobs = {}
    for job_doc in raw_db.jobs.find():
        key = (job_doc["run"], job_doc["job_id"])
        jobs[key] = jobs.get(key, 0) + 1
    return runs, jobs


def test_dedupe_folds_duplicate_runs_and_jobs(raw_db, database_uri):
    now = insert_duplicates(raw_db)
    lines = ok(run_script("dedupe", database_uri))
    # its deletions moved the run values' version (services/run_values.py), intents done
    assert raw_db.counters.find_one({"_id": "run_values"}) == {
        "_id": "run_values", "seq": 2, "deleting": []}
    assert lines == ["removed 3 duplicate runs and 3 duplicate jobs"]
    runs, jobs = groups(raw_db)
    assert runs == {ALICE: 1, BOB: 1}
    assert jobs == {(ALICE, "1"): 1, (ALICE, "2"): 1, (ALICE, "3"): 1, (BOB, "1"): 1}
    folded = raw_db.jobs.find_one({"run": ALICE, "job_id": "1"})
    assert folded["status"] == "pass"
    assert folded["success"] is True
    assert folded["duration"] == 3600
    assert folded["description"] == "thrash"  # kept where the duplicate had nothing
    assert folded["updated"] == now
    assert sorted(folded["target_nodes"]) == [host("smithi001"), host("smithi002")]
    assert raw_db.jobs.find_one({"run": ALICE, "job_id": "3"})["status"] == "pass"
    assert raw_db.jobs.find_one({"run": ALICE, "job_id": "2"})["description"] == "single"
    bob = raw_db.jobs.find_one({"run": BOB, "job_id": "1"})
    assert bob["status"] == "dead" and bob["description"] == "bob's"
    # the runs' stored status is recounted from the folded jobs
    assert raw_db.runs.find_one({"name": ALICE})["status"] == "finished pass"
    assert raw_db.runs.find_one({"name": BOB})["status"] == "finished dead"


def test_unique_indexes_can_be_created_after_dedupe(raw_db, database_uri):
    insert_duplicates(raw_db)
    before = run_script("create-indexes", database_uri)
    assert before.returncode == 1  # the duplicates stop the unique indexes
    ok(run_script("dedupe", database_uri))
    ok(run_script("create-indexes", database_uri))
    assert ok(run_script("create-indexes", database_uri, "--check")) == [
        "indexes match the declaration"]
    assert ok(run_script("recount", database_uri, "--check")) == ["0 runs differ"]


def test_dedupe_pattern_limits_it_to_matching_runs(raw_db, database_uri):
    insert_duplicates(raw_db)
    assert ok(run_script("dedupe", database_uri, "alice-%")) == [
        "removed 2 duplicate runs and 2 duplicate jobs"]
    runs, jobs = groups(raw_db)
    assert runs == {ALICE: 1, BOB: 2}
    assert jobs[(ALICE, "1")] == 1 and jobs[(BOB, "1")] == 2
    # `_` is one character: this matches bob's run and nothing else
    assert ok(run_script("dedupe", database_uri, "_ob-2026-01-02%")) == [
        "removed 1 duplicate runs and 1 duplicate jobs"]
    runs, jobs = groups(raw_db)
    assert runs == {ALICE: 1, BOB: 1}
    assert set(jobs.values()) == {1}


def test_dedupe_pattern_is_anchored_like_sql_like(raw_db, database_uri):
    insert_duplicates(raw_db)
    before = groups(raw_db)
    assert ok(run_script("dedupe", database_uri, "alice")) == [
        "removed 0 duplicate runs and 0 duplicate jobs"]
    assert ok(run_script("dedupe", database_uri, "rados%")) == [
        "removed 0 duplicate runs and 0 duplicate jobs"]
    assert groups(raw_db) == before


def test_dedupe_dry_run_changes_nothing(raw_db, database_uri):
    insert_duplicates(raw_db)
    before = {name: list(raw_db[name].find().sort("_id", 1)) for name in ("runs", "jobs")}
    assert ok(run_script("dedupe", database_uri, "--dry-run")) == [
        "would remove 3 duplicate runs and 3 duplicate jobs"]
    assert {name: list(raw_db[name].find().sort("_id", 1))
            for name in ("runs", "jobs")} == before


# ------------------------------------------------------------------------------------------
# reparse

PARSED = ("user", "suite", "branch", "machine_type", "scheduled")
TAMPERED = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"
CORRECTED = "yuriw-2026-02-03_04:05:06-rbd-wip-yuri-testing-distro-default-smithi"
UNTOUCHED = "pdonnell-2026-03-04_05:06:07-fs-main-distro-default-smithi"
NO_TIMESTAMP = "ad-hoc-run"


def reparse_lab(client, database):
    for name in (TAMPERED, CORRECTED, UNTOUCHED, NO_TIMESTAMP):
        create_run(client, name)
    parsed = {run["name"]: {key: run[key] for key in PARSED} for run in database.runs.find()}
    database.runs.update_one({"name": TAMPERED}, {"$set": {
        "user": "mallory", "suite": "other", "branch": "elsewhere",
        "scheduled": parsed[TAMPERED]["scheduled"] - timedelta(days=3)}})
    # a job's report corrects the run's suite/branch/machine_type (spec §5.1)
    create_job(client, CORRECTED, "1", status="queued", suite="rbd:mirror",
             branch="wip-yuri-testing-2026", machine_type="smithi")
    assert stored_run(database, CORRECTED)["machine_type"] == "smithi"
    database.runs.update_one({"name": NO_TIMESTAMP}, {"$set": {
        "scheduled": parsed[NO_TIMESTAMP]["scheduled"] + timedelta(days=1)}})
    return parsed


def test_reparse_restores_the_parsed_values(client, database, database_uri):
    parsed = reparse_lab(client, database)
    # The app keeps the users it lists (per run values' version): the reparse moves them.
    assert "mallory" in client.get("/runs/user/").get_json()
    assert "mallory" in client.get("/runs/user/").get_json()
    lines = ok(run_script("reparse", database_uri))
    assert lines[-1] == "changed 3 runs"
    described = dict(line.split(": ", 1) for line in lines[:-1])
    assert sorted(described) == sorted([TAMPERED, CORRECTED, NO_TIMESTAMP])
    assert "user: 'mallory' -> 'teuthology'" in described[TAMPERED]
    assert "suite: 'other' -> 'rados'" in described[TAMPERED]
    assert "machine_type: 'smithi' -> " in described[CORRECTED]
    assert "scheduled" in described[NO_TIMESTAMP]
    for run in database.runs.find():
        assert {key: run[key] for key in PARSED} == parsed[run["name"]], run["name"]
    # the unparsable name's scheduled is its posted time, as at creation
    no_timestamp = stored_run(database, NO_TIMESTAMP)
    assert no_timestamp["scheduled"] == no_timestamp["posted"]
    assert ok(run_script("reparse", database_uri)) == ["changed 0 runs"]
    assert client.get("/runs/user/").get_json() == sorted(
        {values["user"] for values in parsed.values()} - {""})


def test_reparse_dry_run_reports_only(client, database, database_uri):
    reparse_lab(client, database)
    before = snapshot(database)
    lines = ok(run_script("reparse", database_uri, "--dry-run"))
    assert lines[-1] == "would change 3 runs"
    assert sorted(line.split(": ", 1)[0] for line in lines[:-1]) == sorted(
        [TAMPERED, CORRECTED, NO_TIMESTAMP])
    assert snapshot(database) == before


# ------------------------------------------------------------------------------------------
# set-targets

GUESSED = {"plana001": "plana", "mira002": "mira", "vps003": "vps", "vpm004": "vps",
           "burnupi005": "burnupi", "tala006": "tala", "saya007": "saya", "dubia008": "dubia"}
TARGET_RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"


def targets(*names):
    return {f"ubuntu@{host(name)}": f"ssh-ed25519 AAAA{name}" for name in names}


def set_targets_lab(client, database):
    create_run(client, TARGET_RUN)
    jobs = {"1": ["plana001", "mira002"], "2": ["vps003", "vpm004"],
            "3": ["burnupi005", "tala006", "saya007", "dubia008", "smithi009"],
            "5": ["smithi050"]}
    for job_id, names in jobs.items():
        create_job(client, TARGET_RUN, job_id, status="running", targets=targets(*names))
    create_job(client, TARGET_RUN, "4", status="queued")
    for name in ("mira099", "plana100"):
        response = client.post("/nodes/", json={"name": host(name)})
        assert response.status_code == 200
    client.put(f"/nodes/{host('plana100')}/", json={"machine_type": "custom"})
    # the links were lost (jobs 1 and 2: emptied; job 3: the field is gone) ...
    set_job(database, TARGET_RUN, "1", target_nodes=[])
    set_job(database, TARGET_RUN, "2", target_nodes=[])
    database.jobs.update_one({"run": TARGET_RUN, "job_id": "3"}, {"$unset": {"target_nodes": ""}})
    # ... and so were most of the nodes
    database.nodes.delete_many({"name": {"$in": [host(name) for name in GUESSED
                                                 if name != "mira002"]}})
    return jobs


def test_set_targets_relinks_jobs_and_creates_nodes_with_guessed_types(client, database,
                                                                       database_uri):
    jobs = set_targets_lab(client, database)
    lines = ok(run_script("set-targets", database_uri))
    assert lines == ["linked 3 jobs; 7 nodes created; 2 node types filled"]
    for job_id in ("1", "2", "3"):
        assert sorted(job(database, TARGET_RUN, job_id)["target_nodes"]) == sorted(
            host(name) for name in jobs[job_id]), job_id
    assert job(database, TARGET_RUN, "5")["target_nodes"] == [host("smithi050")]
    assert job(database, TARGET_RUN, "4")["target_nodes"] == []
    for name, machine_type in GUESSED.items():
        node = client.get(f"/nodes/{host(name)}/")
        assert node.status_code == 200, name
        assert node.get_json()["machine_type"] == machine_type, name
        assert node.get_json()["locked"] is False
    # nodes without a machine type got one where the hostname tells it
    assert client.get(f"/nodes/{host('mira099')}/").get_json()["machine_type"] == "mira"
    assert client.get(f"/nodes/{host('smithi009')}/").get_json()["machine_type"] is None
    assert client.get(f"/nodes/{host('plana100')}/").get_json()["machine_type"] == "custom"
    # the node's job history is back
    history = client.get(f"/nodes/{host('tala006')}/jobs/").get_json()
    assert [entry["job_id"] for entry in history] == ["3"]
    assert ok(run_script("set-targets", database_uri)) == [
        "linked 0 jobs; 0 nodes created; 0 node types filled"]


def test_set_targets_dry_run_changes_nothing(client, database, database_uri):
    set_targets_lab(client, database)
    before = snapshot(database)
    assert ok(run_script("set-targets", database_uri, "--dry-run")) == [
        "would link 3 jobs; 7 nodes created; 2 node types filled"]
    assert snapshot(database) == before


# ------------------------------------------------------------------------------------------
# node-jobs


def test_node_jobs_prefix_match_newest_updated_first(client, database, database_uri):
    now = utcnow()
    placements = [("run-x", "1", ["smithi001"], 5), ("run-x", "2", ["smithi002"], 1),
                  ("run-x", "3", ["smithi010"], 0), ("run-x", "4", ["smithi001", "smithi002"], 3),
                  ("run-x", "5", ["mira001"], 2), ("run-y", "1", ["smithi001"], 4)]
    for run, job_id, names, hours in placements:
        create_job(client, run, job_id, status="pass", success=True, targets=targets(*names))
        set_job(database, run, job_id, updated=now - timedelta(hours=hours))
    assert ok(run_script("node-jobs", database_uri, "smithi00")) == [
        "run-x/2/", "run-x/4/", "run-y/1/", "run-x/1/"]
    assert ok(run_script("node-jobs", database_uri, "smithi00", "-c", "2")) == [
        "run-x/2/", "run-x/4/"]
    assert ok(run_script("node-jobs", database_uri, host("smithi001"), "--job-count", "5")) == [
        "run-x/4/", "run-y/1/", "run-x/1/"]
    assert ok(run_script("node-jobs", database_uri, "smithi")) == [
        "run-x/3/", "run-x/2/", "run-x/4/", "run-y/1/", "run-x/1/"]
    assert ok(run_script("node-jobs", database_uri, "mira")) == ["run-x/5/"]
    assert ok(run_script("node-jobs", database_uri, "ovh")) == []


def test_node_jobs_shows_ten_jobs_by_default(client, database, database_uri):
    now = utcnow()
    for number in range(12):
        create_job(client, "busy-run", str(number), status="pass", success=True,
                 targets=targets("mira005"))
        set_job(database, "busy-run", str(number), updated=now - timedelta(minutes=number))
    assert ok(run_script("node-jobs", database_uri, "mira005")) == [
        f"busy-run/{number}/" for number in range(10)]


# ------------------------------------------------------------------------------------------
# node-stats

STATS_RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"


def node_stats_lab(client, database):
    now = utcnow()
    # job id: (status, machine type, nodes, posted age, started after posted, runtime,
    #          duration); `None` runtime: never started
    jobs = {
        "1": ("pass", "smithi", ["smithi001", "smithi002"], timedelta(days=1), 600, 3600, 3000),
        "2": ("fail", "mira", ["mira001"], timedelta(days=2), 60, 1800, 1800),
        "3": ("dead", "smithi", ["smithi003"], timedelta(days=3), 30, 7200, None),
        "4": ("running", "smithi", ["smithi004"], timedelta(days=1), 10, 100, None),
        "5": ("pass", "smithi", ["smithi005"], timedelta(days=1), None, None, 100),
        "6": ("pass", "smithi", ["smithi006"], timedelta(days=10), 10, 100, 90),
        "7": ("queued", "smithi", [], timedelta(days=1), None, None, None),
    }
    create_run(client, STATS_RUN)
    for job_id, (status, machine_type, names, age, wait, runtime, duration) in jobs.items():
        body = dict(status=status, machine_type=machine_type, name=STATS_RUN, suite="rados",
                    description=f"rados/job-{job_id}", duration=duration)
        if names:
            body["targets"] = targets(*names)
        create_job(client, STATS_RUN, job_id, **body)
        posted = now - age
        started = posted + timedelta(seconds=wait) if wait is not None else None
        updated = started + timedelta(seconds=runtime) if started else posted
        set_job(database, STATS_RUN, job_id, posted=posted, started=started, updated=updated)
    return jobs


def test_node_stats_reports_finished_started_jobs_with_their_times(client, database,
                                                                   database_uri):
    node_stats_lab(client, database)
    rows = json.loads(run_script("node-stats", database_uri, "7").stdout)
    by_id = {row["job_id"]: row for row in rows}
    assert sorted(by_id) == ["1", "2", "3"]
    assert by_id["1"] == {"name": STATS_RUN, "job_id": "1", "status": "pass", "suite": "rados",
                          "nodes": 2, "duration": 3000, "runtime": 3600.0, "waited": 600.0,
                          "description": "rados/job-1"}
    assert by_id["2"]["runtime"] == 1800 and by_id["2"]["waited"] == 0
    assert by_id["2"]["status"] == "fail" and by_id["2"]["nodes"] == 1
    assert by_id["3"]["runtime"] == 7200 and by_id["3"]["duration"] is None
    assert by_id["3"]["waited"] is None


def test_node_stats_window_and_machine_type_filter(client, database, database_uri):
    node_stats_lab(client, database)
    result = run_script("node-stats", database_uri, "30", "-m", "smithi")
    ok(result)
    assert sorted(row["job_id"] for row in json.loads(result.stdout)) == ["1", "3", "6"]
    result = run_script("node-stats", database_uri, "3", "--machine-type", "mira")
    ok(result)
    assert [row["job_id"] for row in json.loads(result.stdout)] == ["2"]
    result = run_script("node-stats", database_uri, "7", "-m", "ovh")
    ok(result)
    assert json.loads(result.stdout) == []


# ------------------------------------------------------------------------------------------
# queue-stats

QUEUE_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+scheduled\s+(\d+)\s+completed\s+(\d+)\s+"
                        r"([\d.]+)%$")


def test_queue_stats_one_line_per_day(client, database, database_uri):
    now = utcnow()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = midnight + (now - midnight) / 2
    runs = {"today-run": (today, ["pass", "pass", "fail", "queued"]),
            "yesterday-run": (today - timedelta(days=1), ["pass", "dead"]),
            "yesterday-run-2": (today - timedelta(days=1), ["running", "fail", "fail"]),
            "old-run": (today - timedelta(days=5), ["pass"])}
    for name, (scheduled, statuses) in runs.items():
        create_run(client, name)
        for number, status in enumerate(statuses):
            create_job(client, name, str(number), status=status)
        database.runs.update_one({"name": name}, {"$set": {"scheduled": scheduled}})
    lines = ok(run_script("queue-stats", database_uri, "3"))
    rows = [QUEUE_LINE.match(line) for line in lines]
    assert all(rows), lines
    day = lambda offset: (midnight - timedelta(days=offset)).date().isoformat()  # noqa: E731
    assert [row.groups() for row in rows] == [
        (day(2), "0", "0", "0.0"),
        (day(1), "5", "3", "60.0"),
        (day(0), "4", "3", "75.0"),
    ]
    lines = ok(run_script("queue-stats", database_uri, "6"))
    assert len(lines) == 6
    assert QUEUE_LINE.match(lines[0]).groups() == (day(5), "1", "1", "100.0")
