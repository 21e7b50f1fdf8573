"""MongoDB commands per request, commands_of with a pymongo CommandListener: list pages cost the
same whatever their size, writes a small fixed number."""
import pytest

from paddles_mongo import create_app
from paddles_mongo.db import Database, create_indexes
from tests.conftest import COUNTS_COMMANDS, QUERY_POLICIES
from tests.integration.support import CommandRecorder

pytestmark = [pytest.mark.parametrize("query_policy", QUERY_POLICIES), COUNTS_COMMANDS]

RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"


@pytest.fixture
def commands_of(settings):
    """commands_of(method, url, status=200, **request): the names of the commands the request
    sent to the database, in order."""
    counter = CommandRecorder()
    database = Database(settings, event_listeners=[counter])
    create_indexes(database)
    client = create_app(settings, database).test_client()

    def count(method, url, status=200, **kwargs):
        counter.commands.clear()
        response = client.open(url, method=method, **kwargs)
        assert response.status_code == status, response.get_data(as_text=True)
        return list(counter.commands)

    yield count
    database.close()


def make_runs(count, number, jobs_per_run=3):
    for index in range(number):
        for job_id in range(jobs_per_run):
            count("POST", f"/runs/{RUN}-{index}/jobs/",
                  json={"job_id": str(job_id), "status": "queued", "sha1": "abc"})


@pytest.mark.parametrize("page_size", [1, 10, 40])
def test_run_list_uses_one_command_whatever_the_page_size(commands_of, page_size):
    make_runs(commands_of, 40)
    commands = commands_of("GET", f"/runs/?count={page_size}")
    print(f"GET /runs/?count={page_size}: {len(commands)} commands {commands}")
    assert commands == ["find"]


def test_run_list_with_fields_uses_one_command(commands_of):
    make_runs(commands_of, 5)
    assert commands_of("GET", "/runs/?count=5&fields=name,status,priority") == ["find"]


@pytest.mark.parametrize("jobs_in_run", [1, 60])
def test_run_page_uses_two_commands_whatever_the_number_of_jobs(commands_of, jobs_in_run):
    make_runs(commands_of, 1, jobs_per_run=jobs_in_run)
    commands = commands_of("GET", f"/runs/{RUN}-0/")
    print(f"GET /runs/RUN/ with {jobs_in_run} jobs: {len(commands)} commands {commands}")
    assert commands == ["find", "find"]


def test_run_head_uses_one_command(commands_of):
    make_runs(commands_of, 1)
    assert commands_of("HEAD", f"/runs/{RUN}-0/") == ["find"]


def test_job_list_uses_two_commands(commands_of):
    make_runs(commands_of, 1, jobs_per_run=30)
    assert commands_of("GET", f"/runs/{RUN}-0/jobs/?fields=job_id,status") == ["find", "find"]


# A job write is journalled on its run (a creation: an update answering the journal, for its
# number; a PUT or DELETE: an update answering nothing, as the write it read is counted), then
# the job's own write (a PUT reads it first), then its event is published from the journal
# entry, then one
# update of its run, which applies what that job changed to the run's counts, drops the journal
# entry and puts a status change's event in the run's outbox (an update answering the outbox),
# published if there is one: the same commands in a run of any size.


# Publishing a job write's event: the newest seq read, the event inserted.
JOB_EVENT = ["find", "insert"]
# Publishing an outbox: the newest seq read, the events inserted, the outbox entries pulled.
PUBLISH = ["find", "insert", "update"]

@pytest.mark.parametrize("jobs_in_run", [1, 60])
def test_job_post_costs_the_same_commands_whatever_the_size_of_the_run(commands_of, update_and_read,
                                                                        jobs_in_run):
    make_runs(commands_of, 1, jobs_per_run=jobs_in_run)
    commands = commands_of("POST", f"/runs/{RUN}-0/jobs/", json={"job_id": "x", "status": "queued"})
    print(f"POST job: {len(commands)} commands {commands}")
    assert commands == [*update_and_read, "insert", *JOB_EVENT, *update_and_read]


def test_the_first_job_post_of_a_run_also_creates_the_run(commands_of, update_and_read):
    commands = commands_of("POST", f"/runs/{RUN}-new/jobs/", json={"job_id": "1", "status": "queued"})
    # The database's first event: numbered from the floor (counters), read once.
    first_publish = ["find", "find", "insert", "update"]
    # The journal finds no run (nothing to read): the run is made first. Its status moves from
    # empty to queued: run.updated, from the run's outbox.
    assert commands == [update_and_read[0], "insert", *first_publish, *update_and_read, "insert",
                        *JOB_EVENT, *update_and_read, *PUBLISH]


def test_a_duplicate_job_post_drops_its_journal_entry(commands_of, update_and_read):
    make_runs(commands_of, 1)
    commands = commands_of("POST", f"/runs/{RUN}-0/jobs/", json={"job_id": "1"}, status=400)
    assert commands == [*update_and_read, "insert", "update"]


# A node change's event published: the newest event number read, the event inserted, the
# node's outbox pulled.
NODE_EVENTS = ["find", "insert", "update"]


def test_node_writes_use_a_fixed_number_of_commands(commands_of, update_and_read):
    """A node's update: the node read, then its conditional update answering it. Locking or
    unlocking many: the candidates read, a claim per node, one write of all, the nodes read
    back; whatever the number of nodes in the lab."""
    for name in ("n1", "n2", "n3"):
        commands_of("POST", "/nodes/", json={"name": name, "machine_type": "smithi",
                                              "up": True, "locked": False})
    assert commands_of("PUT", "/nodes/n1/", json={"description": "d"}) == [
        "find", *update_and_read, *NODE_EVENTS]
    assert commands_of("POST", "/nodes/lock_many/", json={
        "count": 2, "machine_type": "smithi", "locked_by": "me", "description": "x"}) == [
        "find", "update", "update", "update", "find", *NODE_EVENTS]
    assert commands_of("POST", "/nodes/unlock_many/",
                       json={"names": ["n1", "n2"], "locked_by": "me"}) == [
        "find", "update", "update", "update", "find", *NODE_EVENTS]


def test_job_post_with_targets_adds_one_command_for_the_nodes(commands_of, update_and_read):
    make_runs(commands_of, 1)
    targets = {f"ubuntu@smithi00{i}.front.sepia.ceph.com": "ssh-ed25519 AAAA" for i in range(3)}
    commands = commands_of("POST", f"/runs/{RUN}-0/jobs/",
                       json={"job_id": "8", "status": "running", "targets": targets})
    # The run starts running (run.updated). Nodes seen for the first time are created, then
    # numbered in creation order, and their node.created events published.
    assert commands == [*update_and_read, "insert", *JOB_EVENT, *update_and_read, *PUBLISH,
                        "update", "findAndModify", "update", *PUBLISH]
    commands = commands_of("POST", f"/runs/{RUN}-0/jobs/",
                       json={"job_id": "9", "status": "running", "targets": targets})
    assert commands == [*update_and_read, "insert", *JOB_EVENT, *update_and_read, "update"]


@pytest.mark.parametrize("jobs_in_run", [1, 60])
def test_job_put_that_changes_the_run_status_publishes_its_run_updated_event(commands_of,
                                                                           jobs_in_run,
                                                                           update_and_read):
    make_runs(commands_of, 1, jobs_per_run=jobs_in_run)
    commands = commands_of("PUT", f"/runs/{RUN}-0/jobs/0/", json={"status": "running"})
    print(f"PUT job (status change): {len(commands)} commands {commands}")
    assert commands == ["find", "update", "update", *JOB_EVENT, *update_and_read, *PUBLISH]


def test_job_put_that_leaves_the_run_status_publishes_only_its_job_event(commands_of,
                                                                        update_and_read):
    make_runs(commands_of, 1)
    # A write that moves no count cannot change the run's status: the count answers nothing.
    commands = commands_of("PUT", f"/runs/{RUN}-0/jobs/1/", json={"description": "touched"})
    assert commands == ["find", "update", "update", *JOB_EVENT, "update"]
    commands_of("PUT", f"/runs/{RUN}-0/jobs/0/", json={"status": "running"})
    commands = commands_of("PUT", f"/runs/{RUN}-0/jobs/1/", json={"status": "running"})
    assert commands == ["find", "update", "update", *JOB_EVENT, *update_and_read]


def test_job_delete_also_reads_the_run_and_its_first_job(commands_of, update_and_read):
    """Deleting the first job moves the run's first-job fields to the next job, then reads
    both again to confirm them."""
    make_runs(commands_of, 1)
    commands = commands_of("DELETE", f"/runs/{RUN}-0/jobs/0/")
    assert commands == ["find", "update", "delete", *JOB_EVENT, *update_and_read,
                        "find", "find", "update", "find", "find"]
    commands = commands_of("DELETE", f"/runs/{RUN}-0/jobs/2/")
    assert commands == ["find", "update", "delete", *JOB_EVENT, *update_and_read,
                        "find", "find"]


@pytest.fixture
def writes_of(settings):
    """writes_of(collection, method, url, **request): (command, filter) of each update of a
    document of `collection` the request sent."""
    class Writes(CommandRecorder):
        def record(self, event):
            command = event.command
            if event.command_name == "update":
                return [(command["update"], "update", one["q"]) for one in command["updates"]]
            if event.command_name == "findAndModify":
                return [(command["findAndModify"], "findAndModify", command["query"])]
            return None

    recorder = Writes()
    database = Database(settings, event_listeners=[recorder])
    create_indexes(database)
    client = create_app(settings, database).test_client()

    def writes(collection, method, url, **kwargs):
        recorder.commands.clear()
        assert client.open(url, method=method, **kwargs).status_code == 200
        return [(kind, query) for command in recorder.commands
                for written, kind, query in command if written == collection]

    yield writes
    database.close()


def test_every_write_of_a_run_by_a_job_write_finds_the_run_by_a_unique_key(writes_of,
                                                                          query_policy):
    """Its name (or `_id`: the outbox's pull), and on the local database as updates without a
    top-level operator: it reads the whole collection for a findAndModify (which it writes
    through `{_id, $and: [filter]}`) or a filter with `$and`, and walks the key's index for
    the others."""
    url = f"/runs/{RUN}/jobs/"
    writes = [*writes_of("runs", "POST", url, json={"job_id": "1", "status": "queued"}),
              *writes_of("runs", "PUT", url + "1/", json={"status": "running"}),
              *writes_of("runs", "POST", url, json=[{"job_id": "1", "status": "pass"},
                                                    {"job_id": "2", "status": "queued"}])]
    assert len(writes) >= 6
    for kind, query in writes:
        assert query.get("name") == RUN or set(query) == {"_id"}, query
        if query_policy == "secantusdb":
            assert kind == "update" and not any(key.startswith("$") for key in query), query


def test_every_write_of_a_node_finds_the_node_by_its_id(writes_of, query_policy):
    """A node's update, and the claims and writes of locking and unlocking many: on the local
    database as updates without a top-level operator (it read the whole collection for each
    when a claim's filter was an `$or`, and for `update_node`'s findAndModify)."""
    for name in ("n1", "n2"):
        writes_of("nodes", "POST", "/nodes/", json={"name": name, "machine_type": "smithi",
                                                    "up": True, "locked": False})
    writes = [*writes_of("nodes", "PUT", "/nodes/n1/", json={"description": "d"}),
              *writes_of("nodes", "POST", "/nodes/lock_many/", json={
                  "count": 2, "machine_type": "smithi", "locked_by": "me", "description": "x"}),
              *writes_of("nodes", "POST", "/nodes/unlock_many/",
                         json={"names": ["n1", "n2"], "locked_by": "me"})]
    assert len(writes) >= 5
    for kind, query in writes:
        assert "_id" in query, query
        if query_policy == "secantusdb":
            assert kind == "update" and not any(key.startswith("$") for key in query), query


def test_job_get_uses_one_command(commands_of):
    make_runs(commands_of, 1)
    assert commands_of("GET", f"/runs/{RUN}-0/jobs/1/") == ["find"]


def test_a_run_page_read_again_is_served_from_the_cache_with_one_command(commands_of):
    make_runs(commands_of, 1, jobs_per_run=30)
    assert commands_of("GET", f"/runs/{RUN}-0/") == ["find", "find"]
    assert commands_of("GET", f"/runs/{RUN}-0/") == ["find"]


def test_a_job_list_read_again_is_served_from_the_cache_with_one_command(commands_of):
    make_runs(commands_of, 1, jobs_per_run=30)
    path = f"/runs/{RUN}-0/jobs/?fields=job_id,status,description"
    assert commands_of("GET", path) == ["find", "find"]
    assert commands_of("GET", path) == ["find"]
    assert commands_of("GET", path + ",run") == ["find", "find", "find"]
    assert commands_of("GET", path + ",run") == ["find"]
