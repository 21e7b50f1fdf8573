"""No database: every request answers 503 with the envelope, after the bounded server-selection
wait, instead of hanging or failing with a 500."""
import os

import pytest

from paddles_mongo import create_app
from paddles_mongo.config import load_settings
from tests.conftest import OUTAGE, free_port

pytestmark = OUTAGE

RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"


@pytest.fixture
def client_without_database():
    settings = load_settings(path=os.devnull, environ={},
                             mongo_uri=f"mongodb://127.0.0.1:{free_port()}/paddles",
                             mongo_server_selection_timeout_ms=300)
    return create_app(settings).test_client()


@pytest.mark.parametrize("method, url, body", [
    ("GET", "/runs/", None),
    ("GET", f"/runs/{RUN}/", None),
    ("HEAD", f"/runs/{RUN}/", None),
    ("POST", "/runs/", {"name": RUN}),
    ("POST", f"/runs/{RUN}/jobs/", {"job_id": "1", "status": "queued"}),
    ("PUT", f"/runs/{RUN}/jobs/1/", {"status": "running"}),
    ("DELETE", f"/runs/{RUN}/", None),
])
def test_requests_answer_503_with_a_message(client_without_database, method, url, body):
    response = client_without_database.open(url, method=method, json=body)
    assert response.status_code == 503
    if method != "HEAD":
        assert response.get_json() == {"message": "database unavailable; please retry"}


def test_the_root_needs_no_database(client_without_database):
    assert client_without_database.get("/").status_code == 200
