"""/openapi.json describes the API from the same schemas that validate requests."""
import re

from paddles_mongo.documents import SETTABLE_FIELDS


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


def test_committed_openapi_document_matches_the_code(client):
    """docs/openapi.json is what the code generates; after changing the API, regenerate it
    with `make openapi`."""
    import json
    import os

    path = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "openapi.json")
    with open(path) as committed:
        assert json.load(committed) == client.get("/openapi.json").get_json()


def test_docs_page_is_served_with_local_assets(client):
    page = client.get("/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "swagger-ui-bundle.js" in html and "/openapi.json" in html
    hosts = set(re.findall(r"https?://([^/\"' ]+)", html))
    assert hosts <= {"localhost"}  # nothing from a CDN: labs run offline
    assert client.get("/docs/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/swagger-ui.css").status_code == 200
