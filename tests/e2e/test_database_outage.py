"""gunicorn workers losing their database answer 503 and recover by themselves."""
import os
import shutil
import tempfile
import uuid

import requests

from paddles_mongo.commands.serve import start_local_mongo, stop, wait_for_mongo
from paddles_mongo.config import load_settings
from paddles_mongo.db import Database, create_indexes
from tests.conftest import free_port, wait_for_http
from tests.e2e.conftest import start_gunicorn

RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"


def first_success(url, attempts=200):
    """Poll (bounded) until the service answers 200 again; return the responses seen."""
    seen = []
    for _ in range(attempts):
        response = requests.get(url, timeout=30)
        seen.append(response.status_code)
        if response.status_code == 200:
            return response, seen
    raise AssertionError(f"no 200 after {attempts} attempts: {sorted(set(seen))}")


def test_outage_answers_503_then_the_service_recovers():
    data_dir = tempfile.mkdtemp(prefix="paddles-outage-")
    mongo_port, http_port = free_port(), free_port()
    mongo_uri = f"mongodb://127.0.0.1:{mongo_port}/outage_{uuid.uuid4().hex[:8]}"
    database = start_local_mongo(data_dir, mongo_port, quiet=True)
    server = start_gunicorn(mongo_uri, http_port, workers=2,
                            extra_env={"PADDLES_MONGO_SERVER_SELECTION_TIMEOUT_MS": "1000"})
    url = f"http://127.0.0.1:{http_port}"
    try:
        wait_for_mongo(mongo_uri, database)
        indexes = Database(load_settings(path=os.devnull, environ={}, mongo_uri=mongo_uri))
        create_indexes(indexes)
        indexes.close()
        wait_for_http(url + "/", server)
        assert requests.post(f"{url}/runs/{RUN}/jobs/", json={"job_id": "1"}).status_code == 200

        stop(database)
        for _ in range(4):  # every worker, whatever its pool state
            response = requests.get(f"{url}/runs/{RUN}/", timeout=30)
            assert response.status_code == 503
            assert response.json() == {"message": "database unavailable; please retry"}
            write = requests.put(f"{url}/runs/{RUN}/jobs/1/", json={"status": "pass"}, timeout=30)
            assert write.status_code == 503

        database = start_local_mongo(data_dir, mongo_port, quiet=True)
        wait_for_mongo(mongo_uri, database)
        response, _ = first_success(f"{url}/runs/{RUN}/")
        assert [job["job_id"] for job in response.json()["jobs"]] == ["1"]
        assert requests.put(f"{url}/runs/{RUN}/jobs/1/", json={"status": "pass"}).status_code == 200
    finally:
        stop(server)
        stop(database)
        shutil.rmtree(data_dir, ignore_errors=True)
