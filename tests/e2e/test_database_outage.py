"""gunicorn workers losing their database answer 503 and recover by themselves."""
import requests

from tests.e2e.conftest import gunicorn_server
from tests.e2e.faults import LocalDatabase

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
    env = {"PADDLES_MONGO_SERVER_SELECTION_TIMEOUT_MS": "1000"}
    with LocalDatabase() as database, \
            gunicorn_server(database.server_uri, "outage", workers=2, extra_env=env) as (url, _):
        assert requests.post(f"{url}/runs/{RUN}/jobs/", json={"job_id": "1"}).status_code == 200

        database.stop()
        for _ in range(4):  # every worker, whatever its pool state
            response = requests.get(f"{url}/runs/{RUN}/", timeout=30)
            assert response.status_code == 503
            assert response.json() == {"message": "database unavailable; please retry"}
            write = requests.put(f"{url}/runs/{RUN}/jobs/1/", json={"status": "pass"}, timeout=30)
            assert write.status_code == 503

        database.start()
        response, _ = first_success(f"{url}/runs/{RUN}/")
        assert [job["job_id"] for job in response.json()["jobs"]] == ["1"]
        assert requests.put(f"{url}/runs/{RUN}/jobs/1/", json={"status": "pass"}).status_code == 200
