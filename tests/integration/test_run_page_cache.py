"""The run page cache never serves a run's jobs as they were before a write."""
import pytest

from paddles_mongo import create_app
from paddles_mongo.services import maintenance

RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"


@pytest.fixture
def cached_client(settings, database):
    return create_app(settings, database).test_client()


def jobs_of(client, run=RUN):
    return {job["job_id"]: job for job in client.get(f"/runs/{run}/").get_json()["jobs"]}


def test_every_kind_of_job_write_shows_on_the_next_read(cached_client, database):
    client = cached_client
    client.post(f"/runs/{RUN}/jobs/", json={"job_id": "1", "status": "queued"})
    assert jobs_of(client)["1"]["status"] == "queued"
    client.put(f"/runs/{RUN}/jobs/1/", json={"description": "no status change"})
    assert jobs_of(client)["1"]["description"] == "no status change"
    client.post(f"/runs/{RUN}/jobs/", json={"job_id": "2", "status": "running"})
    assert set(jobs_of(client)) == {"1", "2"}
    client.delete(f"/runs/{RUN}/jobs/2/")
    assert set(jobs_of(client)) == {"1"}


def test_maintenance_writes_show_on_the_next_read(cached_client, database):
    client = cached_client
    client.post(f"/runs/{RUN}/jobs/", json={"job_id": "1", "status": "running"})
    assert jobs_of(client)["1"]["status"] == "running"
    database.jobs.update_one({"run": RUN}, {"$set": {"updated": None}})
    database.jobs.update_one({"run": RUN}, {"$set": {"status": "queued"}})
    maintenance.recount(database)  # what an operator runs after a change behind the API
    assert jobs_of(client)["1"]["status"] == "queued"


def test_a_run_deleted_and_made_again_is_not_served_from_the_old_entry(cached_client):
    client = cached_client
    client.post(f"/runs/{RUN}/jobs/", json={"job_id": "1", "description": "old"})
    assert jobs_of(client)["1"]["description"] == "old"
    client.delete(f"/runs/{RUN}/")
    client.post(f"/runs/{RUN}/jobs/", json={"job_id": "1", "description": "new"})
    assert jobs_of(client)["1"]["description"] == "new"


def test_a_disabled_cache_serves_the_same(settings, database):
    from paddles_mongo.config import load_settings

    uncached = create_app(load_settings(path="/dev/null", environ={},
                                        mongo_uri=settings.mongo_uri, run_page_cache_mb=0),
                          database).test_client()
    uncached.post(f"/runs/{RUN}/jobs/", json={"job_id": "1", "status": "queued"})
    first = uncached.get(f"/runs/{RUN}/").get_json()
    assert uncached.get(f"/runs/{RUN}/").get_json() == first


def test_recount_makes_edits_behind_the_api_show(cached_client, database):
    client = cached_client
    client.post(f"/runs/{RUN}/jobs/", json={"job_id": "1", "description": "before"})
    assert jobs_of(client)["1"]["description"] == "before"
    database.jobs.update_one({"run": RUN}, {"$set": {"description": "edited by hand"}})
    maintenance.recount(database)
    assert jobs_of(client)["1"]["description"] == "edited by hand"
