"""Events: one per change, numbered without gaps, paged and streamed (GET /events/), node
history; what a dead writer leaves is published once by the repairs; retention."""
import dataclasses
from datetime import timedelta

import pytest

from paddles_mongo.db import INDEXES
from paddles_mongo.services import events as event_service
from paddles_mongo.services import nodes as node_service
from paddles_mongo.services.run_summary import repair_stale_writes
from paddles_mongo.timeformat import utcnow
from tests.conftest import QUERY_POLICIES

RUN = "teuthology-2026-11-20_02:00:01-rados-main-distro-default-smithi"
HOST = "smithi001.front.sepia.ceph.com"
LATER = timedelta(hours=1)


@pytest.fixture(params=QUERY_POLICIES)
def query_policy(request):
    return request.param


def events(client, **query):
    answer = client.get("/events/", query_string=query)
    assert answer.status_code == 200, answer.json
    return answer.json


def kinds(found):
    return [event["type"] for event in found]


def lifecycle(client):
    """teuthology's job lifecycle, a lock and an unlock, a queue, deletions."""
    assert client.post("/runs/", json={"name": RUN}).status_code == 200
    assert client.post(f"/runs/{RUN}/jobs/", json={
        "job_id": "1", "status": "queued", "targets": {f"ubuntu@{HOST}": "key"}}).status_code == 200
    assert client.put(f"/runs/{RUN}/jobs/1/", json={"status": "running"}).status_code == 200
    assert client.put(f"/runs/{RUN}/jobs/1/", json={"description": "rados/a"}).status_code == 200
    assert client.put(f"/runs/{RUN}/jobs/1/", json={"status": "pass"}).status_code == 200
    assert client.put(f"/nodes/{HOST}/", json={"up": True, "machine_type": "smithi"}).status_code == 200
    assert client.post("/nodes/lock_many/", json={
        "count": 1, "machine_type": "smithi", "locked_by": "bob@host",
        "description": "rados run"}).status_code == 200
    assert client.put(f"/nodes/{HOST}/lock", json={"locked": False,
                                                   "locked_by": "bob@host"}).status_code == 200
    assert client.put(f"/nodes/{HOST}/", json={"up": True}).status_code == 200  # no change
    assert client.post("/queue/", json={"queue": "smithi"}).status_code == 200
    assert client.put("/queue/", json={"queue": "smithi", "pause_duration": 60,
                                       "paused_by": "bob"}).status_code == 200
    assert client.delete(f"/runs/{RUN}/jobs/1/").status_code == 200
    assert client.delete(f"/runs/{RUN}/").status_code == 200
    assert client.delete(f"/nodes/{HOST}/").status_code == 200


LIFECYCLE = ["run.created", "job.created", "run.updated", "node.created", "job.updated",
             "run.updated", "job.updated", "job.updated", "run.updated", "node.updated",
             "node.locked", "node.unlocked", "queue.updated", "queue.updated", "job.deleted",
             "run.updated", "run.deleted", "node.deleted"]


def test_a_batch_of_jobs_has_an_event_per_job_written_and_one_per_status_change(client):
    batch = [{"job_id": "1", "status": "queued"}, {"job_id": "2", "status": "queued"},
             {"job_id": "3", "status": 7}]  # a bad item: no write, no event
    assert [outcome["status"] for outcome in client.post(
        f"/runs/{RUN}/jobs/", json=batch).json] == [200, 200, 400]
    assert client.post(f"/runs/{RUN}/jobs/", json=[{"job_id": "1", "status": "running"},
                                                   {"job_id": "2"}]).status_code == 200
    found = events(client)
    assert kinds(found) == ["run.created", "job.created", "job.created", "run.updated",
                            "job.updated", "job.updated", "run.updated"]
    assert [event["seq"] for event in found] == list(range(1, 8))
    assert [(e["job_id"], e.get("status"), e.get("old_status")) for e in found
            if e["type"].startswith("job.")] == [
        ("1", "queued", None), ("2", "queued", None), ("1", "running", "queued"),
        ("2", None, None)]
    assert [(e["status"], e["old_status"]) for e in found if e["type"] == "run.updated"] == [
        ("queued", "empty"), ("running", "queued")]


def test_every_change_has_one_event_in_order_numbered_without_gaps(client):
    lifecycle(client)
    found = events(client)
    assert kinds(found) == LIFECYCLE
    assert [event["seq"] for event in found] == list(range(1, len(LIFECYCLE) + 1))
    by_type = {}
    for event in found:
        by_type.setdefault(event["type"], []).append(event)
        assert event["by"] is None  # writes are open
        assert set(event) >= {"seq", "time", "type"}
    assert [(e["status"], e["old_status"]) for e in by_type["run.updated"]] == [
        ("queued", "empty"), ("running", "queued"), ("finished pass", "running"),
        ("empty", "finished pass")]
    updates = by_type["job.updated"]
    assert [(e.get("status"), e.get("old_status")) for e in updates] == [
        ("running", "queued"), (None, None), ("pass", "running")]
    assert all(e["run"] == RUN and e["job_id"] == "1" for e in updates)
    assert by_type["job.created"][0]["status"] == "queued"
    locked, unlocked = by_type["node.locked"][0], by_type["node.unlocked"][0]
    assert (locked["node"], locked["locked_by"], locked["description"]) == (
        HOST, "bob@host", "rados run")
    assert (unlocked["locked_by"], unlocked["description"]) == ("bob@host", "rados run")
    assert unlocked["locked_since"] == locked["time"]
    assert by_type["node.updated"][0]["changed"] == ["machine_type", "up"]
    assert by_type["queue.updated"][1]["paused_by"] == "bob"
    assert found[0]["time"][:4] == str(utcnow().year) and " " in found[0]["time"]


def test_pages_after_a_seq_and_filters(client):
    lifecycle(client)
    everything = events(client)
    pages, after = [], 0
    while page := events(client, after=after, limit=4):
        assert len(page) <= 4
        pages.extend(page)
        after = page[-1]["seq"]
    assert pages == everything
    assert events(client, after=len(everything)) == []
    assert kinds(events(client, type="job.updated,run.deleted")) == [
        "job.updated"] * 3 + ["run.deleted"]
    assert kinds(events(client, type="job.updated", after=6)) == ["job.updated"] * 2
    assert {e["run"] for e in events(client, run=RUN)} == {RUN}
    assert len(events(client, run=RUN)) == 11
    assert kinds(events(client, node=HOST)) == ["node.created", "node.updated", "node.locked",
                                               "node.unlocked", "node.deleted"]
    assert kinds(events(client, node=HOST, type="node.locked,node.unlocked", limit=1)) == [
        "node.locked"]


@pytest.mark.parametrize("query, message", [
    ("after=abc", "after must be an integer"),
    ("after=-1", "after must be an event seq (a whole number from 0)"),
    ("limit=0", "limit must be an integer from 1 to 1000"),
    ("limit=1001", "limit must be an integer from 1 to 1000"),
    ("limit=99999999999999999999999", "limit must fit in 64 bits"),
    ("type=job.exploded", "unknown event type job.exploded"),
    ("type=,", "unknown event type"),
])
def test_bad_queries_answer_400(client, query, message):
    answer = client.get(f"/events/?{query}")
    assert answer.status_code == 400
    assert answer.json["message"].startswith(message)


@pytest.mark.parametrize("last_event_id", ["abc", "-3", "1.5", " ", "１２"])
def test_a_malformed_last_event_id_answers_400(client, last_event_id):
    answer = client.get("/events/", headers={"Accept": "text/event-stream",
                                             "Last-Event-ID": last_event_id})
    assert answer.status_code == 400
    assert answer.json["message"].startswith("Last-Event-ID must be an event seq")


def test_node_history_is_its_lock_unlock_and_update_events_newest_first(client):
    lifecycle(client)
    assert client.post("/nodes/", json={"name": "mira001"}).status_code == 200
    assert client.put("/nodes/mira001/lock", json={"locked": True, "locked_by": "alice",
                                                   "description": "x"}).status_code == 200
    history = client.get("/nodes/mira001/history/").json
    assert kinds(history) == ["node.locked"]
    deleted = client.get(f"/nodes/{HOST}/history/").json  # kept after the node is gone
    assert kinds(deleted) == ["node.unlocked", "node.locked", "node.updated"]
    assert [e["seq"] for e in deleted] == sorted((e["seq"] for e in deleted), reverse=True)
    assert client.get("/nodes/no-such-node/history/").status_code == 404


def sse_messages(response):
    """The messages of an event stream as they come: ('event', fields) or ('comment', text)."""
    buffer = b""
    for chunk in response.response:
        buffer += chunk
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            lines = block.decode().split("\n")
            if lines[0].startswith(":"):
                yield "comment", lines[0][1:].strip()
            else:
                yield "event", dict(line.split(": ", 1) for line in lines)


def read_stream(client, until_heartbeats=1, **headers):
    """The events a stream sends until its `until_heartbeats`-th heartbeat."""
    response = client.get("/events/", headers={"Accept": "text/event-stream", **headers},
                          buffered=False)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    received, beats = [], 0
    for kind, message in sse_messages(response):
        if kind == "event":
            received.append(message)
        elif message == "heartbeat":
            beats += 1
            if beats == until_heartbeats:
                break
    response.close()
    return received


@pytest.fixture
def quick_streams(app, settings):
    """Streams that beat at once when idle and look again every millisecond (no waiting)."""
    state = app.extensions["paddles"]
    state.settings = dataclasses.replace(settings, event_heartbeat_seconds=0,
                                         event_poll_milliseconds=1)
    return app.test_client()


def test_a_stream_sends_every_event_then_heartbeats_and_resumes_after_last_event_id(
        client, quick_streams):
    import json
    lifecycle(client)
    received = read_stream(quick_streams)
    assert [int(m["id"]) for m in received] == list(range(1, len(LIFECYCLE) + 1))
    assert [m["event"] for m in received] == LIFECYCLE
    assert [json.loads(m["data"]) for m in received] == events(client)
    resumed = read_stream(quick_streams, **{"Last-Event-ID": "7"})
    assert [int(m["id"]) for m in resumed] == list(range(8, len(LIFECYCLE) + 1))
    assert read_stream(quick_streams, **{"Last-Event-ID": str(len(LIFECYCLE))}) == []


def test_a_stream_sends_events_written_while_it_is_open(client, quick_streams):
    response = quick_streams.get("/events/?type=run.created",
                                 headers={"Accept": "text/event-stream"}, buffered=False)
    messages = sse_messages(response)
    assert next(messages) == ("comment", "paddles-mongo events")
    assert next(messages) == ("comment", "heartbeat")  # nothing yet
    assert client.post("/runs/", json={"name": RUN}).status_code == 200
    kind, message = next(messages)
    while kind == "comment":
        kind, message = next(messages)
    assert (message["id"], message["event"]) == ("1", "run.created")
    response.close()


def test_a_write_whose_worker_died_before_publishing_is_published_once(
        client, database, monkeypatch):
    """The event is stored with the change; the repairs publish what a dead request left, and
    an entry published twice is stored once."""
    assert client.post("/nodes/", json={"name": "mira001"}).status_code == 200

    def killed(*_args, **_kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(event_service, "publish", killed)
    with pytest.raises(SystemExit):
        node_service.update_node(database, "mira001", {"locked": True, "locked_by": "a",
                                                       "description": "d"}, utcnow())
    monkeypatch.undo()
    assert database.nodes.find_one({"name": "mira001"})["locked"] is True
    assert kinds(events(client)) == ["node.created"]
    assert event_service.publish_stale(database, utcnow() - LATER) == 0  # not stale yet
    assert event_service.publish_stale(database, utcnow() + LATER) == 1
    left = database.nodes.find_one({"name": "mira001"})
    assert kinds(events(client)) == ["node.created", "node.locked"]
    assert left["outbox"] == []
    # Published again (a publisher that died before its pull): stored once.
    event_service.publish(database, [database.events.find_one({"seq": 2}, {"_id": 0, "seq": 0,
                                                                          "expires": 0})])
    assert [e["seq"] for e in events(client)] == [1, 2]


def put_whose_worker_dies(client, monkeypatch, step):
    """Job 1 (running) PUT to `fail` by a worker killed when it calls run_summary's `step`."""
    from paddles_mongo.services import run_summary
    assert client.post(f"/runs/{RUN}/jobs/", json={"job_id": "1",
                                                    "status": "running"}).status_code == 200
    monkeypatch.setattr(run_summary, step,
                        lambda *args: (_ for _ in ()).throw(SystemExit("worker killed")))
    with pytest.raises(SystemExit):
        client.put(f"/runs/{RUN}/jobs/1/", json={"status": "fail"})
    monkeypatch.undo()


def test_a_job_write_whose_worker_died_before_counting_gets_its_events_from_the_journal(
        client, database, monkeypatch):
    put_whose_worker_dies(client, monkeypatch, "_finish")
    assert kinds(events(client))[-1] == "run.updated"  # the PUT's events not yet there
    before = len(events(client))
    assert repair_stale_writes(database, utcnow() + LATER) == 1
    assert repair_stale_writes(database, utcnow() + LATER) == 0
    new = events(client, after=before)
    assert [(e["type"], e.get("status")) for e in new] == [("job.updated", "fail"),
                                                          ("run.updated", "finished fail")]


def test_a_job_write_whose_worker_died_after_publishing_is_counted_without_a_second_event(
        client, database, monkeypatch):
    """The job event is published from the journal entry before the count; the repairs count
    the entry, publish it again (stored once: its id is the entry's) and the count's status
    change."""
    put_whose_worker_dies(client, monkeypatch, "_finish_and_publish")
    before = len(events(client))
    assert [(e["type"], e.get("status")) for e in events(client)][-1] == ("job.updated", "fail")
    assert database.runs.find_one({"name": RUN})["status"] == "running"  # not counted yet
    assert repair_stale_writes(database, utcnow() + LATER) == 1
    assert database.runs.find_one({"name": RUN})["status"] == "finished fail"
    new = events(client, after=before)
    assert [(e["type"], e.get("status")) for e in new] == [("run.updated", "finished fail")]
    assert [e["seq"] for e in events(client)] == list(range(1, before + 2))


def test_a_later_writer_of_the_job_publishes_the_dead_writes_event_before_its_own(
        client, database, monkeypatch):
    put_whose_worker_dies(client, monkeypatch, "_finish")
    before = len(events(client))
    assert client.put(f"/runs/{RUN}/jobs/1/", json={"description": "d"}).status_code == 200
    new = events(client, after=before)
    assert [(e["type"], e.get("old_status"), e.get("status")) for e in new] == [
        ("job.updated", "running", "fail"), ("run.updated", "running", "finished fail"),
        ("job.updated", None, None)]
    assert repair_stale_writes(database, utcnow() + LATER) == 0


def test_a_publisher_that_loses_its_number_takes_the_next_one(client, database, monkeypatch):
    """Two publishers read the same newest seq: the unique index refuses the second, which
    reads again; numbers stay dense."""
    assert client.post("/runs/", json={"name": RUN}).status_code == 200
    real, reads = event_service.last_seq, []

    def stale_then_real(database):
        reads.append(1)
        return 0 if len(reads) == 1 else real(database)

    monkeypatch.setattr(event_service, "last_seq", stale_then_real)
    assert client.post("/runs/", json={"name": RUN + "-2"}).status_code == 200
    monkeypatch.undo()
    assert [(e["seq"], e["run"]) for e in events(client)] == [(1, RUN), (2, RUN + "-2")]


def test_numbering_goes_on_from_the_floor_when_every_event_expired(client, database):
    assert client.post("/runs/", json={"name": RUN}).status_code == 200
    assert client.post("/runs/", json={"name": RUN + "-2"}).status_code == 200
    event_service.publish_stale(database, utcnow())  # what every worker's repairs do
    database.events.delete_many({})  # all expired
    assert client.post("/runs/", json={"name": RUN + "-3"}).status_code == 200
    assert [(e["seq"], e["run"]) for e in events(client)] == [(3, RUN + "-3")]


def test_a_stopping_worker_records_the_floor(app, client, database):
    from paddles_mongo.repairs import record_event_floor
    assert client.post("/runs/", json={"name": RUN}).status_code == 200
    record_event_floor(app)  # gunicorn_config's worker_exit
    database.events.delete_many({})  # all expired before any worker ran again
    assert client.post("/runs/", json={"name": RUN + "-2"}).status_code == 200
    assert [e["seq"] for e in events(client)] == [2]


def test_events_expire_through_a_ttl_index_on_their_expiry_date(client, database, settings):
    (ttl,) = [model.document for model in INDEXES["events"]
              if "expireAfterSeconds" in model.document]
    assert (list(ttl["key"]), ttl["expireAfterSeconds"]) == (["expires"], 0)
    before = utcnow()
    assert client.post("/runs/", json={"name": RUN}).status_code == 200
    expires = database.events.find_one({})["expires"]
    retention = timedelta(days=settings.event_retention_days)
    assert before + retention - timedelta(milliseconds=1) <= expires <= utcnow() + retention + timedelta(milliseconds=1)


@pytest.mark.wire(reason="the database's TTL monitor removes expired events (mongomock has "
                         "none); SecantusDB's runs on demand with secantusAdmin.pruneTtl")
def test_expired_events_are_removed_by_the_database(client, database):
    assert client.post("/runs/", json={"name": RUN}).status_code == 200
    assert client.post("/runs/", json={"name": RUN + "-2"}).status_code == 200
    database.events.update_one({"seq": 1}, {"$set": {"expires": utcnow() - LATER}})
    database.client.admin.command("secantusAdmin.pruneTtl")
    assert [e["seq"] for e in events(client)] == [2]
