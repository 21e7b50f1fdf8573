"""What the integration tests share (imported by name; the fixtures are in conftest.py): unique
names, the spec's key orders, the time format, thin wrappers that assert a write succeeded
(spec §2.3: every success is a 200), a frozen server clock, a command listener, and apps on
databases of their own."""
import contextlib
import json
import os
import re
import uuid
from datetime import datetime, timezone

import pytest
from pymongo import monitoring

from paddles_mongo import create_app, timeformat
from paddles_mongo.config import load_settings
from paddles_mongo.db import create_indexes
from tests.conftest import drop_test_database
from tests.helpers import JOB_KEYS, JOB_WHITELIST, RESULTS_KEYS, RUN_KEYS  # noqa: F401

# §2.5: str(datetime) -- a space separator, ".ffffff" only when microseconds are non-zero.
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{6})?$")

# §4.3: full node JSON, in the order the example shows, and the lock answers' summary.
NODE_KEYS = ("name", "description", "up", "machine_type", "is_vm", "vm_host", "os_type",
             "os_version", "arch", "locked", "locked_since", "locked_by", "mac_address",
             "ssh_pub_key")
LOCK_SUMMARY_KEYS = ("name", "locked", "locked_by", "machine_type", "is_vm")

# Error messages several endpoints answer with.
BAD_JSON = "could not decode JSON body"
NAME_REQUIRED = "could not find required key: 'name'"
INVALID_FIELD = "an invalid field was specified"
NODE_NOT_FOUND = "node not found"
DATE_ERROR = "date format must match"

ADDRESS = "http://paddles.test"  # settings.address in tests/conftest.py
LOG_HREF = "http://qa-proxy.ceph.com/teuthology/{run_name}/{job_id}/teuthology.log"
JSON_TYPE = "application/json"


def unique_name(prefix="run"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def utcnow():
    return datetime.now(timezone.utc).replace(tzinfo=None)


def assert_time(value):
    """A datetime on the wire: `YYYY-MM-DD HH:MM:SS[.ffffff]`, never ISO's `T`."""
    assert isinstance(value, str), value
    assert "T" not in value, value
    assert TIME_RE.match(value), value


def assert_envelope(response, status, message=None):
    """A handled error: `{"message": "<text>"}` as JSON with the given status."""
    assert response.status_code == status, (response.status_code, response.data)
    assert response.mimetype == JSON_TYPE
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == {"message"}, body
    assert isinstance(body["message"], str) and body["message"], body
    if message is not None:
        assert body["message"] == message, body
    return body["message"]


def parse_time(text):
    """A datetime on the wire (see assert_time), parsed."""
    assert_time(text)
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f" if "." in text
                             else "%Y-%m-%d %H:%M:%S")


def ordered_keys(response):
    """The object keys in the order they appear on the wire."""
    return [key for key, _ in json.loads(response.data, object_pairs_hook=lambda pairs: pairs)]


def create_run(client, name):
    response = client.post("/runs/", json={"name": name})
    assert response.status_code == 200, response.data
    assert response.get_json() == {}
    return name


def post_job(client, run, body):
    """POST a job document; returns the job_id the server answered (a string)."""
    response = client.post(f"/runs/{run}/jobs/", json=body)
    assert response.status_code == 200, (response.status_code, response.data)
    job_id = response.get_json()["job_id"]
    assert isinstance(job_id, str)
    return job_id


def put_job(client, run, job_id, body):
    response = client.put(f"/runs/{run}/jobs/{job_id}/", json=body)
    assert response.status_code == 200, (response.status_code, response.data)
    assert response.get_json() == {}


def get_job(client, run, job_id):
    response = client.get(f"/runs/{run}/jobs/{job_id}/")
    assert response.status_code == 200, (response.status_code, response.data)
    return response.get_json()


def get_run(client, run):
    response = client.get(f"/runs/{run}/")
    assert response.status_code == 200, (response.status_code, response.data)
    return response.get_json()


def listing(response):
    """The JSON list a list endpoint answered 200 with."""
    assert response.status_code == 200, (response.status_code, response.data)
    body = response.get_json()
    assert isinstance(body, list), body
    return body


def names(response):
    """The run names a run list answered, in order."""
    return [run["name"] for run in listing(response)]


def create_node(client, name, **fields):
    response = client.post("/nodes/", json={"name": name, **fields})
    assert response.status_code == 200, (response.status_code, response.data)
    assert response.get_json() == {}
    return name


def get_node(client, name):
    response = client.get(f"/nodes/{name}/")
    assert response.status_code == 200, (response.status_code, response.data)
    return response.get_json()


def stored_run_status(client, run):
    """The *stored* run status, as `GET /runs/?fields=name,status` reports it (§3.2)."""
    response = client.get("/runs/", query_string={"fields": "name,status", "count": 1000})
    assert response.status_code == 200
    return {item["name"]: item["status"] for item in response.get_json()}[run]


class FrozenClock:
    """Replaces the server's clock: paddles_mongo.timeformat reads `datetime.now`, for job
    `posted` times and for today/yesterday. Set `utc` to move it."""

    def __init__(self, monkeypatch):
        clock = self

        class FrozenDatetime(datetime):
            def __new__(cls, *args, **kwargs):
                # What it builds (`combine`, `strptime`) is a plain datetime, as the
                # server's are: the query policy compares values by their type.
                return datetime(*args, **kwargs)

            @classmethod
            def now(cls, tz=None):
                value = clock.utc
                if tz is None:
                    return value
                return value.replace(tzinfo=timezone.utc).astimezone(tz)

        self.utc = datetime(2024, 1, 1)
        monkeypatch.setattr(timeformat, "datetime", FrozenDatetime)


class CommandRecorder(monitoring.CommandListener):
    """A pymongo listener keeping, in `commands`, `record(event)` of every command started
    (by default its name; None keeps nothing)."""

    def __init__(self):
        self.commands = []

    def record(self, event):
        return event.command_name

    def started(self, event):
        recorded = self.record(event)
        if recorded is not None:
            self.commands.append(recorded)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@contextlib.contextmanager
def app_on_fresh_database(mongo_backend, prefix, event_listeners=(), query_policy=None):
    """For fixtures wider than one test: an app on a fresh database `<prefix>_<hex>` of
    `mongo_backend` with its indexes, using `query_policy` (by default the backend's). Yields
    (test client, settings); drops the database afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    settings = load_settings(path=os.devnull, environ={},
                             mongo_uri=f"{mongo_backend.server_uri}{name}", address=ADDRESS,
                             query_policy=query_policy or mongo_backend.query_policy)
    database = mongo_backend.database(settings, event_listeners)
    try:
        create_indexes(database)
        yield create_app(settings, database).test_client(), settings
    finally:
        drop_test_database(database.client, name)
        database.close()


@contextlib.contextmanager
def app_with_clock(mongo_backend, prefix, now, event_listeners=(), query_policy=None):
    """app_on_fresh_database with the server's clock frozen at `now`, for fixtures wider than
    one test. Yields (test client, settings, FrozenClock)."""
    with pytest.MonkeyPatch.context() as monkeypatch, app_on_fresh_database(
            mongo_backend, prefix, event_listeners, query_policy) as (client, settings):
        clock = FrozenClock(monkeypatch)
        clock.utc = now
        yield client, settings, clock
