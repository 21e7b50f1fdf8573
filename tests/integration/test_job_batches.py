"""POST /runs/{run}/jobs/ with an array: a batch of job reports, each written as teuthology's
report_job writes one (POST, then PUT on `already exists`), in a number of commands that does
not grow with the batch; a bad item is refused alone, a bad batch whole; resending a batch
changes nothing but `updated`. Races and deaths are injected where they hurt most, and the
run's summary is checked against a recount of its jobs."""
from datetime import timedelta

import pytest
from pymongo.errors import AutoReconnect

from paddles_mongo.api.jobs import MAX_BATCH_JOBS
from paddles_mongo.services import jobs as job_service
from paddles_mongo.services import run_summary
from paddles_mongo.timeformat import utcnow
from tests.conftest import COUNTS_COMMANDS, QUERY_POLICIES
from tests.integration.support import (CommandRecorder, app_on_fresh_database, assert_envelope,
                                       get_run, unique_name)

HOST = "smithi{:03d}.front.sepia.ceph.com"
LATER = timedelta(hours=1)  # a `stale_before` that makes every journal entry stale


def job(job_id, **fields):
    """A job document; sha1 and flavor set, so a recount's first-job fields are the same on
    every backend (mongomock's $first skips a missing field)."""
    return {"job_id": str(job_id), "sha1": "abc", "flavor": "default", **fields}


def send_batch(client, run, items):
    response = client.post(f"/runs/{run}/jobs/", json=items)
    assert response.status_code == 200, (response.status_code, response.data)
    return response.get_json()


def report_singly(client, run, body):
    """teuthology's report_job: POST; on `already exists`, PUT the same body."""
    response = client.post(f"/runs/{run}/jobs/", json=body)
    if response.status_code != 200:
        assert response.get_json()["message"].endswith("already exists"), response.data
        response = client.put(f"/runs/{run}/jobs/{body['job_id']}/", json=body)
    assert response.status_code == 200, response.data


def jobs_of(client, run):
    """The run's jobs as GET answers them, by job_id, without what names the run."""
    response = client.get(f"/runs/{run}/jobs/")
    assert response.status_code == 200, response.data
    return {job["job_id"]: {k: v for k, v in job.items() if k != "log_href"}
            for job in response.get_json()}


def run_of(client, run):
    """The run as GET answers it, without its name and its jobs."""
    return {k: v for k, v in get_run(client, run).items() if k not in ("name", "href", "jobs")}


def assert_summary_exact(database, run):
    stored = database.runs.find_one({"name": run})
    assert stored["pending"] == []
    counted = run_summary.summarize_runs(database, [run])[run]
    assert run_summary.summary_changes(stored, counted) == {}


def all_written(outcomes):
    return all(outcome["status"] == 200 for outcome in outcomes)


def test_a_batch_creates_its_run_and_jobs_and_answers_each_outcome_in_order(client, database):
    run = unique_name()
    items = [job(3, status="queued"), job(1, status="running"), job(2, success=True)]
    assert send_batch(client, run, items) == [
        {"job_id": "3", "status": 200}, {"job_id": "1", "status": 200},
        {"job_id": "2", "status": 200}]
    assert {job_id: job["status"] for job_id, job in jobs_of(client, run).items()} == {
        "1": "running", "2": "pass", "3": "queued"}
    body = get_run(client, run)
    assert body["status"] == "running" and body["results"]["total"] == 3
    assert_summary_exact(database, run)


# Steps of a run's life, each sent as one batch to one run and job by job to another: items
# of a job already written are PUTs (priority only while queued, pass/fail sticky, `started`
# stamped on entering running), a job_id twice in a batch is written in order.
STEPS = [
    [job(1, status="queued", priority=10, description="rados/thrash/a"),
     job(2, status="queued", priority=5, description="rados/thrash/b"),
     job(3, status="running", targets={f"ubuntu@{HOST.format(1)}": "key"},
         machine_type="smithi"),
     job(4, user="someone")],
    [job(1, status="running", priority=99),
     job(2, success=True),
     job(2, status="dead"),
     job(3, status="waiting"),
     job(4, success=False, sha1="def"),
     job(5, status="running", suite="rbd", branch="main")],
    [job(1, priority=1, status="pass", success=True, sha1="later"),
     job(0, status="queued", sha1="first", flavor="crimson", priority=3),
     job(2, status="queued"),
     job(3, status="running", description="rados/thrash/c", failure_reason="timed out",
         targets={f"ubuntu@{HOST.format(1)}": "key", f"ubuntu@{HOST.format(2)}": "key"}),
     job(5, status="dead", flavor="crimson"),
     job(6, status="queued"),
     job(6, status="running"),
     job(6, status="fail", success=False, updated="2024-01-01 00:00:00")],
]


def test_a_batch_writes_each_job_as_a_post_then_a_put_would(client, database, frozen_clock):
    batched, single = unique_name(), unique_name()
    for step in STEPS:
        frozen_clock.utc += timedelta(minutes=5)
        assert all_written(send_batch(client, batched, step))
        for body in step:
            report_singly(client, single, body)
        assert jobs_of(client, batched) == jobs_of(client, single)
        assert run_of(client, batched) == run_of(client, single)
    final = jobs_of(client, batched)
    assert (final["1"]["status"], final["1"]["priority"]) == ("pass", 99)
    assert final["2"]["status"] == "pass" and final["6"]["status"] == "fail"
    assert final["6"]["started"] is not None
    assert_summary_exact(database, batched)


def test_bad_items_are_refused_alone(client, database):
    run = unique_name()
    outcomes = send_batch(client, run, [
        job(1, status="queued"),
        job(2, status="bogus"),
        {"status": "queued"},
        {"job_id": None, "status": "queued"},
        job(3, duration="long"),
        job(4, seed=2 ** 70),
        {"job_id": ""},
        job(5, status="running"),
    ])
    assert outcomes == [
        {"job_id": "1", "status": 200},
        {"job_id": "2", "status": 400,
         "message": "status must be one of pass, fail, queued, running, dead, unknown, waiting"},
        {"job_id": None, "status": 400, "message": "a job of a batch must have a job_id"},
        {"job_id": None, "status": 400, "message": "a job of a batch must have a job_id"},
        {"job_id": "3", "status": 400, "message": "duration must be an integer"},
        {"job_id": "4", "status": 400, "message": "integers must fit in 64 bits"},
        {"job_id": None, "status": 400, "message": "job_id must not be empty"},
        {"job_id": "5", "status": 200},
    ]
    assert sorted(jobs_of(client, run)) == ["1", "5"]
    assert_summary_exact(database, run)


def test_a_bad_item_of_a_job_leaves_its_other_items_to_apply(client, database):
    run = unique_name()
    outcomes = send_batch(client, run, [job(1, status="queued"), job(1, status="nonsense"),
                                        job(1, status="running")])
    assert [outcome["status"] for outcome in outcomes] == [200, 400, 200]
    assert jobs_of(client, run)["1"]["status"] == "running"


@pytest.mark.parametrize("items, message", [
    ([job(1), "2"], "batch item 1 is not a JSON object"),
    ([job(1), None], "batch item 1 is not a JSON object"),
    ([[job(1)]], "batch item 0 is not a JSON object"),
    ([job(n) for n in range(MAX_BATCH_JOBS + 1)],
     f"a batch holds at most {MAX_BATCH_JOBS} jobs, not {MAX_BATCH_JOBS + 1}"),
])
def test_a_batch_with_a_non_object_or_too_many_items_is_refused_whole(client, database, items,
                                                                      message):
    run = unique_name()
    assert_envelope(client.post(f"/runs/{run}/jobs/", json=items), 400, message)
    assert client.get(f"/runs/{run}/").status_code == 404
    assert database.jobs.count_documents({"run": run}) == 0


def test_a_batch_of_the_most_jobs_is_written(client, database):
    run = unique_name()
    outcomes = send_batch(client, run, [job(n, status="queued") for n in range(MAX_BATCH_JOBS)])
    assert len(outcomes) == MAX_BATCH_JOBS and all_written(outcomes)
    assert get_run(client, run)["results"]["queued"] == MAX_BATCH_JOBS
    assert_summary_exact(database, run)


def test_an_empty_batch_writes_nothing(client, database):
    run = unique_name()
    assert send_batch(client, run, []) == []
    assert client.get(f"/runs/{run}/").status_code == 404


def test_resending_a_batch_leaves_every_job_as_it_was(client, database, frozen_clock):
    run = unique_name()
    batch = [item for step in STEPS for item in step]
    assert all_written(send_batch(client, run, batch))
    jobs, summary, nodes = jobs_of(client, run), run_of(client, run), client.get("/nodes/").data
    frozen_clock.utc += timedelta(hours=1)
    assert all_written(send_batch(client, run, batch))

    def without_updated(document):
        return {key: value for key, value in document.items() if key != "updated"}

    assert {job_id: without_updated(job) for job_id, job in jobs_of(client, run).items()} == {
        job_id: without_updated(job) for job_id, job in jobs.items()}
    assert without_updated(run_of(client, run)) == without_updated(summary)
    assert client.get("/nodes/").data == nodes
    assert_summary_exact(database, run)


def test_a_batch_links_each_new_node_once_in_order(client):
    run = unique_name()
    targets = {f"ubuntu@{HOST.format(n)}": "key" for n in (7, 8)}
    assert all_written(send_batch(client, run, [
        job(1, status="running", targets=targets, machine_type="smithi"),
        job(2, status="running", targets={f"ubuntu@{HOST.format(9)}": "key", **targets},
            machine_type="smithi")]))
    listed = [node for node in client.get("/nodes/").get_json()
              if node["name"] in {HOST.format(n) for n in (7, 8, 9)}]
    assert [node["name"] for node in listed] == [HOST.format(n) for n in (7, 8, 9)]
    assert {node["machine_type"] for node in listed} == {"smithi"}
    linked = client.get(f"/runs/{run}/jobs/?fields=job_id,target_nodes").get_json()
    assert {job["job_id"]: job["target_nodes"] for job in linked} == {
        "1": [HOST.format(7), HOST.format(8)],
        "2": [HOST.format(9), HOST.format(7), HOST.format(8)]}


def metric(client, status):
    prefix = f'paddles_jobs_entered_status_total{{status="{status}"}} '
    lines = client.get("/metrics").get_data(as_text=True).splitlines()
    return next((float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(prefix)),
                0.0)


def test_a_batch_counts_every_status_its_jobs_enter(client):
    run = unique_name()
    before = {status: metric(client, status) for status in ("queued", "running", "pass")}
    send_batch(client, run, [job(1, status="queued"), job(2, status="queued"),
                             job(1, status="running"), job(2, status="queued"),
                             job(1, success=True)])
    after = {status: metric(client, status) for status in before}
    assert {status: after[status] - before[status] for status in before} == {
        "queued": 2, "running": 1, "pass": 1}


# --- Races and deaths, injected into the service's steps --------------------------------------

RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"


class Died(AutoReconnect):
    """What a request sees when its database goes away mid-request."""


def report(database, settings, *requests):
    return job_service.report_jobs(database, settings, RUN, list(requests), utcnow())


def post(database, settings, job_id, **fields):
    job_service.create_job(database, settings, RUN, job(job_id, **fields), utcnow())


def put(database, job_id, **fields):
    job_service.update_job(database, RUN, str(job_id), fields, utcnow())


def stored_job(database, job_id):
    return database.jobs.find_one({"run": RUN, "job_id": str(job_id)})


@pytest.fixture
def around_job_writes(database, monkeypatch):
    """around_job_writes(before, after): the next bulk write of jobs calls `before()` just
    before it is sent and `after()` just after: a concurrent writer at the worst moments."""
    collection = type(database.jobs)
    for_real = collection.bulk_write
    armed = []

    def bulk_write(self, *args, **kwargs):
        if not (armed and self.name == "jobs"):
            return for_real(self, *args, **kwargs)
        before, after = armed.pop()
        before()
        try:
            return for_real(self, *args, **kwargs)
        finally:
            after()

    monkeypatch.setattr(collection, "bulk_write", bulk_write)
    return lambda before=lambda: None, after=lambda: None: armed.append((before, after))


def test_a_job_created_concurrently_is_updated_instead(database, settings, around_job_writes):
    post(database, settings, 1, status="queued")
    around_job_writes(before=lambda: post(database, settings, 2, status="queued",
                                          description="theirs"))
    outcomes = report(database, settings, job(1, status="running"), job(2, status="running"))
    assert not any(isinstance(outcome, Exception) for outcome in outcomes)
    assert database.jobs.count_documents({"run": RUN}) == 2
    assert (stored_job(database, 2)["status"], stored_job(database, 2)["description"]) == (
        "running", "theirs")
    assert_summary_exact(database, RUN)


def test_a_job_written_since_it_was_read_is_written_again_after_that(database, settings,
                                                                      around_job_writes):
    post(database, settings, 1, status="queued")
    post(database, settings, 2, status="queued")
    around_job_writes(before=lambda: put(database, 1, status="running", description="theirs"))
    report(database, settings, job(1, status="pass", success=True), job(2, status="running"))
    assert (stored_job(database, 1)["status"], stored_job(database, 1)["description"]) == (
        "pass", "theirs")
    assert stored_job(database, 2)["status"] == "running"
    assert_summary_exact(database, RUN)


def test_a_batch_write_overwritten_before_it_is_counted_is_counted_once(database, settings,
                                                                       around_job_writes):
    """Job 1 is written by another request between the batch's read and its write (the
    batch's write of it misses); job 2 just after the batch wrote it (the job no longer
    carries the batch's write): the journal tells the batch which of the two happened."""
    post(database, settings, 1, status="queued")
    post(database, settings, 2, status="queued")
    around_job_writes(before=lambda: put(database, 1, status="waiting"),
                      after=lambda: put(database, 2, status="dead"))
    report(database, settings, job(1, status="running"), job(2, status="running"))
    assert stored_job(database, 1)["status"] == "running"  # the batch's, after theirs
    assert stored_job(database, 2)["status"] == "dead"  # theirs, after the batch's
    assert stored_job(database, 2)["started"] is not None  # the batch's write happened
    assert_summary_exact(database, RUN)


def jobs_write_dies(database, monkeypatch):
    """The next bulk write of jobs dies before it is sent, as when the worker or the database
    is killed."""
    def died(self, *_args, **_kwargs):
        raise Died("connection closed")

    monkeypatch.setattr(type(database.jobs), "bulk_write", died)


def count_dies(monkeypatch):
    """The database goes away when the next count of a run is sent (under either query
    policy: a findAndModify, or an update then a find)."""
    def died(*_args):
        raise Died("connection closed")

    monkeypatch.setattr(run_summary, "_finish_and_publish", died)


def test_a_batch_that_died_before_counting_is_counted_by_the_repair(database, settings,
                                                                    monkeypatch):
    post(database, settings, 1, status="queued")
    count_dies(monkeypatch)
    with pytest.raises(Died):
        report(database, settings, job(1, status="running"), job(2, status="pass"))
    monkeypatch.undo()
    assert len(database.runs.find_one({"name": RUN})["pending"]) == 2
    assert run_summary.repair_stale_writes(database, utcnow() + LATER) == 2
    assert database.runs.find_one({"name": RUN})["results"]["total"] == 2
    assert_summary_exact(database, RUN)


def test_the_next_batch_counts_the_writes_a_dead_batch_left(database, settings,
                                                            monkeypatch):
    """teuthology resends a report that failed: the next writes count the lost ones first."""
    post(database, settings, 1, status="queued")
    post(database, settings, 2, status="queued")
    count_dies(monkeypatch)
    with pytest.raises(Died):
        report(database, settings, job(1, status="running"), job(2, status="running"))
    monkeypatch.undo()
    report(database, settings, job(1, status="pass", success=True), job(2, status="dead"))
    results = database.runs.find_one({"name": RUN})["results"]
    assert (results["pass"], results["dead"], results["running"]) == (1, 1, 0)
    assert_summary_exact(database, RUN)


def test_a_batch_that_died_before_writing_its_jobs_is_dropped(database, settings,
                                                              monkeypatch):
    post(database, settings, 1, status="queued")
    jobs_write_dies(database, monkeypatch)
    with pytest.raises(Died):
        report(database, settings, job(1, status="running"), job(2, status="pass"))
    monkeypatch.undo()
    assert run_summary.repair_stale_writes(database, utcnow() + LATER) == 2
    assert database.jobs.count_documents({"run": RUN}) == 1
    assert stored_job(database, 1)["status"] == "queued"
    assert_summary_exact(database, RUN)


# --- Commands per batch -----------------------------------------------------------------------

@pytest.fixture
def commands_of(mongo_backend, query_policy):
    """commands_of(items, run=RUN): the names of the commands a batch sent, in order."""
    recorder = CommandRecorder()
    with app_on_fresh_database(mongo_backend, "batch_counts", [recorder],
                               query_policy) as (client, _settings):
        def count(items, run=RUN):
            recorder.commands.clear()
            assert all_written(send_batch(client, run, items))
            return list(recorder.commands)
        yield count


# The job events of a batch, published from its journal entries before they are counted
# (services/events.py): the newest number, the events stored.
JOB_EVENTS = ["find", "insert"]
# An outbox published (a status change of the run, new nodes): the newest number, the events
# stored, pulled from the outbox. The first event of a database also reads the floor.
PUBLISH = ["find", "insert", "update"]
FIRST_PUBLISH = ["find", "find", "insert", "update"]


@COUNTS_COMMANDS
@pytest.mark.parametrize("query_policy", QUERY_POLICIES)
@pytest.mark.parametrize("size", [3, 300, MAX_BATCH_JOBS])
def test_a_batch_costs_the_same_commands_whatever_its_size(commands_of, update_and_read,
                                                           size):
    # The run is made (and its run.created published) with its first jobs: its journal
    # entries are pushed again after it.
    # The run's status moves from empty to queued, then to running: run.updated each time.
    assert commands_of([job(n, status="queued") for n in range(size)]) == [
        "find", update_and_read[0], "insert", *FIRST_PUBLISH, *update_and_read, "insert",
        *JOB_EVENTS, *update_and_read, *PUBLISH]
    assert commands_of([job(n, status="running") for n in range(size)]) == [
        "find", "update", "update", *JOB_EVENTS, *update_and_read, *PUBLISH]
    half = size // 2
    assert commands_of([job(n, status="pass", success=True) for n in range(half, size + half)]
                       ) == ["find", *update_and_read, "insert", "update", *JOB_EVENTS,
                             *update_and_read]


@COUNTS_COMMANDS
@pytest.mark.parametrize("query_policy", QUERY_POLICIES)
def test_a_job_id_sent_twice_costs_a_second_round(commands_of, update_and_read):
    round_of_updates = ["find", "update", "update", *JOB_EVENTS]
    assert commands_of([job(1, status="queued"), job(2), job(1, status="running")]
                       )[-len(round_of_updates) - len(update_and_read) - len(PUBLISH):] == [
        *round_of_updates, *update_and_read, *PUBLISH]
    # Writes that move no count: their counts answer nothing.
    assert commands_of([job(1), job(1), job(1)]) == [*round_of_updates, "update"] * 3


@COUNTS_COMMANDS
@pytest.mark.parametrize("query_policy", QUERY_POLICIES)
def test_new_nodes_of_a_batch_cost_three_commands_whatever_their_number(commands_of,
                                                                        update_and_read):
    def items(first):
        return [job(n, status="running", targets={f"ubuntu@{HOST.format(n % 40)}": "key"})
                for n in range(first, first + 40)]

    # made, numbered, their node.created published
    assert commands_of(items(0))[-6:] == ["update", "findAndModify", "update", *PUBLISH]
    assert commands_of(items(0)) == ["find", "update", "update", *JOB_EVENTS,
                                     "update"]  # linked, no count moved
    assert commands_of(items(40)) == ["find", *update_and_read, "insert", *JOB_EVENTS,
                                      *update_and_read, "update"]  # known nodes: looked up
