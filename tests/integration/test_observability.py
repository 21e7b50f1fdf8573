"""/health, /ready, /metrics, request ids and the request log."""
import json
import logging

import pytest

from paddles_mongo import create_app
from paddles_mongo.config import load_settings
from tests.conftest import OUTAGE

RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"


@OUTAGE
def test_health_needs_no_database(settings):
    unreachable = load_settings(path="/dev/null", environ={},
                                mongo_uri="mongodb://127.0.0.1:1/paddles",
                                mongo_server_selection_timeout_ms=200)
    client = create_app(unreachable).test_client()
    assert client.get("/health").get_json() == {"status": "ok"}
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.get_json() == {"message": "database unavailable; please retry"}


def test_ready_when_every_index_exists(client):
    assert client.get("/ready").get_json() == {"status": "ready"}


def test_not_ready_without_indexes(settings, mongo_backend):
    database = mongo_backend.database(settings)  # no create_indexes
    client = create_app(settings, database).test_client()
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.get_json()["message"].startswith("missing indexes: runs.name_unique")


def test_not_ready_when_an_index_was_dropped(client, database):
    database.jobs.drop_index("run_job_id_unique")
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.get_json() == {"message": "missing indexes: jobs.run_job_id_unique"}


def test_an_incoming_request_id_is_echoed(client):
    assert client.get("/", headers={"X-Request-ID": "req-42"}).headers["X-Request-ID"] == "req-42"


def test_a_request_id_is_made_when_none_or_a_bad_one_comes(client):
    generated = client.get("/").headers["X-Request-ID"]
    assert len(generated) == 32
    for hostile in ("has spaces; and <markup>", "x" * 201):
        echoed = client.get("/", headers={"X-Request-ID": hostile}).headers["X-Request-ID"]
        assert echoed != hostile and len(echoed) == 32


def test_one_log_line_per_request_with_method_path_status_duration_and_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="paddles_mongo.requests"):
        client.get(f"/runs/{RUN}/?x=1", headers={"X-Request-ID": "abc"})
    lines = [r for r in caplog.records if r.name == "paddles_mongo.requests"]
    assert len(lines) == 1
    record = lines[0]
    assert (record.method, record.path, record.status, record.request_id) == (
        "GET", f"/runs/{RUN}/", 404, "abc")
    assert record.duration_ms >= 0
    assert record.getMessage().startswith(f"GET /runs/{RUN}/?x=1 404 ")


def test_json_log_format_writes_one_object_per_line(settings, database, capfd):
    json_settings = load_settings(path="/dev/null", environ={}, mongo_uri=settings.mongo_uri,
                                  log_format="json")
    client = create_app(json_settings, database).test_client()
    client.get("/health", headers={"X-Request-ID": "json-1"})
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines()
             if line.startswith("{")]
    entry = next(line for line in lines if line.get("request_id") == "json-1")
    assert entry["method"] == "GET" and entry["path"] == "/health" and entry["status"] == 200
    assert entry["name"] == "paddles_mongo.requests" and "duration_ms" in entry


@pytest.fixture
def metric_value(client):
    def value(name, **labels):
        text = client.get("/metrics").get_data(as_text=True)
        wanted = ",".join(f'{key}="{val}"' for key, val in sorted(labels.items()))
        for line in text.splitlines():
            if line.startswith(f"{name}{{{wanted}}} "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0
    return value


def test_metrics_count_requests_by_endpoint_and_status(client, metric_value):
    labels = {"endpoint": "/runs/<run_name>/", "method": "GET", "status": "404"}
    before = metric_value("paddles_http_requests_total", **labels)
    for _ in range(3):
        client.get(f"/runs/{RUN}-missing/")
    assert metric_value("paddles_http_requests_total", **labels) == before + 3
    assert metric_value("paddles_http_request_duration_seconds_count",
                        endpoint="/runs/<run_name>/", method="GET") >= 3


def test_metrics_count_jobs_entering_each_status(client, metric_value):
    before = {s: metric_value("paddles_jobs_entered_status_total", status=s)
              for s in ("queued", "running", "pass")}
    client.post(f"/runs/{RUN}/jobs/", json={"job_id": "1", "status": "queued"})
    client.put(f"/runs/{RUN}/jobs/1/", json={"status": "running"})
    client.put(f"/runs/{RUN}/jobs/1/", json={"status": "running"})  # no change, not counted
    client.put(f"/runs/{RUN}/jobs/1/", json={"success": True})
    after = {s: metric_value("paddles_jobs_entered_status_total", status=s) for s in before}
    assert {s: after[s] - before[s] for s in before} == {"queued": 1, "running": 1, "pass": 1}


@OUTAGE
def test_metrics_count_database_errors(metric_value):
    unreachable = load_settings(path="/dev/null", environ={},
                                mongo_uri="mongodb://127.0.0.1:1/paddles",
                                mongo_server_selection_timeout_ms=200)
    client = create_app(unreachable).test_client()
    before = metric_value("paddles_database_errors_total", kind="unavailable")
    assert client.get("/runs/").status_code == 503
    assert metric_value("paddles_database_errors_total", kind="unavailable") == before + 1


@pytest.mark.wire(reason="mongomock ignores hints: one naming a missing index is no error")
def test_queries_without_their_indexes_answer_503_naming_the_fix(settings, mongo_backend):
    database = mongo_backend.database(settings)  # no create_indexes
    client = create_app(settings, database).test_client()
    client.post(f"/runs/{RUN}/jobs/", json={"job_id": "1"})
    response = client.get("/runs/queued/")  # names its index under every policy (a hint)
    assert response.status_code == 503
    assert response.get_json() == {
        "message": "database indexes are missing; run scripts/create-indexes"}


def test_sentry_is_initialised_when_a_dsn_is_set(settings, database):
    import sentry_sdk

    dsn = "http://public@127.0.0.1:9/1"  # loopback; nothing listens, nothing leaves the host
    sentry_settings = load_settings(path="/dev/null", environ={"SENTRY_DSN": dsn},
                                    mongo_uri=settings.mongo_uri)
    try:
        create_app(sentry_settings, database)
        client = sentry_sdk.get_client()
        assert client.dsn == dsn
        assert client.options["traces_sample_rate"] == 0.1
    finally:
        sentry_sdk.init()  # no DSN: disabled again for the other tests


def test_sentry_stays_off_without_a_dsn(settings, database):
    import sentry_sdk

    sentry_sdk.init()
    create_app(settings, database)
    assert sentry_sdk.get_client().dsn is None
