"""§2 cross-cutting HTTP conventions for the runs/jobs endpoints: trailing slashes and doubled
slashes, JSON whatever the Content-Type, HEAD, method fallback, the error envelope, CORS, size and
depth limits; clients.md §2.3/§6 for what teuthology and pulpito rely on."""
import json

import pytest

from tests.integration.support import (JOB_KEYS, JSON_TYPE, RUN_KEYS, assert_envelope,
                                        create_run, get_job, get_run, post_job, unique_name)

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": "origin, authorization, accept, if-none-match",
    "Access-Control-Expose-Headers": "ETag, Link, X-Next-Cursor",
}


@pytest.fixture
def job(client, run):
    return run, post_job(client, run, {"job_id": "7", "status": "queued"})


def assert_cors(response):
    for header, value in CORS.items():
        assert response.headers.get(header) == value, header
    assert response.headers.get("Content-Length") is not None


# --- trailing slashes (§2.1) ----------------------------------------------------------------

def test_get_runs_without_trailing_slash(client, run):
    response = client.get("/runs")
    assert response.status_code == 200
    assert [item["name"] for item in response.get_json()] == [run]


def test_get_run_without_trailing_slash(client, run):
    # clients.md R6: GET {base}/runs/{run} (no slash); teuthology's callers pass no fields.
    response = client.get(f"/runs/{run}")
    assert response.status_code == 200
    assert list(response.get_json()) == list(RUN_KEYS) + ["jobs"]
    response = client.get(f"/runs/{run}?fields=machine_type,jobs")
    assert list(response.get_json()) == ["machine_type", "jobs"]


def test_get_job_list_without_trailing_slash(client, job):
    run, job_id = job
    response = client.get(f"/runs/{run}/jobs?fields=job_id,status")
    assert response.status_code == 200
    assert response.get_json() == [{"job_id": job_id, "status": "queued"}]


def test_get_job_without_trailing_slash(client, job):
    # clients.md R5: GET {base}/runs/{run}/jobs/{job} (no slash).
    run, job_id = job
    response = client.get(f"/runs/{run}/jobs/{job_id}")
    assert response.status_code == 200
    assert response.get_json()["job_id"] == job_id


def test_head_run_without_trailing_slash(client, run):
    assert client.head(f"/runs/{run}").status_code == 200
    assert client.head(f"/runs/{unique_name()}").status_code == 404


def test_post_run_without_trailing_slash(client):
    name = unique_name()
    response = client.post("/runs", json={"name": name})
    assert response.status_code == 200
    assert get_run(client, name)["name"] == name


def test_post_job_without_trailing_slash(client, run):
    response = client.post(f"/runs/{run}/jobs", json={"job_id": "3"})
    assert response.status_code == 200
    assert response.get_json() == {"job_id": "3"}


def test_put_job_without_trailing_slash(client, job):
    run, job_id = job
    response = client.put(f"/runs/{run}/jobs/{job_id}", json={"status": "running"})
    assert response.status_code == 200
    assert get_job(client, run, job_id)["status"] == "running"


def test_delete_job_without_trailing_slash(client, job):
    run, job_id = job
    assert client.delete(f"/runs/{run}/jobs/{job_id}").status_code == 200
    assert client.get(f"/runs/{run}/jobs/{job_id}/").status_code == 404


def test_delete_run_without_trailing_slash(client, run):
    assert client.delete(f"/runs/{run}").status_code == 200
    assert client.head(f"/runs/{run}/").status_code == 404


# --- doubled slashes (clients.md R9, §6 item 4) ---------------------------------------------

def test_leading_doubled_slash_on_a_job_url(client, job):
    # teuthology's node_active_job builds {results_server}/ + /runs/... -> //runs/...
    run, job_id = job
    response = client.get("/", environ_overrides={"PATH_INFO": f"//runs/{run}/jobs/{job_id}/"})
    assert response.status_code == 200
    assert response.get_json()["job_id"] == job_id
    assert response.get_json()["status"] == "queued"


def test_leading_doubled_slash_on_a_missing_job_is_404(client, run):
    response = client.get("/", environ_overrides={"PATH_INFO": f"//runs/{run}/jobs/999/"})
    assert response.status_code == 404


def test_doubled_slashes_inside_the_path(client, job):
    run, job_id = job
    response = client.get("/", environ_overrides={"PATH_INFO": f"/runs//{run}//jobs//"})
    assert response.status_code == 200
    assert [item["job_id"] for item in response.get_json()] == [job_id]


def test_doubled_slash_keeps_the_query_string(client, job):
    run, job_id = job
    response = client.get("/", query_string={"fields": "job_id"},
                          environ_overrides={"PATH_INFO": f"//runs/{run}/jobs/"})
    assert response.status_code == 200
    assert response.get_json() == [{"job_id": job_id}]


def test_doubled_slash_on_a_write(client, run):
    response = client.post("/", json={"job_id": "8"},
                           environ_overrides={"PATH_INFO": f"//runs/{run}//jobs/"})
    assert response.status_code == 200
    assert get_job(client, run, "8")["job_id"] == "8"


# --- JSON regardless of Content-Type (§2.2, §10 row 1) --------------------------------------

@pytest.mark.parametrize("content_type", [None, "text/plain",
                                          "application/x-www-form-urlencoded",
                                          "application/octet-stream"])
def test_run_post_parses_json_whatever_the_content_type(client, content_type):
    name = unique_name()
    kwargs = {"content_type": content_type} if content_type else {}
    response = client.post("/runs/", data=json.dumps({"name": name}), **kwargs)
    assert response.status_code == 200, response.data
    assert get_run(client, name)["name"] == name


@pytest.mark.parametrize("content_type", [None, "text/plain",
                                          "application/x-www-form-urlencoded"])
def test_job_post_parses_json_whatever_the_content_type(client, run, content_type):
    kwargs = {"content_type": content_type} if content_type else {}
    response = client.post(f"/runs/{run}/jobs/",
                           data=json.dumps({"job_id": "4", "status": "waiting"}), **kwargs)
    assert response.status_code == 200, response.data
    assert get_job(client, run, "4")["status"] == "waiting"


@pytest.mark.parametrize("content_type", [None, "text/plain"])
def test_job_put_parses_json_whatever_the_content_type(client, job, content_type):
    run, job_id = job
    kwargs = {"content_type": content_type} if content_type else {}
    response = client.put(f"/runs/{run}/jobs/{job_id}/",
                          data=json.dumps({"status": "running"}), **kwargs)
    assert response.status_code == 200, response.data
    assert get_job(client, run, job_id)["status"] == "running"


# --- HEAD (§2.1 [keep HEAD]) ----------------------------------------------------------------

@pytest.mark.parametrize("path", ["/runs/", "/runs/{run}/", "/runs/{run}/jobs/",
                                  "/runs/{run}/jobs/{job_id}/"])
def test_head_of_a_get_url_is_200_without_body(client, job, path):
    run, job_id = job
    response = client.head(path.format(run=run, job_id=job_id))
    assert response.status_code == 200
    assert response.data == b""


@pytest.mark.parametrize("path", ["/runs/{missing}/", "/runs/{missing}/jobs/",
                                  "/runs/{run}/jobs/{missing}/"])
def test_head_of_a_missing_resource_is_404(client, job, path):
    run, _ = job
    response = client.head(path.format(run=run, missing=unique_name()))
    assert response.status_code == 404
    assert response.data == b""


# --- method fallback (§2.1; decisions) ------------------------------------------------------

@pytest.mark.parametrize("method", ["post", "put"])
def test_post_and_put_on_a_run_behave_like_get(client, job, method):
    run, _ = job
    response = getattr(client, method)(f"/runs/{run}/")
    assert response.status_code == 200
    assert response.get_json() == get_run(client, run)


@pytest.mark.parametrize("method", ["post", "put"])
def test_post_and_put_on_a_run_with_a_body_change_nothing(client, job, method):
    run, _ = job
    before = get_run(client, run)
    response = getattr(client, method)(f"/runs/{run}/",
                                       json={"name": "other", "status": "running"})
    assert response.status_code == 200
    assert response.get_json() == before
    assert get_run(client, run) == before


@pytest.mark.parametrize("method", ["post", "put"])
def test_post_and_put_on_a_missing_run_are_404(client, method):
    response = getattr(client, method)(f"/runs/{unique_name()}/", json={"x": 1})
    assert_envelope(response, 404)
    assert client.get("/runs/").get_json() == []


def test_post_on_a_job_behaves_like_get(client, job):
    run, job_id = job
    response = client.post(f"/runs/{run}/jobs/{job_id}/", json={"status": "running"})
    assert response.status_code == 200
    assert list(response.get_json()) == list(JOB_KEYS)
    assert response.get_json() == get_job(client, run, job_id)
    assert get_job(client, run, job_id)["status"] == "queued"


def test_post_on_a_missing_job_is_404(client, run):
    assert_envelope(client.post(f"/runs/{run}/jobs/55/", json={"status": "dead"}), 404)


def test_put_on_the_job_list_behaves_like_get(client, job):
    # §3.7: PUT /runs/{run}/jobs/ (=GET)
    run, job_id = job
    response = client.put(f"/runs/{run}/jobs/", json={"status": "dead"})
    assert response.status_code == 200
    assert [item["job_id"] for item in response.get_json()] == [job_id]
    assert get_job(client, run, job_id)["status"] == "queued"


def test_options_on_a_get_url_is_200_with_cors_headers(client, run):
    response = client.options(f"/runs/{run}/")
    assert response.status_code == 200
    assert_cors(response)


# --- success and error responses (§2.3, §2.4) -----------------------------------------------

def test_successes_are_200_json(client):
    name = unique_name()
    for response in (client.post("/runs/", json={"name": name}),
                     client.post(f"/runs/{name}/jobs/", json={"job_id": "1"}),
                     client.put(f"/runs/{name}/jobs/1/", json={"status": "pass"}),
                     client.get(f"/runs/{name}/"),
                     client.delete(f"/runs/{name}/jobs/1/"),
                     client.delete(f"/runs/{name}/")):
        assert response.status_code == 200
        assert response.mimetype == JSON_TYPE


@pytest.mark.parametrize("path", ["/nothing/here", "/runs/{run}/jobs/1/extra/x",
                                  "/runs/{missing}/", "/runs/{missing}/jobs/",
                                  "/runs/{run}/jobs/999/"])
def test_404s_use_the_message_envelope(client, run, path):
    response = client.get(path.format(run=run, missing=unique_name()))
    assert_envelope(response, 404)


def test_404_envelope_regardless_of_accept_header(client):
    response = client.get(f"/runs/{unique_name()}/", headers={"Accept": "text/html"})
    assert_envelope(response, 404)


def test_validation_errors_use_the_message_envelope(client, run):
    assert_envelope(client.post(f"/runs/{run}/jobs/", json={"status": "nope"}), 400)
    assert_envelope(client.get("/runs/?count=x"), 400)


# --- CORS (§2.8) ----------------------------------------------------------------------------

def test_cors_headers_on_success(client, job):
    run, job_id = job
    assert_cors(client.get("/"))
    assert_cors(client.get("/runs/"))
    assert_cors(client.get(f"/runs/{run}/"))
    assert_cors(client.get(f"/runs/{run}/jobs/{job_id}/"))
    assert_cors(client.post(f"/runs/{run}/jobs/", json={"job_id": "99"}))
    assert_cors(client.head(f"/runs/{run}/"))


def test_cors_headers_on_errors(client, job, make_client):
    run, job_id = job
    assert_cors(client.get(f"/runs/{unique_name()}/"))
    assert_cors(client.head(f"/runs/{unique_name()}/"))
    assert_cors(client.post(f"/runs/{run}/jobs/", json={"job_id": job_id}))
    assert_cors(client.post("/runs/", data="{bad"))
    assert_cors(client.get("/some/unknown/path"))
    small = make_client(max_content_length=64)
    assert_cors(small.post(f"/runs/{run}/jobs/", json={"description": "x" * 200}))


# --- limits (decisions) ---------------------------------------------------------------------

def test_body_larger_than_max_content_length_is_413(make_client, database):
    client = make_client(max_content_length=1024)
    run = create_run(client, unique_name())
    response = client.post(f"/runs/{run}/jobs/", json={"description": "x" * 2048})
    assert_envelope(response, 413)
    assert database.jobs.count_documents({}) == 0


def test_body_within_max_content_length_is_accepted(make_client):
    client = make_client(max_content_length=1024)
    run = create_run(client, unique_name())
    body = {"job_id": "1", "description": "x" * 900}
    assert len(json.dumps(body)) <= 1024
    assert client.post(f"/runs/{run}/jobs/", json=body).status_code == 200


def test_oversized_put_is_413_and_changes_nothing(make_client):
    client = make_client(max_content_length=512)
    run = create_run(client, unique_name())
    job_id = post_job(client, run, {"status": "queued"})
    response = client.put(f"/runs/{run}/jobs/{job_id}/",
                          json={"status": "running", "description": "y" * 1000})
    assert_envelope(response, 413)
    assert get_job(client, run, job_id)["status"] == "queued"


def nested(levels):
    """A JSON object `levels` objects deep."""
    value = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def test_json_nested_deeper_than_100_levels_is_400(client, run):
    # The body object is level 1, so overrides holding 100 levels makes 101.
    body = {"job_id": "1", "overrides": nested(100)}
    response = client.post(f"/runs/{run}/jobs/", json=body)
    assert_envelope(response, 400)
    assert client.get(f"/runs/{run}/jobs/").get_json() == []


def test_json_nested_100_levels_is_accepted(client, run):
    body = {"job_id": "1", "overrides": nested(99)}
    response = client.post(f"/runs/{run}/jobs/", json=body)
    assert response.status_code == 200, response.data
    assert get_job(client, run, "1")["overrides"] == nested(99)


def test_hostile_nesting_is_400_not_a_crash(client, run):
    raw = '{"overrides": ' + "[" * 100000 + "]" * 100000 + "}"
    response = client.post(f"/runs/{run}/jobs/", data=raw, content_type="application/json")
    assert_envelope(response, 400)


def test_arrays_count_as_nesting_levels(client, run):
    value = []
    for _ in range(100):
        value = [value]
    response = client.post(f"/runs/{run}/jobs/", json={"tasks": value})
    assert_envelope(response, 400)


# --- names and bodies that must not confuse the routing or the parser -----------------------

@pytest.mark.parametrize("name", [
    "teuthology-2026-01-02_03:04:05-rados-v18.2.0-distro-default-smithi",
    "results.json",
    "teuthology.log",
    "odd name with spaces",
])
def test_run_names_with_dots_colons_and_spaces_are_served(client, name):
    # §9: `.json`/`.log` in names are not extensions; ':' is common in run names.
    create_run(client, name)
    quoted = name.replace(" ", "%20")
    for path in (f"/runs/{quoted}/", f"/runs/{quoted}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == JSON_TYPE
        assert response.get_json()["name"] == name
    job_id = post_job(client, name, {"status": "queued"})
    assert get_job(client, name, job_id)["log_href"].endswith(f"/{name}/{job_id}/teuthology.log")


def test_body_that_is_not_utf8_is_400(client, run):
    response = client.post(f"/runs/{run}/jobs/", data=b'{"description": "\xff\xfe"}',
                           content_type="application/json")
    assert_envelope(response, 400)


def test_lone_surrogate_in_a_string_is_400(client, run):
    response = client.post(f"/runs/{run}/jobs/", data='{"description": "\\ud800"}',
                           content_type="application/json")
    assert_envelope(response, 400)
    assert client.get(f"/runs/{run}/jobs/").get_json() == []


def test_utf8_text_round_trips(client, run):
    job_id = post_job(client, run, {"description": "rados/thrash … ünïcødé ✓",
                                    "overrides": {"clé.ñ": "värde"}})
    job = get_job(client, run, job_id)
    assert job["description"] == "rados/thrash … ünïcødé ✓"
    assert job["overrides"] == {"clé.ñ": "värde"}


# --- paging: one rule for every list --------------------------------------------------------

PAGED_LISTS = ["/runs/", "/runs/branch/main/", "/runs/branch/", "/jobs/", "/nodes/",
               "/nodes/n1/jobs/"]
PAGE_RANGE = "page must be an integer from 1 to 1000000000"
COUNT_RANGE = "count must be an integer from 0 to 1000000000"


@pytest.fixture
def node_n1(client):
    assert client.post("/nodes/", json={"name": "n1", "machine_type": "smithi"}).status_code == 200


@pytest.mark.parametrize("url", PAGED_LISTS)
@pytest.mark.parametrize("page", ["0", "-1", "1000000001", str(2 ** 63 - 1)])
def test_every_list_refuses_a_page_outside_its_range(client, node_n1, url, page):
    assert_envelope(client.get(f"{url}?count=2&page={page}"), 400, PAGE_RANGE)


@pytest.mark.parametrize("url", PAGED_LISTS)
@pytest.mark.parametrize("count", ["-5", "1000000001", str(2 ** 63 - 1)])
def test_every_list_names_the_range_of_count(client, node_n1, url, count):
    assert_envelope(client.get(f"{url}?count={count}"), 400, COUNT_RANGE)


@pytest.mark.parametrize("url", PAGED_LISTS)
def test_the_deepest_page_of_the_largest_count_is_an_empty_list(client, node_n1, url):
    response = client.get(f"{url}?count=1000000000&page=1000000000")
    assert response.status_code == 200
    assert response.get_json() == [] if url != "/runs/branch/" else isinstance(
        response.get_json(), list)
