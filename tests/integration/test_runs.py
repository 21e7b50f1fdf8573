"""§3.2 GET/POST /runs/ and GET/HEAD/DELETE /runs/{run}/, §4.1 run JSON, §5.1 name parsing,
§5.4 results, §5.8 deletion; ports of §7.2 (TestRunController) and §7.11 (models/test_runs.py)."""
import json
from datetime import datetime

import pytest

from tests.conftest import QUERY_POLICIES
from tests.helpers import SPEC_EXAMPLE_RUN, SPEC_NAME_TABLE, spec_example_run_json
from tests.integration.support import (ADDRESS, BAD_JSON, INVALID_FIELD, NAME_REQUIRED,
                                        RESULTS_KEYS, RUN_KEYS, assert_envelope, assert_time,
                                        create_run, get_job, get_run, names, ordered_keys,
                                        post_job, put_job, unique_name)

# The routes here are shaped by the query policy: each test runs under both.
pytestmark = pytest.mark.parametrize("query_policy", QUERY_POLICIES)


# --- GET /runs/ -----------------------------------------------------------------------------

def test_get_runs_on_an_empty_database_is_an_empty_list(client):
    # §7.2 test_get_root
    response = client.get("/runs/")
    assert response.status_code == 200
    assert response.get_json() == []


def test_get_runs_bogus_url_is_404(client):
    # §7.2 test_get_not_found
    assert_envelope(client.get("/runs/bogus/url"), 404)


def test_create_then_get_new_run_lists_it_first(client):
    # §7.2 test_create_then_get_new_run
    create_run(client, "foo")
    runs = client.get("/runs/").get_json()
    assert runs[0]["name"] == "foo"


def test_latest_runs_are_ordered_newest_posted_first(client, database):
    names = [unique_name("order") for _ in range(3)]
    for name in names:
        create_run(client, name)
    # Give the runs distinct, known creation times (the API cannot set `posted`).
    for hour, name in enumerate(names):
        database.runs.update_one({"name": name}, {"$set": {"posted": datetime(2020, 1, 1, hour)}})
    listed = [run["name"] for run in client.get("/runs/").get_json()]
    assert listed == list(reversed(names))


def test_latest_runs_are_full_run_json(client):
    name = create_run(client, unique_name())
    response = client.get("/runs/")
    (run,) = response.get_json()
    assert list(run) == list(RUN_KEYS)
    assert run["name"] == name
    assert run["status"] == "empty"


def test_latest_runs_default_count_is_25(client):
    for index in range(26):
        create_run(client, f"many-{index:02d}")
    assert len(client.get("/runs/").get_json()) == 25


# --- pagination (§2.7) ----------------------------------------------------------------------

@pytest.fixture
def five_runs(client, database):
    """Five runs; returned newest first (the order GET /runs/ lists them in)."""
    names = [f"page-{index}" for index in range(5)]
    for hour, name in enumerate(names):
        create_run(client, name)
        database.runs.update_one({"name": name}, {"$set": {"posted": datetime(2021, 5, 5, hour)}})
    return list(reversed(names))


def test_count_limits_the_runs_returned(client, five_runs):
    assert names(client.get("/runs/?count=2")) == five_runs[:2]


def test_page_two_skips_one_page(client, five_runs):
    assert names(client.get("/runs/?count=2&page=2")) == five_runs[2:4]


def test_last_partial_page(client, five_runs):
    assert names(client.get("/runs/?count=2&page=3")) == five_runs[4:]


def test_page_just_past_the_end_is_empty(client, five_runs):
    # offset 5 == total: the normal (empty) offset/limit result.
    assert names(client.get("/runs/?count=5&page=2")) == []


def test_page_far_beyond_the_end_is_empty(client, five_runs):
    assert names(client.get("/runs/?count=2&page=40")) == []


def test_count_zero_is_an_empty_list(client, five_runs):
    assert names(client.get("/runs/?count=0")) == []


def test_page_one_is_the_first_page(client, five_runs):
    assert names(client.get("/runs/?count=2&page=1")) == five_runs[:2]


@pytest.mark.parametrize("page", ["0", "-1", "-100"])
def test_page_below_one_is_400(client, five_runs, page):
    # The original served the first page; no client sends these (docs/api.md, differences).
    assert_envelope(client.get(f"/runs/?count=2&page={page}"), 400,
                    "page must be an integer from 1 to 1000000000")


def test_count_larger_than_total_returns_everything(client, five_runs):
    assert names(client.get("/runs/?count=100")) == five_runs


@pytest.mark.parametrize("query", ["count=-1", "count=abc", "count=1.5", "page=abc",
                                   "count=", "page=2x"])
def test_bad_count_or_page_is_400(client, five_runs, query):
    # §10 row 9 (fixed): the original's 500 becomes a 400 envelope.
    assert_envelope(client.get(f"/runs/?{query}"), 400)


# --- fields projection (§3.2) ---------------------------------------------------------------

def test_slice_valid(client):
    # §7.2 test_slice_valid
    create_run(client, "slice_valid")
    response = client.get("/runs/?fields=name,status")
    assert response.status_code == 200
    assert response.get_json() == [{"name": "slice_valid", "status": "empty"}]


def test_fields_projection_returns_only_the_named_fields(client):
    # §7.11 test_run_slice_valid_many
    name = create_run(client, "teuthology-2013-10-22_03:00:02-big-next-testing-basic-plana")
    (run,) = client.get("/runs/?fields=name,user,suite,branch,machine_type").get_json()
    assert run == {"name": name, "user": "teuthology", "suite": "big", "branch": "next",
                   "machine_type": "plana"}


def test_every_stored_run_attribute_is_selectable(client):
    name = create_run(client, unique_name())
    job_id = post_job(client, name, {"priority": 7, "status": "running"})
    assert job_id
    fields = ("id", "name", "status", "user", "scheduled", "suite", "branch", "machine_type",
              "posted", "started", "updated", "href", "priority")
    response = client.get("/runs/", query_string={"fields": ",".join(fields)})
    assert response.status_code == 200, response.data
    (run,) = response.get_json()
    assert set(run) == set(fields)
    assert run["name"] == name
    assert run["status"] == "running"
    assert run["priority"] == 7
    for key in ("scheduled", "posted", "started", "updated"):
        assert_time(run[key])


def test_fields_href_is_a_one_element_list(client):
    name = create_run(client, unique_name())
    (run,) = client.get("/runs/?fields=href").get_json()
    assert run == {"href": [f"{ADDRESS}/runs/{name}/"]}


@pytest.mark.parametrize("field", ["results", "jobs_count", "sha1", "flavor", "bogus",
                                   "$ne", "name,nope"])
def test_fields_naming_an_unknown_attribute_is_400(client, field):
    # §7.11 test_run_slice_invalid; computed keys are not selectable.
    create_run(client, unique_name())
    assert_envelope(client.get("/runs/", query_string={"fields": field}), 400, INVALID_FIELD)


def test_fields_starting_with_underscore_are_skipped(client):
    name = create_run(client, unique_name())
    (run,) = client.get("/runs/?fields=name,_id,__class__").get_json()
    assert run == {"name": name}


def test_fields_leading_and_trailing_commas_are_stripped(client):
    name = create_run(client, unique_name())
    (run,) = client.get("/runs/?fields=,name,").get_json()
    assert run == {"name": name}


def test_fields_time_values_use_the_space_format(client):
    create_run(client, unique_name())
    (run,) = client.get("/runs/?fields=posted,scheduled,started,updated").get_json()
    assert_time(run["posted"])
    assert_time(run["scheduled"])
    assert run["started"] is None
    assert run["updated"] is None


def test_fields_projection_with_pagination(client, five_runs):
    response = client.get("/runs/?fields=name&count=2&page=2")
    assert response.get_json() == [{"name": five_runs[2]}, {"name": five_runs[3]}]


# --- POST /runs/ ----------------------------------------------------------------------------

def test_post_valid_body(client):
    # §7.2 test_post_valid_body
    response = client.post("/runs/", json={"name": "foo"})
    assert response.status_code == 200
    assert response.get_json() == {}


def test_create_new_run(client):
    # §7.2 test_create_new_run
    create_run(client, "foo")
    assert get_run(client, "foo")["name"] == "foo"


def test_new_run_defaults(client):
    # §3.2: posted = now, status empty, started/updated null.
    name = create_run(client, unique_name())
    run = get_run(client, name)
    assert run["status"] == "empty"
    assert_time(run["posted"])
    assert run["started"] is None
    assert run["updated"] is None
    assert run["jobs"] == []


def test_post_invalid_empty_object(client):
    # §7.2 test_post_invalid
    assert_envelope(client.post("/runs/", json={}), 400, NAME_REQUIRED)


@pytest.mark.parametrize("body", [{"name": None}, {"name": ""}, {"other": "x"}])
def test_post_without_a_name_is_400(client, body):
    assert_envelope(client.post("/runs/", json=body), 400, NAME_REQUIRED)
    assert client.get("/runs/").get_json() == []


def test_no_json_posted(client):
    # §7.2 test_no_json_posted: a form-encoded empty POST.
    response = client.post("/runs/", data="",
                           content_type="application/x-www-form-urlencoded")
    assert_envelope(response, 400, BAD_JSON)


def test_malformed_json_is_400(client):
    response = client.post("/runs/", data='{"name": ', content_type="application/json")
    assert_envelope(response, 400, BAD_JSON)


@pytest.mark.parametrize("raw", ['["foo"]', '"foo"', "5", "true"])
def test_non_object_json_body_is_400(client, raw):
    # §10 row 9 (fixed): the original's 500 becomes a 400 with a message.
    response = client.post("/runs/", data=raw, content_type="application/json")
    assert_envelope(response, 400)
    assert client.get("/runs/").get_json() == []


def test_duplicate_run_is_400_already_exists(client):
    name = create_run(client, unique_name())
    response = client.post("/runs/", json={"name": name})
    message = assert_envelope(response, 400, f"run with name {name} already exists")
    assert message.endswith("already exists")
    assert len(client.get("/runs/").get_json()) == 1


def test_post_run_ignores_other_keys(client):
    name = unique_name()
    response = client.post("/runs/", json={"name": name, "status": "running", "user": "bob",
                                           "suite": "rados", "posted": "2001-01-01 00:00:00"})
    assert response.status_code == 200
    run = get_run(client, name)
    assert run["status"] == "empty"
    assert run["user"] == ""
    assert run["suite"] == ""
    assert not run["posted"].startswith("2001")


def test_run_name_containing_a_slash_is_400(client):
    assert_envelope(client.post("/runs/", json={"name": "a/b"}), 400)
    assert client.get("/runs/").get_json() == []


@pytest.mark.parametrize("name", [{"$ne": None}, ["x"], {"a": 1}])
def test_run_name_that_is_not_a_string_is_400_naming_the_field(client, name):
    message = assert_envelope(client.post("/runs/", json={"name": name}), 400)
    assert "name" in message
    assert client.get("/runs/").get_json() == []


def test_run_name_looking_like_an_operator_is_a_plain_name(client):
    create_run(client, "$where")
    assert get_run(client, "$where")["name"] == "$where"
    assert client.head("/runs/$ne/").status_code == 404


# --- GET /runs/{run}/ -----------------------------------------------------------------------

def test_get_invalid_url_on_run(client):
    # §7.2 test_get_invalid_url_on_run: a missing run is 404 (envelope, per the decisions).
    assert_envelope(client.get("/runs/suck/"), 404)


def test_full_run_json_key_order(client):
    name = create_run(client, unique_name())
    post_job(client, name, {"status": "queued"})
    response = client.get(f"/runs/{name}/")
    assert ordered_keys(response) == list(RUN_KEYS) + ["jobs"]
    results = json.loads(response.data)["results"]
    assert list(results) == list(RESULTS_KEYS)


def test_run_href_is_a_one_element_list(client):
    name = create_run(client, unique_name())
    assert get_run(client, name)["href"] == [f"{ADDRESS}/runs/{name}/"]


def test_jobless_run_reports_none_for_sha1_and_flavor(client):
    # §4.1 / §10 row 4: the string "none", not null; priority null.
    name = create_run(client, unique_name())
    run = get_run(client, name)
    assert run["sha1"] == "none"
    assert run["flavor"] == "none"
    assert run["results"]["sha1"] == "none"
    assert run["results"]["flavor"] == "none"
    assert run["priority"] is None
    assert run["results"] == {"queued": 0, "pass": 0, "running": 0, "waiting": 0, "fail": 0,
                              "dead": 0, "unknown": 0, "total": 0, "sha1": "none",
                              "flavor": "none"}
    assert run["jobs_count"] == 0


def test_run_embeds_jobs_in_job_id_string_order(client):
    name = create_run(client, unique_name())
    for job_id in ("9", "10", "1", "2"):
        post_job(client, name, {"job_id": job_id})
    run = get_run(client, name)
    assert [job["job_id"] for job in run["jobs"]] == ["1", "10", "2", "9"]


def test_run_embeds_full_job_json(client):
    name = create_run(client, unique_name())
    job_id = post_job(client, name, {"status": "queued", "description": "d"})
    (job,) = get_run(client, name)["jobs"]
    assert job == get_job(client, name, job_id)


def test_run_time_fields_are_space_separated(client):
    name = create_run(client, unique_name())
    post_job(client, name, {"status": "running"})
    run = get_run(client, name)
    for key in ("posted", "scheduled", "started", "updated"):
        assert_time(run[key])


# --- HEAD /runs/{run}/ ----------------------------------------------------------------------

def test_head_existing_run_is_200(client):
    name = create_run(client, unique_name())
    response = client.head(f"/runs/{name}/")
    assert response.status_code == 200
    assert response.data == b""


def test_head_missing_run_is_404(client):
    response = client.head(f"/runs/{unique_name()}/")
    assert response.status_code == 404
    assert response.data == b""


# --- results and derived values (§4.1, §5.4, §7.11) ----------------------------------------

def test_jobs_count(client):
    # §7.11 test_jobs_count
    name = create_run(client, unique_name())
    post_job(client, name, {"status": "queued"})
    post_job(client, name, {"status": "queued"})
    run = get_run(client, name)
    assert run["jobs_count"] == 2
    assert run["results"]["total"] == 2


def test_run_results(client):
    # §7.11 test_run_results
    name = create_run(client, unique_name())
    counts = {"pass": 9, "fail": 1, "dead": 6, "running": 5, "waiting": 1, "unknown": 1,
              "queued": 1}
    for status, count in counts.items():
        for _ in range(count):
            post_job(client, name, {"status": status})
    run = get_run(client, name)
    assert run["results"] == {"queued": 1, "pass": 9, "running": 5, "waiting": 1, "fail": 1,
                              "dead": 6, "unknown": 1, "total": 24, "sha1": None,
                              "flavor": None}
    assert run["jobs_count"] == 24
    assert run["sha1"] is None
    assert run["flavor"] is None


def test_run_results_count_jobs_without_status_keys_as_unknown(client):
    name = create_run(client, unique_name())
    post_job(client, name, {"user": "someone"})
    assert get_run(client, name)["results"]["unknown"] == 1


def test_run_priority(client):
    # §7.11 test_run_priority
    name = create_run(client, unique_name())
    post_job(client, name, {"priority": 99})
    assert get_run(client, name)["priority"] == 99


def test_run_flavor(client):
    # §7.11 test_run_flavor
    name = create_run(client, unique_name())
    post_job(client, name, {"flavor": "blah"})
    run = get_run(client, name)
    assert run["flavor"] == "blah"
    assert run["results"]["flavor"] == "blah"


def test_run_sha1_flavor_priority_come_from_the_first_job_in_job_id_string_order(client):
    name = create_run(client, unique_name())
    post_job(client, name, {"job_id": "9", "sha1": "nine", "flavor": "f9", "priority": 9})
    post_job(client, name, {"job_id": "10", "sha1": "ten", "flavor": "f10", "priority": 10})
    run = get_run(client, name)
    assert (run["sha1"], run["flavor"], run["priority"]) == ("ten", "f10", 10)
    assert (run["results"]["sha1"], run["results"]["flavor"]) == ("ten", "f10")


def test_run_updated_is_the_last_job_updated(client):
    # §7.11 test_updated
    name = create_run(client, unique_name())
    first = post_job(client, name, {"status": "queued"})
    second = post_job(client, name, {"status": "queued"})
    put_job(client, name, first, {"description": "touched"})
    assert get_run(client, name)["updated"] == get_job(client, name, first)["updated"]
    put_job(client, name, second, {"updated": "2030-01-02 03:04:05"})
    assert get_run(client, name)["updated"] == "2030-01-02 03:04:05"


def test_run_json_and_fields_status_agree_after_every_job_write(client):
    # §4.1 / §5.4 / §10 row 23: the original recomputed status live and could serve a stale
    # stored one to ?fields=status; here the stored values are exact after every job write.
    name = create_run(client, unique_name())
    post_job(client, name, {"job_id": "1", "status": "queued"})
    client.put(f"/runs/{name}/jobs/1/", json={"success": True})
    assert get_run(client, name)["status"] == "finished pass"
    (run,) = client.get("/runs/?fields=status").get_json()
    assert run == {"status": "finished pass"}


def test_changes_made_behind_the_api_show_after_a_recount(client, database):
    from paddles_mongo.services.maintenance import recount

    name = create_run(client, unique_name())
    post_job(client, name, {"job_id": "1", "status": "queued"})
    database.jobs.update_many({"run": name}, {"$set": {"status": "pass"}})  # behind the API
    assert recount(database)[name]["status"] == ("queued", "finished pass")
    assert get_run(client, name)["status"] == "finished pass"
    assert get_run(client, name)["results"]["pass"] == 1


# --- run-name parsing (§5.1, §7.11) ---------------------------------------------------------

# §5.1's examples, `scheduled` as the run JSON writes it, and one more.
PARSE_TABLE = [(*row[:5], str(row[5])) for row in SPEC_NAME_TABLE] + [
    ("teuthology-2013-10-23_01:35:02-upgrade-small-next-testing-basic-vps",
     "teuthology", "upgrade-small", "next", "vps", "2013-10-23 01:35:02"),
]


@pytest.mark.parametrize("name,user,suite,branch,machine_type,scheduled", PARSE_TABLE,
                         ids=[row[0] for row in PARSE_TABLE])
def test_run_name_is_parsed(client, name, user, suite, branch, machine_type, scheduled):
    create_run(client, name)
    run = get_run(client, name)
    assert (run["user"], run["suite"], run["branch"], run["machine_type"]) == \
        (user, suite, branch, machine_type)
    assert run["scheduled"] == scheduled


def test_unparseable_run_name_has_empty_attributes_and_scheduled_equal_to_posted(client):
    # §7.11 test_run_suite_nosuite
    create_run(client, "whatup")
    run = get_run(client, "whatup")
    assert (run["user"], run["suite"], run["branch"], run["machine_type"]) == ("", "", "", "")
    assert run["scheduled"] == run["posted"]


def test_run_created_by_a_job_post_is_parsed_the_same_way(client):
    name = "teuthology-2013-10-22_03:00:02-ceph-deploy-wip-9999-testing-basic-plana"
    post_job(client, name, {"status": "queued"})
    run = get_run(client, name)
    assert (run["user"], run["suite"], run["branch"], run["machine_type"]) == \
        ("teuthology", "ceph-deploy", "wip-9999", "plana")
    assert run["scheduled"] == "2013-10-22 03:00:02"


def test_run_scheduled_from_the_name_is_server_local_time_converted_to_utc(make_client):
    # §5.1 / §7.11 test_scheduled: the name's timestamp is server-local time.
    client = make_client(timezone="America/New_York")
    name = "teuthology-2013-10-23_01:35:02-upgrade-small-next-testing-basic-vps"
    create_run(client, name)
    assert get_run(client, name)["scheduled"] == "2013-10-23 05:35:02"  # EDT = UTC-4


# --- DELETE /runs/{run}/ (§3.2, §5.8) -------------------------------------------------------

def test_delete_empty_run(client):
    # §7.2 test_delete_empty_run / §7.11 test_empty_run_deletion
    create_run(client, "foo")
    response = client.delete("/runs/foo/")
    assert response.status_code == 200
    assert response.get_json() == {}
    assert_envelope(client.get("/runs/foo/"), 404)
    assert client.head("/runs/foo/").status_code == 404


def test_delete_full_run(client):
    # §7.2 test_delete_full_run: the job data POSTed to /runs/foo/ just returns the run.
    create_run(client, "foo")
    response = client.post("/runs/foo/", json={"job_id": "12345", "status": "running"})
    assert response.status_code == 200
    assert response.get_json()["name"] == "foo"
    post_job(client, "foo", {"job_id": "12345", "status": "running"})
    assert client.delete("/runs/foo/").status_code == 200
    assert_envelope(client.get("/runs/foo/jobs/12345/"), 404)


def test_delete_run_removes_its_jobs(client, database):
    # §7.11 test_run_deletion / test_job_deletion
    name = create_run(client, unique_name())
    other = create_run(client, unique_name())
    post_job(client, name, {"job_id": "1"})
    post_job(client, name, {"job_id": "2"})
    post_job(client, other, {"job_id": "1"})
    assert client.delete(f"/runs/{name}/").status_code == 200
    assert_envelope(client.get(f"/runs/{name}/jobs/"), 404)
    assert database.jobs.count_documents({"run": name}) == 0
    assert database.jobs.count_documents({"run": other}) == 1
    # The name is free again, and a new run of that name has no jobs.
    create_run(client, name)
    assert get_run(client, name)["jobs"] == []
    assert [run["name"] for run in client.get("/runs/").get_json()].count(name) == 1


def test_delete_run_keeps_the_nodes(client, database):
    name = create_run(client, unique_name())
    post_job(client, name, {"targets": {"u@node-a.example": "k", "node-b.example": "k"},
                            "machine_type": "smithi"})
    assert client.delete(f"/runs/{name}/").status_code == 200
    assert sorted(node["name"] for node in database.nodes.find()) == \
        ["node-a.example", "node-b.example"]


def test_delete_missing_run_is_404_with_message(client):
    response = client.delete(f"/runs/{unique_name()}/")
    assert_envelope(response, 404, "attempted to delete a non-existent run")


def test_delete_run_leaves_other_runs(client):
    keep = create_run(client, unique_name())
    gone = create_run(client, unique_name())
    assert client.delete(f"/runs/{gone}/").status_code == 200
    assert [run["name"] for run in client.get("/runs/").get_json()] == [keep]


# --- the spec's examples --------------------------------------------------------------------

def test_run_json_matches_the_spec_example(client):
    # §4.1 example: two jobs (one queued, one pass) of a vps run.
    name = SPEC_EXAMPLE_RUN
    post_job(client, name, {"job_id": "1", "status": "queued", "sha1": "deadbeef01",
                            "flavor": "default", "priority": 100})
    post_job(client, name, {"job_id": "2", "status": "pass", "sha1": "deadbeef01",
                            "flavor": "default", "priority": 100})
    response = client.get(f"/runs/{name}/")
    run = response.get_json()
    assert ordered_keys(response) == list(RUN_KEYS) + ["jobs"]
    assert_time(run["posted"])
    assert_time(run["updated"])
    expected = spec_example_run_json(ADDRESS)
    assert {key: run[key] for key in expected} == expected
    assert [job["job_id"] for job in run["jobs"]] == ["1", "2"]


def test_new_run_posted_is_utc_now(client):
    before = datetime.utcnow()
    name = create_run(client, unique_name())
    after = datetime.utcnow()
    posted = datetime.strptime(get_run(client, name)["posted"].split(".")[0],
                               "%Y-%m-%d %H:%M:%S")
    assert before.replace(microsecond=0) <= posted <= after


def test_unknown_query_parameters_are_ignored(client, five_runs):
    assert names(client.get("/runs/?bogus=1&since=x&count=2")) == five_runs[:2]
