"""§3.6 queue endpoints, §4.4 queue JSON, §5.10 pause rules, §10 rows 21-22; ports of §7.7
(controllers/test_queue.py) -- pause expiry is simulated by moving `paused_until` into the past
in the database instead of sleeping; the calls of teuthology's queue branches (clients.md
§2.7)."""
from datetime import timedelta

import pytest

from tests.integration.support import (BAD_JSON, JOB_KEYS, assert_envelope, assert_time,
                                        create_run, get_job, parse_time, post_job, put_job,
                                        unique_name, utcnow)

QUEUE_KEYS = ("queue", "paused", "paused_by", "paused_since", "paused_until")
QUEUE_REQUIRED = "could not find required key: 'queue'"
NO_SUCH_QUEUE = "specified queue does not exist"
ALREADY_PAUSED = "Cannot pause an already-paused queue"
PAUSE_NO_OWNER = "Cannot pause without specifying paused_by"
QUEUE_PAUSED = "queue is paused, cannot retrieve job"


def create_queue(client, name, **fields):
    response = client.post("/queue/", json={"queue": name, **fields})
    assert response.status_code == 200, (response.status_code, response.data)
    assert response.get_json() == {}
    return name


def update_queue(client, name, **fields):
    response = client.put("/queue/", json={"queue": name, **fields})
    assert response.status_code == 200, (response.status_code, response.data)
    assert response.get_json() == {}


def queues(client, query=None):
    response = client.get("/queue/", query_string=query or {})
    assert response.status_code == 200, (response.status_code, response.data)
    return response.get_json()


def queue_json(client, name):
    (queue,) = queues(client, {"machine_type": name})
    return queue


def expire_pause(database, name):
    """What time passing does to a pause: paused_until is now in the past."""
    past = utcnow() - timedelta(seconds=1)
    result = database.queues.update_one({"queue": name}, {"$set": {"paused_until": past}})
    assert result.matched_count == 1


def queued_job(client, run, queue, **fields):
    return post_job(client, run, {"status": "queued", "queue": queue, **fields})


def stats(client, name):
    response = client.get("/queue/stats/", query_string={"queue": name})
    assert response.status_code == 200, (response.status_code, response.data)
    return response.get_json()


def pop(client, name):
    response = client.get("/queue/pop_queue", query_string={"queue": name})
    assert response.status_code == 200, (response.status_code, response.data)
    return response.get_json()


# --- §7.7 controllers/test_queue.py --------------------------------------------------------

def test_get_root(client):
    assert client.get("/").status_code == 200


def test_create_queue(client):
    response = client.post("/queue/", json={"queue": "test_queue"})
    assert response.status_code == 200
    assert response.get_json() == {}


def test_create_existing_queue(client):
    create_queue(client, "test_queue")
    assert_envelope(client.post("/queue/", json={"queue": "test_queue"}), 400,
                    "Queue test_queue already exists")


def test_get_queue(client):
    create_queue(client, "test_queue")
    got = queues(client)
    assert len(got) == 1
    assert got[0]["queue"] == "test_queue"


def test_fail_create_queue(client):
    assert_envelope(client.post("/queue/"), 400, BAD_JSON)


def test_priority_queue(client, run):
    create_queue(client, "test_queue")
    first = queued_job(client, run, "test_queue", priority=10)
    queued_job(client, run, "test_queue", priority=15)
    job = pop(client, "test_queue")
    assert job["job_id"] == first
    assert job["priority"] == 10


def test_queue_stats(client, run):
    create_queue(client, "test_queue")
    queued_job(client, run, "test_queue")
    response = client.post("/queue/stats/", json={"queue": "test_queue"})
    assert response.status_code == 200
    assert response.get_json()["queued_jobs"] == 1


def test_pause_queue(client, database):
    create_queue(client, "test_queue")
    response = client.put("/queue/", json={"queue": "test_queue", "paused_by": "tester",
                                           "pause_duration": 0.05})
    assert response.status_code == 200
    assert queue_json(client, "test_queue")["paused"] is True
    # still paused half-way through (nothing moved the clock yet)
    assert queue_json(client, "test_queue")["paused"] is True
    expire_pause(database, "test_queue")
    assert queue_json(client, "test_queue")["paused"] is False


def test_get_queued_jobs(client, run):
    create_queue(client, "test_queue")
    queued_job(client, run, "test_queue", user="tester")
    queued_job(client, run, "test_queue", user="tester")
    post_job(client, run, {"status": "running", "queue": "test_queue", "user": "tester"})
    response = client.post("/queue/queued_jobs/?user=tester", json={"queue": "test_queue"})
    assert response.status_code == 200
    jobs = response.get_json()
    assert len(jobs) == 2
    assert {job["user"] for job in jobs} == {"tester"}


# --- GET /queue/ ----------------------------------------------------------------------------

def test_queue_list_is_empty_without_queues(client):
    assert queues(client) == []


def test_queue_json_of_a_new_queue(client):
    create_queue(client, "smithi")
    response = client.get("/queue/")
    (queue,) = response.get_json()
    assert list(queue) == list(QUEUE_KEYS)
    assert queue == {"queue": "smithi", "paused": False, "paused_by": None,
                     "paused_since": None, "paused_until": None}


def test_queue_json_never_shows_pause_duration_and_it_is_not_stored(client, database):
    create_queue(client, "smithi", paused_by="me", pause_duration=60)
    update_queue(client, "smithi", paused_until=None)
    update_queue(client, "smithi", paused_by="me", pause_duration=30)
    assert "pause_duration" not in queue_json(client, "smithi")
    assert database.queues.find_one({"queue": "smithi"}).get("pause_duration") is None


def test_queue_list_holds_every_queue(client):
    for name in ("smithi", "mira", "multi"):
        create_queue(client, name)
    assert sorted(q["queue"] for q in queues(client)) == ["mira", "multi", "smithi"]


def test_queue_list_by_machine_type_is_exact(client):
    create_queue(client, "smithi")
    create_queue(client, "smithi2")
    create_queue(client, "mira")
    assert [q["queue"] for q in queues(client, {"machine_type": "smithi"})] == ["smithi"]
    assert queues(client, {"machine_type": "smit"}) == []


def test_queue_list_machine_type_with_pipe_means_multi(client):
    create_queue(client, "smithi")
    create_queue(client, "mira")
    create_queue(client, "multi")
    assert [q["queue"] for q in queues(client, {"machine_type": "smithi|mira"})] == ["multi"]
    response = client.get("/queue/?machine_type=smithi%7Cmira")
    assert [q["queue"] for q in response.get_json()] == ["multi"]


def test_queue_list_by_paused_by(client):
    create_queue(client, "a", paused_by="alice", pause_duration=600)
    create_queue(client, "b", paused_by="bob", pause_duration=600)
    create_queue(client, "c")
    assert [q["queue"] for q in queues(client, {"paused_by": "alice"})] == ["a"]
    assert [q["queue"] for q in queues(client, {"paused_by": "bob",
                                                "machine_type": "b"})] == ["b"]
    assert queues(client, {"paused_by": "bob", "machine_type": "a"}) == []


# --- POST /queue/ ---------------------------------------------------------------------------

def test_create_queue_message_ends_with_already_exists(client):
    create_queue(client, "smithi")
    message = assert_envelope(client.post("/queue/", json={"queue": "smithi"}), 400)
    assert message.endswith("already exists")


def test_create_queue_with_malformed_json_is_400(client):
    response = client.post("/queue/", data="{queue:", content_type="application/json")
    assert_envelope(response, 400, BAD_JSON)


def test_create_queue_with_empty_body_is_400(client):
    assert_envelope(client.post("/queue/", data="", content_type="application/json"), 400,
                    BAD_JSON)


@pytest.mark.parametrize("body", [{}, {"queue": None}, {"queue": ""}, {"paused_by": "x"}],
                         ids=["empty", "null", "empty-string", "no-queue-key"])
def test_create_queue_without_name_is_400(client, body):
    assert_envelope(client.post("/queue/", json=body), 400, QUEUE_REQUIRED)
    assert queues(client) == []


def test_create_queue_paused(client):
    before = utcnow() - timedelta(seconds=1)
    create_queue(client, "smithi", paused_by="admin", pause_duration=3600)
    after = utcnow()
    queue = queue_json(client, "smithi")
    assert (queue["paused"], queue["paused_by"]) == (True, "admin")
    since, until = parse_time(queue["paused_since"]), parse_time(queue["paused_until"])
    assert before <= since <= after
    assert until - since == timedelta(seconds=3600)


def test_create_queue_pause_without_paused_by_is_400(client):
    assert_envelope(client.post("/queue/", json={"queue": "smithi", "pause_duration": 60}),
                    400, PAUSE_NO_OWNER)
    assert queues(client) == []


def test_create_queue_with_paused_by_only_is_not_paused(client):
    create_queue(client, "smithi", paused_by="someone")
    queue = queue_json(client, "smithi")
    assert (queue["paused"], queue["paused_by"], queue["paused_until"]) == (
        False, "someone", None)


# --- PUT /queue/ ----------------------------------------------------------------------------

def test_pause_sets_since_and_until(client):
    create_queue(client, "smithi")
    before = utcnow() - timedelta(seconds=1)
    update_queue(client, "smithi", paused_by="admin", pause_duration=90)
    after = utcnow()
    queue = queue_json(client, "smithi")
    assert list(queue) == list(QUEUE_KEYS)
    since, until = parse_time(queue["paused_since"]), parse_time(queue["paused_until"])
    assert before <= since <= after
    assert until - since == timedelta(seconds=90)
    assert (queue["paused"], queue["paused_by"]) == (True, "admin")


def test_pause_duration_may_be_fractional(client):
    create_queue(client, "smithi")
    update_queue(client, "smithi", paused_by="admin", pause_duration=0.05)
    queue = queue_json(client, "smithi")
    assert parse_time(queue["paused_until"]) - parse_time(queue["paused_since"]) == timedelta(
        milliseconds=50)


def test_pause_duration_may_be_a_numeric_string(client):
    create_queue(client, "smithi")
    update_queue(client, "smithi", paused_by="admin", pause_duration="120")
    queue = queue_json(client, "smithi")
    assert queue["paused"] is True
    assert parse_time(queue["paused_until"]) - parse_time(queue["paused_since"]) == timedelta(
        seconds=120)


def test_pause_of_paused_queue_is_403(client):
    create_queue(client, "smithi")
    update_queue(client, "smithi", paused_by="first", pause_duration=600)
    before = queue_json(client, "smithi")
    response = client.put("/queue/", json={"queue": "smithi", "paused_by": "second",
                                           "pause_duration": 5})
    assert_envelope(response, 403, ALREADY_PAUSED)
    assert queue_json(client, "smithi") == before


def test_pause_of_paused_queue_without_paused_by_is_403_first(client):
    create_queue(client, "smithi", paused_by="first", pause_duration=600)
    response = client.put("/queue/", json={"queue": "smithi", "pause_duration": 5})
    assert_envelope(response, 403, ALREADY_PAUSED)


@pytest.mark.parametrize("owner", [{}, {"paused_by": None}, {"paused_by": ""}],
                         ids=["missing", "null", "empty"])
def test_pause_without_paused_by_is_400(client, owner):
    create_queue(client, "smithi")
    response = client.put("/queue/", json={"queue": "smithi", "pause_duration": 60, **owner})
    assert_envelope(response, 400, PAUSE_NO_OWNER)
    assert queue_json(client, "smithi")["paused"] is False


def test_update_unknown_queue_is_400(client):
    response = client.put("/queue/", json={"queue": "nope", "paused_by": "x",
                                           "pause_duration": 5})
    assert_envelope(response, 400, NO_SUCH_QUEUE)
    assert queues(client) == []


@pytest.mark.parametrize("body", [{}, {"queue": None}, {"queue": ""}, {"paused_by": "x"}],
                         ids=["empty", "null", "empty-string", "no-queue-key"])
def test_update_without_queue_is_400(client, body):
    create_queue(client, "smithi")
    assert_envelope(client.put("/queue/", json=body), 400, QUEUE_REQUIRED)


def test_update_with_malformed_or_missing_body_is_400(client):
    create_queue(client, "smithi")
    assert_envelope(client.put("/queue/", data="{x", content_type="application/json"), 400,
                    BAD_JSON)
    assert_envelope(client.put("/queue/"), 400, BAD_JSON)


def test_paused_until_null_unpauses(client):
    create_queue(client, "smithi", paused_by="admin", pause_duration=3600)
    update_queue(client, "smithi", paused_until=None)
    queue = queue_json(client, "smithi")
    assert queue["paused"] is False
    assert queue["paused_until"] is None


def test_unpaused_queue_can_be_paused_again(client):
    create_queue(client, "smithi", paused_by="admin", pause_duration=3600)
    update_queue(client, "smithi", paused_until=None)
    update_queue(client, "smithi", paused_by="other", pause_duration=60)
    queue = queue_json(client, "smithi")
    assert (queue["paused"], queue["paused_by"]) == (True, "other")


def test_paused_by_alone_changes_only_the_pauser(client):
    create_queue(client, "smithi", paused_by="admin", pause_duration=3600)
    before = queue_json(client, "smithi")
    update_queue(client, "smithi", paused_by="someone-else")
    after = queue_json(client, "smithi")
    assert after == {**before, "paused_by": "someone-else"}


def test_expired_pause_is_not_paused_and_can_be_renewed(client, database):
    create_queue(client, "smithi")
    update_queue(client, "smithi", paused_by="admin", pause_duration=0.05)
    assert queue_json(client, "smithi")["paused"] is True
    expire_pause(database, "smithi")
    queue = queue_json(client, "smithi")
    assert queue["paused"] is False
    assert queue["paused_until"] is not None  # the window is still recorded
    update_queue(client, "smithi", paused_by="admin", pause_duration=60)
    assert queue_json(client, "smithi")["paused"] is True


def test_paused_fields_can_be_set_directly(client):
    create_queue(client, "smithi")
    until = (utcnow() + timedelta(hours=1)).replace(microsecond=0)
    update_queue(client, "smithi", paused_by="ops", paused_since="2026-01-01 00:00:00",
                 paused_until=str(until))
    queue = queue_json(client, "smithi")
    assert queue["paused"] is True
    assert queue["paused_since"] == "2026-01-01 00:00:00"
    assert queue["paused_until"] == str(until)


def test_paused_until_in_the_past_is_not_paused(client):
    create_queue(client, "smithi")
    update_queue(client, "smithi", paused_by="ops", paused_until="2020-01-01 00:00:00")
    assert queue_json(client, "smithi")["paused"] is False


# --- pop_queue ------------------------------------------------------------------------------

def test_pop_queue_of_unknown_queue_is_null(client):
    response = client.get("/queue/pop_queue?queue=nope")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() is None
    assert response.data.strip() == b"null"


def test_pop_queue_of_empty_queue_is_null(client, run):
    create_queue(client, "smithi")
    post_job(client, run, {"status": "running", "queue": "smithi"})
    queued_job(client, run, "mira")
    assert pop(client, "smithi") is None


def test_pop_queue_returns_full_job_json(client, run):
    create_queue(client, "smithi")
    job_id = queued_job(client, run, "smithi", priority=5)
    job = pop(client, "smithi")
    assert list(job) == list(JOB_KEYS)
    assert job == get_job(client, run, job_id)


def test_pop_queue_smallest_priority_first(client, run):
    create_queue(client, "smithi")
    queued_job(client, run, "smithi", priority=50)
    lowest = queued_job(client, run, "smithi", priority=3)
    queued_job(client, run, "smithi", priority=1000)
    queued_job(client, run, "smithi", priority=10)
    assert pop(client, "smithi")["job_id"] == lowest


def test_pop_queue_null_priorities_last(client, run):
    create_queue(client, "smithi")
    unprioritised = queued_job(client, run, "smithi")
    prioritised = queued_job(client, run, "smithi", priority=900)
    assert pop(client, "smithi")["job_id"] == prioritised
    put_job(client, run, prioritised, {"status": "running"})
    assert pop(client, "smithi")["job_id"] == unprioritised


def test_pop_queue_considers_only_queued_jobs_of_that_queue(client, run):
    create_queue(client, "smithi")
    post_job(client, run, {"status": "running", "queue": "smithi", "priority": 1})
    post_job(client, run, {"status": "dead", "queue": "smithi", "priority": 1})
    queued_job(client, run, "mira", priority=1)
    wanted = queued_job(client, run, "smithi", priority=100)
    assert pop(client, "smithi")["job_id"] == wanted


def test_pop_queue_is_a_peek(client, run):
    create_queue(client, "smithi")
    job_id = queued_job(client, run, "smithi", priority=1)
    first = pop(client, "smithi")
    second = pop(client, "smithi")
    assert first == second
    assert first["job_id"] == job_id
    assert get_job(client, run, job_id)["status"] == "queued"
    assert stats(client, "smithi")["queued_jobs"] == 1


def test_pop_queue_of_paused_queue_is_503(client, run):
    create_queue(client, "smithi")
    queued_job(client, run, "smithi", priority=1)
    update_queue(client, "smithi", paused_by="admin", pause_duration=600)
    assert_envelope(client.get("/queue/pop_queue?queue=smithi"), 503, QUEUE_PAUSED)
    assert_envelope(client.get("/queue/pop_queue/smithi"), 503, QUEUE_PAUSED)


def test_pop_queue_after_pause_expires(client, run, database):
    create_queue(client, "smithi")
    job_id = queued_job(client, run, "smithi", priority=1)
    update_queue(client, "smithi", paused_by="admin", pause_duration=0.05)
    assert_envelope(client.get("/queue/pop_queue?queue=smithi"), 503, QUEUE_PAUSED)
    expire_pause(database, "smithi")
    assert pop(client, "smithi")["job_id"] == job_id


def test_pop_queue_after_unpause_with_null_until(client, run):
    create_queue(client, "smithi", paused_by="admin", pause_duration=600)
    job_id = queued_job(client, run, "smithi", priority=1)
    update_queue(client, "smithi", paused_until=None)
    assert pop(client, "smithi")["job_id"] == job_id


@pytest.mark.parametrize("how", ["query", "query-slash", "path", "path-slash", "json-body"])
def test_pop_queue_takes_the_queue_from_query_path_or_body(client, run, how):
    create_queue(client, "smithi")
    job_id = queued_job(client, run, "smithi", priority=1)
    response = {
        "query": lambda: client.get("/queue/pop_queue?queue=smithi"),
        "query-slash": lambda: client.get("/queue/pop_queue/?queue=smithi"),
        "path": lambda: client.get("/queue/pop_queue/smithi"),
        "path-slash": lambda: client.get("/queue/pop_queue/smithi/"),
        "json-body": lambda: client.post("/queue/pop_queue/", json={"queue": "smithi"}),
    }[how]()
    assert response.status_code == 200, response.data
    assert response.get_json()["job_id"] == job_id


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_pop_queue_answers_other_methods_like_get(client, run, method):
    create_queue(client, "smithi")
    job_id = queued_job(client, run, "smithi", priority=1)
    response = client.open("/queue/pop_queue?queue=smithi", method=method)
    assert response.status_code == 200
    assert response.get_json()["job_id"] == job_id


@pytest.mark.parametrize("query", ["", "?queue="])
def test_pop_queue_without_queue_is_400(client, query):
    create_queue(client, "smithi")
    assert_envelope(client.get(f"/queue/pop_queue{query}"), 400)


# --- stats ----------------------------------------------------------------------------------

def test_stats_of_unpaused_queue(client, run):
    create_queue(client, "smithi")
    queued_job(client, run, "smithi")
    queued_job(client, run, "smithi", priority=3)
    post_job(client, run, {"status": "running", "queue": "smithi"})
    queued_job(client, run, "mira")
    assert stats(client, "smithi") == {"queue": "smithi", "queued_jobs": 2, "paused": False}


def test_stats_of_empty_queue_counts_zero(client):
    create_queue(client, "smithi")
    assert stats(client, "smithi") == {"queue": "smithi", "queued_jobs": 0, "paused": False}


def test_stats_of_paused_queue_include_the_pause(client, run):
    create_queue(client, "smithi")
    queued_job(client, run, "smithi")
    update_queue(client, "smithi", paused_by="admin", pause_duration=600)
    body = stats(client, "smithi")
    queue = queue_json(client, "smithi")
    assert body == {**queue, "queued_jobs": 1}
    assert set(body) == {"queue", "paused", "paused_by", "paused_since", "paused_until",
                         "queued_jobs"}
    assert (body["paused"], body["paused_by"]) == (True, "admin")
    assert_time(body["paused_since"])
    assert_time(body["paused_until"])


def test_stats_after_pause_expires_are_unpaused_shape(client, database):
    create_queue(client, "smithi", paused_by="admin", pause_duration=0.05)
    expire_pause(database, "smithi")
    assert stats(client, "smithi") == {"queue": "smithi", "queued_jobs": 0, "paused": False}


def test_stats_follow_job_status_changes(client, run):
    create_queue(client, "smithi")
    job_id = queued_job(client, run, "smithi")
    assert stats(client, "smithi")["queued_jobs"] == 1
    put_job(client, run, job_id, {"status": "running"})
    assert stats(client, "smithi")["queued_jobs"] == 0


@pytest.mark.parametrize("how", ["get-query", "get-query-noslash", "post-query", "get-path",
                                 "post-path", "post-json-body"])
def test_stats_take_the_queue_from_query_path_or_body(client, run, how):
    create_queue(client, "smithi")
    queued_job(client, run, "smithi")
    response = {
        "get-query": lambda: client.get("/queue/stats/?queue=smithi"),
        "get-query-noslash": lambda: client.get("/queue/stats?queue=smithi"),
        "post-query": lambda: client.post("/queue/stats/?queue=smithi"),
        "get-path": lambda: client.get("/queue/stats/smithi"),
        "post-path": lambda: client.post("/queue/stats/smithi"),
        "post-json-body": lambda: client.post("/queue/stats/", json={"queue": "smithi"}),
    }[how]()
    assert response.status_code == 200, response.data
    assert response.get_json() == {"queue": "smithi", "queued_jobs": 1, "paused": False}


def test_stats_of_unknown_queue_is_400(client):
    assert_envelope(client.get("/queue/stats/?queue=nope"), 400, NO_SUCH_QUEUE)
    assert_envelope(client.get("/queue/stats/nope"), 400, NO_SUCH_QUEUE)
    assert_envelope(client.post("/queue/stats/", json={"queue": "nope"}), 400, NO_SUCH_QUEUE)


@pytest.mark.parametrize("request_kind", ["empty-query", "absent", "post-absent",
                                          "post-empty-body-key"])
def test_stats_without_queue_is_400(client, request_kind):
    create_queue(client, "smithi")
    response = {
        "empty-query": lambda: client.get("/queue/stats/?queue="),
        "absent": lambda: client.get("/queue/stats/"),
        "post-absent": lambda: client.post("/queue/stats/", json={}),
        "post-empty-body-key": lambda: client.post("/queue/stats/", json={"queue": ""}),
    }[request_kind]()
    assert_envelope(response, 400, QUEUE_REQUIRED)


# --- queued_jobs ----------------------------------------------------------------------------

def queued_jobs(client, body, query="", method="POST"):
    response = client.open(f"/queue/queued_jobs/{query}", method=method, json=body)
    assert response.status_code == 200, (response.status_code, response.data)
    return response.get_json()


def test_queued_jobs_lists_the_queues_queued_jobs(client, run):
    create_queue(client, "smithi")
    a = queued_job(client, run, "smithi", priority=5)
    b = queued_job(client, run, "smithi")
    post_job(client, run, {"status": "running", "queue": "smithi"})
    queued_job(client, run, "mira")
    jobs = queued_jobs(client, {"queue": "smithi"})
    assert sorted(job["job_id"] for job in jobs) == sorted([a, b])
    for job in jobs:
        assert list(job) == list(JOB_KEYS)
        assert (job["status"], job["queue"]) == ("queued", "smithi")


def test_queued_jobs_of_an_empty_queue(client):
    create_queue(client, "smithi")
    assert queued_jobs(client, {"queue": "smithi"}) == []


@pytest.mark.parametrize("where", ["query", "body"])
def test_queued_jobs_by_user(client, run, where):
    create_queue(client, "smithi")
    mine = queued_job(client, run, "smithi", user="alice")
    queued_job(client, run, "smithi", user="bob")
    queued_job(client, run, "mira", user="alice")
    if where == "query":
        jobs = queued_jobs(client, {"queue": "smithi"}, query="?user=alice")
    else:
        jobs = queued_jobs(client, {"queue": "smithi", "user": "alice"})
    assert [job["job_id"] for job in jobs] == [mine]


@pytest.mark.parametrize("where", ["query", "body"])
def test_queued_jobs_by_run_name_ignores_the_queue(client, where):
    create_queue(client, "smithi")
    run = create_run(client, unique_name())
    other = create_run(client, unique_name())
    in_queue = queued_job(client, run, "smithi")
    other_queue = queued_job(client, run, "mira")
    no_queue = post_job(client, run, {"status": "queued"})
    post_job(client, run, {"status": "running", "queue": "smithi"})
    queued_job(client, other, "smithi")
    if where == "query":
        jobs = queued_jobs(client, {"queue": "smithi"}, query=f"?run_name={run}")
    else:
        jobs = queued_jobs(client, {"queue": "smithi", "run_name": run})
    assert sorted(job["job_id"] for job in jobs) == sorted([in_queue, other_queue, no_queue])
    assert {job["status"] for job in jobs} == {"queued"}


def test_queued_jobs_run_name_wins_over_user(client):
    create_queue(client, "smithi")
    run = create_run(client, unique_name())
    a = queued_job(client, run, "smithi", user="alice")
    b = queued_job(client, run, "smithi", user="bob")
    jobs = queued_jobs(client, {"queue": "smithi"}, query=f"?run_name={run}&user=alice")
    assert sorted(job["job_id"] for job in jobs) == sorted([a, b])


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "POST"])
def test_queued_jobs_answers_any_method(client, run, method):
    create_queue(client, "smithi")
    job_id = queued_job(client, run, "smithi")
    assert [j["job_id"] for j in queued_jobs(client, {"queue": "smithi"}, method=method)] == [
        job_id]


def test_queued_jobs_without_body_is_400(client):
    create_queue(client, "smithi")
    assert_envelope(client.post("/queue/queued_jobs/"), 400, BAD_JSON)
    assert_envelope(client.post("/queue/queued_jobs/?queue=smithi"), 400, BAD_JSON)


def test_queued_jobs_with_malformed_body_is_400(client):
    create_queue(client, "smithi")
    response = client.post("/queue/queued_jobs/", data="{queue:",
                           content_type="application/json")
    assert_envelope(response, 400, BAD_JSON)


@pytest.mark.parametrize("body", [{}, {"queue": None}, {"queue": ""}, {"user": "x"}],
                         ids=["empty", "null", "empty-string", "no-queue-key"])
def test_queued_jobs_without_queue_key_is_400(client, body):
    create_queue(client, "smithi")
    assert_envelope(client.post("/queue/queued_jobs/", json=body), 400, QUEUE_REQUIRED)


def test_queued_jobs_of_unknown_queue_is_400(client):
    assert_envelope(client.post("/queue/queued_jobs/", json={"queue": "nope"}), 400,
                    NO_SUCH_QUEUE)


# --- the queue branches of teuthology (clients.md §2.7) -------------------------------------

def test_teuthology_queue_branch_flow(client, database):
    # create (a second create answers ... already exists, which the client treats as OK)
    create_queue(client, "smithi")
    assert client.post("/queue/", json={"queue": "smithi"}).get_json()["message"].endswith(
        "already exists")
    # the scheduler posts jobs without job_id and reads the assigned one
    run = create_run(client, unique_name())
    ids = [post_job(client, run, {"status": "queued", "queue": "smithi", "priority": p,
                                  "user": "sched"}) for p in (100, 50)]
    body = client.post("/queue/stats/", json={"queue": "smithi"}).get_json()
    assert (body["queued_jobs"], body["paused"]) == (2, False)
    assert client.get("/queue/pop_queue?queue=smithi").get_json()["job_id"] == ids[1]
    # pause and unpause with PUT {queue, paused_by, pause_duration}
    update_queue(client, "smithi", paused_by="admin", pause_duration=3600)
    assert client.post("/queue/stats/", json={"queue": "smithi"}).get_json()["paused"] is True
    assert client.get("/queue/pop_queue?queue=smithi").status_code == 503
    update_queue(client, "smithi", paused_until=None)
    assert client.post("/queue/stats/", json={"queue": "smithi"}).get_json()["paused"] is False
    listed = client.post(f"/queue/queued_jobs/?run_name={run}", json={"queue": "smithi"})
    assert sorted(j["job_id"] for j in listed.get_json()) == sorted(ids)
