"""Write tokens: off by default; with `auth_tokens`, every write needs a token of its scope
(401 without a valid one, 403 without the scope), reads stay open unless `auth_read`; the
token script; events name the token."""
import base64
import dataclasses
import subprocess
import sys

import pytest

from paddles_mongo.api.auth import WRITE_SCOPES
from paddles_mongo.services import tokens
from tests.conftest import SCRIPTS

RUN = "teuthology-2026-11-20_02:00:01-rados-main-distro-default-smithi"
NODE = "smithi001"
WRITE_METHODS = {"POST", "PUT", "DELETE"}
# Routes and methods that take a write method but only read (docs/api.md "Write tokens").
READS = {
    ("runs.Runs", "PUT"), ("runs.Runs", "DELETE"), ("runs.Run", "POST"), ("runs.Run", "PUT"),
    ("jobs.RunJobs", "PUT"), ("jobs.RunJobs", "DELETE"), ("jobs.Job", "POST"),
    ("nodes.post_only", "PUT"), ("nodes.post_only", "DELETE"),
    ("nodes.lock_refused", "DELETE"),
    *(("queue.pop_queue", method) for method in WRITE_METHODS),
    *(("queue.pop_queue_named", method) for method in WRITE_METHODS),
    ("queue.stats", "POST"), ("queue.stats_named", "POST"),
    *(("queue.queued_jobs", method) for method in WRITE_METHODS),
    *(("root.error_route", method) for method in WRITE_METHODS),
}
# Each write, one request: (scope, method, path, body).
WRITES = [
    ("report", "POST", "/runs/", {"name": RUN + "-new"}),
    ("report", "DELETE", f"/runs/{RUN}/", None),
    ("report", "POST", f"/runs/{RUN}/jobs/", {"job_id": "2"}),
    ("report", "PUT", f"/runs/{RUN}/jobs/1/", {"status": "pass"}),
    ("report", "DELETE", f"/runs/{RUN}/jobs/1/", None),
    ("lock", "POST", "/nodes/", {"name": "mira001"}),
    ("lock", "PUT", f"/nodes/{NODE}/", {"up": True}),
    ("lock", "PUT", f"/nodes/{NODE}/lock", {"locked": True, "locked_by": "a", "description": "d"}),
    ("lock", "POST", f"/nodes/{NODE}/lock", {"locked": True, "locked_by": "a", "description": "d"}),
    ("lock", "POST", "/nodes/lock_many/", {"count": 1, "machine_type": "smithi",
                                           "locked_by": "a", "description": "d"}),
    ("lock", "POST", "/nodes/unlock_many/", {"names": [NODE], "locked_by": "a"}),
    ("admin", "DELETE", f"/nodes/{NODE}/", None),
    ("admin", "POST", "/queue/", {"queue": "smithi"}),
    ("admin", "PUT", "/queue/", {"queue": "smithi", "pause_duration": 10, "paused_by": "a"}),
]


def test_the_scope_table_names_every_route_that_writes(app):
    """Every route and write method is either in WRITE_SCOPES or known to only read."""
    routed = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              for method in rule.methods & WRITE_METHODS if not rule.endpoint.startswith("ui.")}
    scoped = {(endpoint, method) for endpoint, methods in WRITE_SCOPES.items()
              for method in methods}
    assert scoped <= routed
    assert routed - scoped == READS
    assert {(scope, method) for scope, method, *_ in WRITES} <= {
        (scope, method) for methods in WRITE_SCOPES.values() for method, scope in methods.items()}
    assert len(WRITES) == len(scoped)


@pytest.fixture
def token_file(tmp_path):
    return str(tmp_path / "tokens.yaml")


@pytest.fixture
def secrets(token_file):
    return {scope: tokens.create_token(token_file, f"{scope}-bot", scope)
            for scope in ("report", "lock", "admin")}


def with_tokens(app, settings, token_file, **more):
    state = app.extensions["paddles"]
    state.settings = dataclasses.replace(settings, auth_tokens=token_file, **more)
    state.tokens = tokens.load_tokens(token_file)
    return app.test_client()


@pytest.fixture
def guarded(app, settings, token_file, secrets, client):
    """The lab's data written while writes are open, then tokens on."""
    assert client.post(f"/runs/{RUN}/jobs/", json={"job_id": "1"}).status_code == 200
    assert client.post("/nodes/", json={"name": NODE, "up": True,
                                        "machine_type": "smithi"}).status_code == 200
    return with_tokens(app, settings, token_file)


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def send(client, method, path, body, headers=None):
    return client.open(path, method=method, json=body, headers=headers or {})


@pytest.mark.parametrize("scope, method, path, body", WRITES)
def test_a_write_without_a_valid_token_answers_401(guarded, scope, method, path, body):
    for headers in ({}, bearer("pdl_not-a-token"), basic("worker", "wrong"),
                    {"Authorization": "Token abc"}):
        answer = send(guarded, method, path, body, headers)
        assert answer.status_code == 401, (headers, answer.json)
        assert answer.json["message"] in ("a token is needed for this request",
                                          "a valid token is needed for this request")
        assert answer.headers["WWW-Authenticate"] == 'Bearer realm="paddles", Basic realm="paddles"'


@pytest.mark.parametrize("scope, method, path, body", WRITES)
def test_a_write_with_a_token_of_another_scope_answers_403(guarded, secrets, scope, method,
                                                             path, body):
    for other in ("report", "lock"):
        if other == scope:
            continue
        answer = send(guarded, method, path, body, bearer(secrets[other]))
        assert answer.status_code == 403
        assert answer.json == {
            "message": f"token {other}-bot may not do this: it needs the {scope} scope"}


@pytest.mark.parametrize("scope, method, path, body", WRITES)
def test_a_write_with_its_scope_or_admin_passes(guarded, secrets, scope, method, path, body):
    for holder in {scope, "admin"}:
        answer = send(guarded, method, path, body, bearer(secrets[holder]))
        # Past the door: what the route answers (unlock_many of a free node: the lock rule).
        assert answer.status_code != 401, answer.json
        message = answer.json.get("message", "") if isinstance(answer.json, dict) else ""
        assert not message.startswith("token "), answer.json


def test_a_refused_write_changes_nothing(guarded, secrets):
    assert send(guarded, "DELETE", f"/runs/{RUN}/", None).status_code == 401
    assert send(guarded, "DELETE", f"/runs/{RUN}/", None,
                bearer(secrets["lock"])).status_code == 403
    assert guarded.get(f"/runs/{RUN}/").status_code == 200
    assert [e["type"] for e in guarded.get("/events/?type=run.deleted").json] == []


def test_basic_auth_whose_password_is_a_token_passes_and_events_name_the_token(guarded,
                                                                             secrets):
    answer = guarded.put(f"/runs/{RUN}/jobs/1/", json={"status": "running"},
                         headers=basic("worker", secrets["report"]))
    assert answer.status_code == 200
    answer = guarded.put(f"/nodes/{NODE}/lock", json={"locked": True, "locked_by": "a",
                                                     "description": "d"},
                         headers=bearer(secrets["lock"]))
    assert answer.status_code == 200
    found = guarded.get("/events/?after=0&limit=1000").json
    named = [(e["type"], e["by"]) for e in found if e["by"] is not None]
    assert named == [("job.updated", "report-bot"), ("run.updated", "report-bot"),
                     ("node.locked", "lock-bot")]
    assert guarded.get(f"/nodes/{NODE}/history/").json[0]["by"] == "lock-bot"


@pytest.mark.parametrize("method, path, body", [
    ("GET", f"/runs/{RUN}/", None), ("HEAD", f"/runs/{RUN}/", None), ("GET", "/nodes/", None),
    ("GET", "/events/", None), ("POST", f"/runs/{RUN}/", None), ("PUT", "/runs/", None),
    ("POST", "/queue/stats/", {"queue": "smithi"}),
    ("POST", "/queue/queued_jobs/", {"queue": "smithi"}),
    ("POST", "/queue/pop_queue/", {"queue": "smithi"}),
    ("OPTIONS", f"/runs/{RUN}/jobs/", None),
])
def test_reads_stay_open_unless_auth_read(app, settings, token_file, secrets, method, path,
                                          body):
    client = with_tokens(app, settings, token_file)
    assert send(client, method, path, body).status_code not in (401, 403)
    client = with_tokens(app, settings, token_file, auth_read=1)
    if method != "OPTIONS":
        assert send(client, method, path, body).status_code == 401
    assert send(client, method, path, body, bearer(secrets["lock"])).status_code not in (401,
                                                                                        403)


def test_probes_stay_open_with_auth_read(app, settings, token_file, secrets):
    client = with_tokens(app, settings, token_file, auth_read=1)
    for path in ("/health", "/ready", "/metrics"):
        assert client.get(path).status_code == 200, path
    assert client.get("/").status_code == 401


def test_with_no_token_file_every_write_is_open(client):
    assert client.post("/runs/", json={"name": RUN}).status_code == 200
    assert client.delete(f"/runs/{RUN}/").status_code == 200


def test_a_set_file_without_tokens_refuses_every_write(app, settings, token_file):
    client = with_tokens(app, settings, token_file)
    assert client.post("/runs/", json={"name": RUN}).status_code == 401
    assert client.get("/runs/").status_code == 200


def test_a_revoked_token_is_refused_after_reload(app, settings, token_file, secrets):
    tokens.revoke_token(token_file, "report-bot")
    client = with_tokens(app, settings, token_file)  # what a reload does: read the file again
    assert client.post("/runs/", json={"name": RUN},
                       headers=bearer(secrets["report"])).status_code == 401
    assert client.post("/runs/", json={"name": RUN},
                       headers=bearer(secrets["admin"])).status_code == 200


def token_script(*args, token_file):
    return subprocess.run([sys.executable, str(SCRIPTS / "token"), *args], capture_output=True,
                          text=True, env={"PADDLES_AUTH_TOKENS": token_file, "PATH": "/usr/bin"},
                          cwd="/", timeout=60)


def test_the_token_script_creates_lists_and_revokes(app, settings, token_file):
    created = token_script("create", "worker", "--scope", "report,lock", token_file=token_file)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.splitlines()[-1]
    assert secret.startswith("pdl_") and " " not in secret
    assert secret not in open(token_file).read()  # only its hash is kept
    listed = token_script("list", token_file=token_file)
    assert listed.stdout.split("\t")[:2] == ["worker", "report,lock"]
    again = token_script("create", "worker", token_file=token_file)
    assert again.returncode == 1 and "exists" in again.stderr
    bad = token_script("create", "other", "--scope", "root", token_file=token_file)
    assert bad.returncode == 1 and "unknown scope root" in bad.stderr
    client = with_tokens(app, settings, token_file)
    assert client.post("/nodes/", json={"name": "mira001"},
                       headers=basic("x", secret)).status_code == 200
    assert token_script("revoke", "worker", token_file=token_file).returncode == 0
    assert token_script("list", token_file=token_file).stdout == ""
    assert token_script("revoke", "worker", token_file=token_file).returncode == 1


def test_a_malformed_token_file_stops_the_service_at_start(settings, database, tmp_path):
    from paddles_mongo import create_app
    from paddles_mongo.config import ConfigError
    bad = tmp_path / "tokens.yaml"
    bad.write_text("tokens: [{name: x}]\n")
    with pytest.raises(ConfigError, match="auth_tokens: .*needs name, sha256 and scopes"):
        create_app(dataclasses.replace(settings, auth_tokens=str(bad)), database)
