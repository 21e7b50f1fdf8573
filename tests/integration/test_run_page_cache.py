"""The run page cache never serves a run's jobs as they were before a write: not on the run page,
nor on the run's job list (whole, by status, or with `fields`)."""
import pytest

from paddles_mongo import create_app
from paddles_mongo.services import maintenance

RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"


@pytest.fixture
def cached_client(settings, database):
    return create_app(settings, database).test_client()


# Each read of a run's jobs that the cache serves: {job_id: job}.
READS = {
    "run page": lambda client, run: client.get(f"/runs/{run}/").get_json()["jobs"],
    "job list": lambda client, run: client.get(f"/runs/{run}/jobs/").get_json(),
    "job list with fields": lambda client, run: client.get(
        f"/runs/{run}/jobs/?fields=job_id,status,description").get_json(),
}


@pytest.fixture(params=sorted(READS))
def jobs_of(request):
    def read(client, run=RUN):
        return {job["job_id"]: job for job in READS[request.param](client, run)}
    return read


def test_every_kind_of_job_write_shows_on_the_next_read(cached_client, database, jobs_of):
    client = cached_client
    client.post(f"/runs/{RUN}/jobs/", json={"job_id": "1", "status": "queued"})
    assert jobs_of(client)["1"]["status"] == "queued"
    client.put(f"/runs/{RUN}/jobs/1/", json={"description": "no status change"})
    assert jobs_of(client)["1"]["description"] == "no status change"
    client.post(f"/runs/{RUN}/jobs/", json={"job_id": "2", "status": "running"})
    assert set(jobs_of(client)) == {"1", "2"}
    client.delete(f"/runs/{RUN}/jobs/2/")
    assert set(jobs_of(client)) == {"1"}


def test_maintenance_writes_show_on_the_next_read(cached_client, database, jobs_of):
    client = cached_client
    client.post(f"/runs/{RUN}/jobs/", json={"job_id": "1", "status": "running"})
    assert jobs_of(client)["1"]["status"] == "running"
    database.jobs.update_one({"run": RUN}, {"$set": {"updated": None}})
    database.jobs.update_one({"run": RUN}, {"$set": {"status": "queued"}})
    maintenance.recount(database)  # what an operator runs after a change behind the API
    assert jobs_of(client)["1"]["status"] == "queued"


def test_a_run_deleted_and_made_again_is_not_served_from_the_old_entry(cached_client, jobs_of):
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


def test_recount_makes_edits_behind_the_api_show(cached_client, database, jobs_of):
    client = cached_client
    client.post(f"/runs/{RUN}/jobs/", json={"job_id": "1", "description": "before"})
    assert jobs_of(client)["1"]["description"] == "before"
    database.jobs.update_one({"run": RUN}, {"$set": {"description": "edited by hand"}})
    maintenance.recount(database)
    assert jobs_of(client)["1"]["description"] == "edited by hand"


def test_each_status_and_set_of_fields_is_its_own_entry(cached_client):
    client = cached_client
    client.post(f"/runs/{RUN}/jobs/", json=[{"job_id": "1", "status": "queued"},
                                           {"job_id": "2", "status": "running"}])
    jobs = f"/runs/{RUN}/jobs/"
    assert client.get(jobs + "?status=queued").get_json()[0]["job_id"] == "1"
    assert client.get(jobs + "?status=running").get_json()[0]["job_id"] == "2"
    assert client.get(jobs + "?fields=job_id").get_json() == [{"job_id": "2"}, {"job_id": "1"}]
    assert client.get(jobs + "?fields=job_id,status").get_json() == [
        {"job_id": "2", "status": "running"}, {"job_id": "1", "status": "queued"}]
    assert client.get(jobs + "?fields=status,job_id").get_json() == [
        {"status": "running", "job_id": "2"}, {"status": "queued", "job_id": "1"}]


def test_a_job_list_with_the_run_shows_the_run_as_its_jobs_left_it(cached_client):
    client = cached_client
    client.post(f"/runs/{RUN}/jobs/", json={"job_id": "1", "status": "running"})
    path = f"/runs/{RUN}/jobs/?fields=job_id,run"
    assert client.get(path).get_json()[0]["run"]["status"] == "running"
    client.put(f"/runs/{RUN}/jobs/1/", json={"status": "pass"})
    assert client.get(path).get_json()[0]["run"]["status"] == "finished pass"


def test_a_second_host_never_serves_a_list_older_than_the_other_hosts_writes(
        settings, database, jobs_of):
    """Each host (here each app, with its own cache) reads the run's version from the database
    at every request: what another host wrote shows on its next read."""
    host_a = create_app(settings, database).test_client()
    host_b = create_app(settings, database).test_client()
    host_b.post(f"/runs/{RUN}/jobs/", json={"job_id": "1", "status": "queued"})
    assert jobs_of(host_a)["1"]["status"] == jobs_of(host_b)["1"]["status"] == "queued"
    host_b.put(f"/runs/{RUN}/jobs/1/", json={"status": "running", "description": "b"})
    assert jobs_of(host_a)["1"]["status"] == "running"
    assert jobs_of(host_a)["1"]["description"] == "b"
    host_a.post(f"/runs/{RUN}/jobs/", json={"job_id": "2", "status": "queued"})
    assert set(jobs_of(host_b)) == {"1", "2"}
    host_b.delete(f"/runs/{RUN}/")
    host_b.post(f"/runs/{RUN}/jobs/", json={"job_id": "1", "description": "made again"})
    assert set(jobs_of(host_a)) == {"1"}
    assert jobs_of(host_a)["1"]["description"] == "made again"
