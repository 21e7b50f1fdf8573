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


# A job write is journalled on its run (findAndModify), then the job's own write (a PUT reads it
# first), then one update of its run, which applies what that job changed to the run's counts,
# drops the journal entry and puts the write's events in the run's outbox (findAndModify,
# answering the outbox), then the events are published: the same commands in a run of any size.
# Publishing events: the newest seq read, the events inserted, the outbox entries pulled.
PUBLISH = ["find", "insert", "update"]

@pytest.mark.parametrize("jobs_in_run", [1, 60])
def test_job_post_uses_six_commands_whatever_the_size_of_the_run(commands_of, jobs_in_run):
    make_runs(commands_of, 1, jobs_per_run=jobs_in_run)
    commands = commands_of("POST", f"/runs/{RUN}-0/jobs/", json={"job_id": "x", "status": "queued"})
    print(f"POST job: {len(commands)} commands {commands}")
    assert commands == ["findAndModify", "insert", "findAndModify", *PUBLISH]


def test_the_first_job_post_of_a_run_also_creates_the_run(commands_of):
    commands = commands_of("POST", f"/runs/{RUN}-new/jobs/", json={"job_id": "1", "status": "queued"})
    # The database's first event: numbered from the floor (counters), read once.
    first_publish = ["find", "find", "insert", "update"]
    assert commands == ["findAndModify", "insert", *first_publish, "findAndModify", "insert",
                        "findAndModify", *PUBLISH]


def test_a_duplicate_job_post_drops_its_journal_entry(commands_of):
    make_runs(commands_of, 1)
    commands = commands_of("POST", f"/runs/{RUN}-0/jobs/", json={"job_id": "1"}, status=400)
    assert commands == ["findAndModify", "insert", "update"]


def test_job_post_with_targets_adds_one_command_for_the_nodes(commands_of):
    make_runs(commands_of, 1)
    targets = {f"ubuntu@smithi00{i}.front.sepia.ceph.com": "ssh-ed25519 AAAA" for i in range(3)}
    commands = commands_of("POST", f"/runs/{RUN}-0/jobs/",
                       json={"job_id": "8", "status": "running", "targets": targets})
    # Nodes seen for the first time are created, then numbered in creation order, and their
    # node.created events published.
    assert commands == ["findAndModify", "insert", "findAndModify", *PUBLISH, "update",
                        "findAndModify", "update", *PUBLISH]
    commands = commands_of("POST", f"/runs/{RUN}-0/jobs/",
                       json={"job_id": "9", "status": "running", "targets": targets})
    assert commands == ["findAndModify", "insert", "findAndModify", *PUBLISH, "update"]


@pytest.mark.parametrize("jobs_in_run", [1, 60])
def test_job_put_that_changes_status_uses_seven_commands(commands_of, jobs_in_run):
    make_runs(commands_of, 1, jobs_per_run=jobs_in_run)
    commands = commands_of("PUT", f"/runs/{RUN}-0/jobs/0/", json={"status": "running"})
    print(f"PUT job (status change): {len(commands)} commands {commands}")
    assert commands == ["find", "findAndModify", "update", "findAndModify", *PUBLISH]


def test_job_put_without_status_change_uses_seven_commands(commands_of):
    make_runs(commands_of, 1)
    commands = commands_of("PUT", f"/runs/{RUN}-0/jobs/1/", json={"description": "touched"})
    assert commands == ["find", "findAndModify", "update", "findAndModify", *PUBLISH]


def test_job_delete_also_reads_the_run_and_its_first_job(commands_of):
    """Deleting the first job moves the run's first-job fields to the next job, then reads
    both again to confirm them."""
    make_runs(commands_of, 1)
    commands = commands_of("DELETE", f"/runs/{RUN}-0/jobs/0/")
    assert commands == ["find", "findAndModify", "delete", "findAndModify", *PUBLISH,
                        "find", "find", "update", "find", "find"]
    commands = commands_of("DELETE", f"/runs/{RUN}-0/jobs/2/")
    assert commands == ["find", "findAndModify", "delete", "findAndModify", *PUBLISH,
                        "find", "find"]


def test_job_get_uses_one_command(commands_of):
    make_runs(commands_of, 1)
    assert commands_of("GET", f"/runs/{RUN}-0/jobs/1/") == ["find"]


def test_a_run_page_read_again_is_served_from_the_cache_with_one_command(commands_of):
    make_runs(commands_of, 1, jobs_per_run=30)
    assert commands_of("GET", f"/runs/{RUN}-0/") == ["find", "find"]
    assert commands_of("GET", f"/runs/{RUN}-0/") == ["find"]
