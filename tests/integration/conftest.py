"""Small helpers for the black-box HTTP tests: unique names, the spec's key orders, the time
format, and thin wrappers that assert a write succeeded (spec §2.3: every success is a 200)."""
import dataclasses
import json
import re
import uuid

import pytest

from paddles_mongo import create_app

# §2.5: str(datetime) -- a space separator, ".ffffff" only when microseconds are non-zero.
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{6})?$")

# §4.2: the job whitelist, in the order the JSON emits it.
JOB_WHITELIST = (
    "archive_path", "description", "duration", "email", "failure_reason", "flavor", "job_id",
    "kernel", "last_in_suite", "machine_type", "name", "nuke_on_error", "os_type", "os_version",
    "overrides", "owner", "pid", "roles", "sentry_event", "status", "success", "branch", "seed",
    "sha1", "subset", "suite", "suite_branch", "suite_path", "suite_relpath", "suite_repo",
    "suite_sha1", "targets", "tasks", "timestamp", "teuthology_branch", "verbose",
    "pcp_grafana_url", "priority", "user", "queue", "package_source",
)
# Full job JSON: log_href first, the whitelist in order, then the server's times.
JOB_KEYS = ("log_href",) + JOB_WHITELIST + ("posted", "started", "updated")

# §4.1: full run JSON key order, and the order of `results`.
RUN_KEYS = ("name", "href", "user", "status", "results", "jobs_count", "posted", "scheduled",
            "started", "updated", "branch", "suite", "machine_type", "sha1", "priority",
            "flavor")
RESULTS_KEYS = ("queued", "pass", "running", "waiting", "fail", "dead", "unknown", "total",
                "sha1", "flavor")

ADDRESS = "http://paddles.test"  # settings.address in tests/conftest.py
LOG_HREF = "http://qa-proxy.ceph.com/teuthology/{run_name}/{job_id}/teuthology.log"
JSON_TYPE = "application/json"


def unique_name(prefix="run"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


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


def stored_run_status(client, run):
    """The *stored* run status, as `GET /runs/?fields=name,status` reports it (§3.2)."""
    response = client.get("/runs/", query_string={"fields": "name,status", "count": 1000})
    assert response.status_code == 200
    return {item["name"]: item["status"] for item in response.get_json()}[run]


@pytest.fixture
def make_client(settings, database):
    """A test client of an app built with some settings changed (same database)."""
    def make(**changes):
        return create_app(dataclasses.replace(settings, **changes), database).test_client()
    return make
