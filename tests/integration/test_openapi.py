"""/openapi.json describes the API from the same schemas that validate requests."""
from paddles_mongo.schemas.jobs import SETTABLE_FIELDS


def test_openapi_document_lists_every_endpoint(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    assert set(paths["/runs/"]) >= {"get", "post"}
    assert set(paths["/runs/{run_name}/"]) >= {"get", "delete"}
    assert set(paths["/runs/{run_name}/jobs/"]) >= {"get", "post"}
    assert set(paths["/runs/{run_name}/jobs/{job_id}/"]) >= {"get", "put", "delete"}


def test_job_schema_in_the_document_is_the_whitelist(client):
    spec = client.get("/openapi.json").get_json()
    job = spec["components"]["schemas"]["Job"]["properties"]
    assert set(SETTABLE_FIELDS) <= set(job)
    assert job["job_id"]["description"]


def test_query_parameters_are_documented(client):
    spec = client.get("/openapi.json").get_json()
    parameters = {p["name"] for p in spec["paths"]["/runs/"]["get"]["parameters"]}
    assert parameters >= {"count", "page", "fields"}
