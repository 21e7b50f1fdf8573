"""Events against real gunicorn workers: under concurrent job lifecycles and lock_many races
every acknowledged write has exactly one event and the numbers have no gaps, a reader paging
meanwhile never sees the sequence go back or skip one it later finds; an event stream serves
while other requests are answered, and resumes after its Last-Event-ID; a teuthology-style
client writes with its token in the URL."""
import json
import os
import threading
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from paddles_mongo.commands.serve import stop
from paddles_mongo.config import load_settings
from paddles_mongo.db import Database, create_indexes
from paddles_mongo.services import tokens
from tests.conftest import drop_test_database, free_port, wait_for_http
from tests.e2e.conftest import gunicorn_server, run_together, start_gunicorn

TIMEOUT = 60
REPORTERS = 8
JOBS_PER_REPORTER = 6
LOCKERS = 10


def all_events(url, after=0):
    found = []
    while page := requests.get(f"{url}/events/", params={"after": after, "limit": 1000},
                               timeout=TIMEOUT).json():
        found.extend(page)
        after = page[-1]["seq"]
    return found


def reporter(url, run, index):
    """teuthology's lifecycle of a few jobs: POST queued, PUT running, PUT pass/fail. Returns the
    acknowledged writes as (type, job_id, status)."""
    acknowledged = []
    for number in range(JOBS_PER_REPORTER):
        job_id = f"{index}{number:03d}"
        answer = requests.post(f"{url}/runs/{run}/jobs/", json={"job_id": job_id,
                                                               "status": "queued"},
                               timeout=TIMEOUT)
        assert answer.status_code == 200, answer.text
        acknowledged.append(("job.created", job_id, "queued"))
        for status in ("running", "pass" if number % 2 else "fail"):
            answer = requests.put(f"{url}/runs/{run}/jobs/{job_id}/", json={"status": status},
                                  timeout=TIMEOUT)
            assert answer.status_code == 200, answer.text
            acknowledged.append(("job.updated", job_id, status))
    return acknowledged


def locker(url, machine_type, owner):
    answer = requests.post(f"{url}/nodes/lock_many/", json={
        "count": 3, "machine_type": machine_type, "locked_by": owner, "description": "race"},
        timeout=TIMEOUT)
    assert answer.status_code in (200, 503), answer.text
    return [node["name"] for node in answer.json()] if answer.status_code == 200 else []


class PagingReader(threading.Thread):
    """Reads /events/ page by page while the writers run, remembering every seq it saw."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.seen, self.done, self.failure = url, [], threading.Event(), None

    def run(self):
        after = 0
        try:
            while not self.done.is_set():
                page = requests.get(f"{self.url}/events/", params={"after": after, "limit": 7},
                                    timeout=TIMEOUT).json()
                for event in page:
                    self.seen.append(event["seq"])
                    after = event["seq"]
        except Exception as error:  # reported by the test
            self.failure = error


def test_concurrent_writers_have_exactly_one_event_each_and_readers_never_skip(server):
    url, _database = server
    run = f"teuthology-2026-11-20_02:00:01-rados-{uuid.uuid4().hex[:8]}-distro-default-smithi"
    machine_type = f"race{uuid.uuid4().hex[:6]}"
    start = all_events(url)
    after = start[-1]["seq"] if start else 0
    for number in range(12):
        assert requests.post(f"{url}/nodes/", json={
            "name": f"{machine_type}-{number:02d}", "machine_type": machine_type, "up": True},
            timeout=TIMEOUT).status_code == 200
    reader = PagingReader(url)
    reader.start()
    tasks = [lambda index=index: ("report", reporter(url, run, index))
             for index in range(1, REPORTERS + 1)]
    tasks += [lambda index=index: ("lock", locker(url, machine_type, f"owner{index}"))
              for index in range(LOCKERS)]
    results = run_together(tasks, workers=len(tasks))
    reader.done.set()
    reader.join(TIMEOUT)
    assert reader.failure is None

    found = all_events(url, after)
    seqs = [event["seq"] for event in found]
    assert seqs == list(range(after + 1, after + 1 + len(found)))  # no gap, no repeat
    # Exactly one event per acknowledged job write, for each job in the order of its writes.
    job_events = [(e["type"], e["job_id"], e.get("status")) for e in found
                  if e["type"].startswith("job.") and e["run"] == run]
    acknowledged = [write for kind, writes in results if kind == "report" for write in writes]
    assert sorted(job_events) == sorted(acknowledged)
    for job_id in {job for _, job, _ in acknowledged}:
        assert [w for w in job_events if w[1] == job_id] == [w for w in acknowledged
                                                            if w[1] == job_id]
    # One node.locked per node a 200 answered with, naming its winner; no other.
    locked = sorted(name for kind, names in results if kind == "lock" for name in names)
    lock_events = [e for e in found if e["type"] == "node.locked"
                   and e["node"].startswith(machine_type)]
    assert sorted(e["node"] for e in lock_events) == locked and len(locked) == 12
    # The run's status changes, each once, ending where the run is.
    statuses = [e["status"] for e in found if e["type"] == "run.updated" and e["run"] == run]
    assert statuses[-1] == requests.get(f"{url}/runs/{run}/", timeout=TIMEOUT).json()["status"]
    assert all(a != b for a, b in zip(statuses, statuses[1:]))
    # The reader, paging while the writers wrote, saw a gapless prefix of the same numbers.
    seen = [seq for seq in reader.seen if seq > after]
    assert seen == list(range(after + 1, after + 1 + len(seen)))


def sse_events(response):
    """(id, type, data) of each message of a streaming requests response, and None for each
    heartbeat comment."""
    fields = {}
    for line in response.iter_lines(decode_unicode=True):
        if line == "":
            if fields:
                yield fields["id"], fields["event"], json.loads(fields["data"])
                fields = {}
        elif line.startswith(": heartbeat"):
            yield None
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value


@pytest.fixture(scope="module")
def one_worker(mongo_server_uri):
    """One gunicorn worker (two threads) whose streams beat at once when idle and look for
    events every 20 ms."""
    with gunicorn_server(mongo_server_uri, "e2e_events", workers=1, extra_env={
            "PADDLES_WORKER_THREADS": "2", "PADDLES_EVENT_HEARTBEAT_SECONDS": "0",
            "PADDLES_EVENT_POLL_MILLISECONDS": "20"}) as served:
        yield served


def test_a_stream_serves_while_the_worker_answers_others_and_resumes(one_worker):
    url, _database = one_worker
    run = f"teuthology-2026-11-20_02:00:01-rados-{uuid.uuid4().hex[:8]}-distro-default-smithi"
    headers = {"Accept": "text/event-stream"}
    with requests.get(f"{url}/events/?run={run}", headers=headers, stream=True,
                      timeout=TIMEOUT) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        messages = sse_events(stream)
        assert next(messages) is None  # a heartbeat: nothing yet
        # The only worker is streaming: its other thread answers these.
        assert requests.post(f"{url}/runs/", json={"name": run},
                             timeout=TIMEOUT).status_code == 200
        assert requests.post(f"{url}/runs/{run}/jobs/", json={"job_id": "1"},
                             timeout=TIMEOUT).status_code == 200
        received = []
        while len(received) < 3:
            message = next(messages)
            if message is not None:
                received.append(message)
    assert [kind for _, kind, _ in received] == ["run.created", "job.created", "run.updated"]
    assert [int(seq) for seq, _, _ in received] == [data["seq"] for _, _, data in received]
    first = received[0][0]
    # A reconnect with the first event's id resumes with the second: none lost, none twice.
    assert requests.put(f"{url}/runs/{run}/jobs/1/", json={"status": "pass"},
                        timeout=TIMEOUT).status_code == 200
    with requests.get(f"{url}/events/?run={run}", headers={**headers, "Last-Event-ID": first},
                      stream=True, timeout=TIMEOUT) as stream:
        resumed = []
        for message in sse_events(stream):
            if message is None:
                break
            resumed.append(message)
    assert [kind for _, kind, _ in resumed] == ["job.created", "run.updated", "job.updated",
                                                "run.updated"]
    assert [seq for seq, _, _ in resumed[:2]] == [seq for seq, _, _ in received[1:]]


@pytest.fixture(scope="module")
def guarded(mongo_server_uri, tmp_path_factory):
    token_file = str(tmp_path_factory.mktemp("tokens") / "tokens.yaml")
    secret = tokens.create_token(token_file, "worker", "report,lock")
    with gunicorn_server(mongo_server_uri, "e2e_tokens",
                         extra_env={"PADDLES_AUTH_TOKENS": token_file}) as (url, database):
        yield url, secret


def with_credentials(url, user, password):
    """`http://user:password@host:port`: how a teuthology results_server carries a token."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.netloc}"))


def test_a_teuthology_style_client_writes_with_its_token_in_the_url(guarded):
    url, secret = guarded
    run = f"teuthology-2026-11-20_02:00:01-rados-{uuid.uuid4().hex[:8]}-distro-default-smithi"
    results_server = with_credentials(url, "worker", secret)
    # As teuthology's report.py does: a plain requests call on results_server's URLs.
    session = requests.Session()
    answer = session.post(f"{results_server}/runs/{run}/jobs/", json={"job_id": "1",
                                                                     "status": "running"},
                          timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    assert session.put(f"{results_server}/runs/{run}/jobs/1/", json={"status": "pass"},
                       timeout=TIMEOUT).status_code == 200
    assert session.head(f"{results_server}/runs/{run}/", timeout=TIMEOUT).status_code == 200
    refused = requests.put(f"{url}/runs/{run}/jobs/1/", json={"status": "fail"}, timeout=TIMEOUT)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert refused.json() == {"message": "a token is needed for this request"}
    wrong = requests.put(f"{with_credentials(url, 'worker', 'pdl_guess')}/runs/{run}/jobs/1/",
                         json={"status": "fail"}, timeout=TIMEOUT)
    assert wrong.status_code == 401
    assert requests.delete(f"{results_server}/nodes/x/", timeout=TIMEOUT).status_code == 403
    found = requests.get(f"{url}/events/", params={"run": run}, timeout=TIMEOUT).json()
    assert [(e["type"], e["by"]) for e in found] == [
        ("run.created", "worker"), ("job.created", "worker"), ("run.updated", "worker"),
        ("job.updated", "worker"), ("run.updated", "worker")]
    assert requests.get(f"{url}/runs/{run}/", timeout=TIMEOUT).json()["status"] == "finished pass"


def test_stopping_workers_record_the_numbering_floor(mongo_server_uri):
    """With the repairs off, only the workers' exit records where numbering goes on."""
    name = f"e2e_floor_{uuid.uuid4().hex[:12]}"
    uri = f"{mongo_server_uri}{name}"
    database = Database(load_settings(path=os.devnull, environ={}, mongo_uri=uri))
    create_indexes(database)
    port = free_port()
    process = start_gunicorn(uri, port, workers=2,
                             extra_env={"PADDLES_REPAIR_INTERVAL_SECONDS": "0"})
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", process)
        assert requests.post(f"http://127.0.0.1:{port}/runs/", json={"name": "floor-run"},
                             timeout=TIMEOUT).status_code == 200
        assert database.counters.find_one({"_id": "events"}) is None
    finally:
        stop(process)
    try:
        assert database.counters.find_one({"_id": "events"})["seq"] == 1
    finally:
        drop_test_database(database.client, name)
        database.close()
