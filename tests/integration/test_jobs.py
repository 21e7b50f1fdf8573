"""§3.3 jobs of a run, §4.2 job JSON, §5.2/§5.5/§5.6/§5.7/§5.8; ports of §7.3
(TestJobsController) and §7.12 (models/test_jobs.py); client behaviour from clients.md §2.3/§2.4."""
import json
import socket
from datetime import datetime

import pytest

from tests.conftest import QUERY_POLICIES
from tests.integration.support import (ADDRESS, BAD_JSON, INVALID_FIELD, JOB_KEYS,
                                        JOB_WHITELIST, LOG_HREF, assert_envelope, assert_time,
                                        create_run, get_job, get_run, ordered_keys, post_job,
                                        put_job, unique_name)

TEUTHOLOGY_RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"

# The routes here are shaped by the query policy: each test runs under both.
pytestmark = pytest.mark.parametrize("query_policy", QUERY_POLICIES)


def job_list(client, run, query=None):
    response = client.get(f"/runs/{run}/jobs/", query_string=query or {})
    assert response.status_code == 200, (response.status_code, response.data)
    return response.get_json()


# --- GET /runs/{run}/jobs/ ------------------------------------------------------------------

def test_get_some_jobs_back(client):
    # §7.3 test_get_some_jobs_back
    create_run(client, "foo")
    post_job(client, "foo", {"user": "someone"})
    jobs = job_list(client, "foo")
    assert len(jobs) == 1
    assert jobs[0]["job_id"] == "1"


def test_job_list_of_a_run_without_jobs_is_empty(client, run):
    assert job_list(client, run) == []


def test_job_list_of_a_missing_run_is_404(client):
    assert_envelope(client.get(f"/runs/{unique_name()}/jobs/"), 404)


def test_job_list_with_fields_of_a_missing_run_is_404(client):
    assert_envelope(client.get(f"/runs/{unique_name()}/jobs/?fields=job_id"), 404)


def test_job_list_is_newest_posted_first(client, run, database):
    ids = [post_job(client, run, {"status": "queued"}) for _ in range(3)]
    for hour, job_id in enumerate(ids):  # distinct, known creation times
        database.jobs.update_one({"run": run, "job_id": job_id},
                                 {"$set": {"posted": datetime(2022, 2, 2, hour)}})
    assert [job["job_id"] for job in job_list(client, run)] == list(reversed(ids))


def test_job_list_holds_full_job_json(client, run):
    job_id = post_job(client, run, {"status": "queued", "description": "d"})
    (job,) = job_list(client, run)
    assert list(job) == list(JOB_KEYS)
    assert job == get_job(client, run, job_id)


def test_job_list_only_holds_the_runs_jobs(client, run):
    other = create_run(client, unique_name())
    post_job(client, run, {"job_id": "1"})
    post_job(client, other, {"job_id": "1", "description": "other"})
    post_job(client, other, {"job_id": "2"})
    (job,) = job_list(client, run)
    assert job["name"] is None
    assert job["description"] is None


def test_filter_running_jobs(client, run):
    # §7.3 test_filter_running_jobs
    first = post_job(client, run, {"status": "running"})
    second = post_job(client, run, {"status": "running"})
    put_job(client, run, first, {"success": True, "status": "pass"})
    running = job_list(client, run, {"status": "running"})
    assert [job["job_id"] for job in running] == [second]
    assert [job["job_id"] for job in job_list(client, run, {"status": "pass"})] == [first]
    assert job_list(client, run, {"status": "dead"}) == []


@pytest.mark.parametrize("status", ["bogus", "$ne", "PASS", "finished pass"])
def test_job_list_with_an_unknown_status_is_400(client, run, status):
    post_job(client, run, {"status": "pass"})
    assert_envelope(client.get(f"/runs/{run}/jobs/", query_string={"status": status}), 400)


def test_slice_valid(client):
    # §7.3 test_slice_valid
    create_run(client, "foo")
    post_job(client, "foo", {"status": "queued"})
    response = client.get("/runs/foo/jobs/?fields=job_id")
    assert response.status_code == 200
    assert response.get_json() == [{"job_id": "1"}]


# The field lists real clients request (clients.md §2.3); teuthology always appends job_id.
CLIENT_FIELD_LISTS = [
    "job_id,status",
    "job_id,status,description,duration,failure_reason,sentry_event,log_href",
    "job_id,status,description,log_href",
    "status,job_id",
    "job_id",
    "job_id,description,status,log_href,failure_reason",
]


@pytest.mark.parametrize("fields", CLIENT_FIELD_LISTS)
def test_client_field_lists_are_projected(client, run, fields):
    job_id = post_job(client, run, {"job_id": 42, "status": "fail", "description": "desc",
                                    "duration": 12, "failure_reason": "boom",
                                    "sentry_event": "https://sentry/1"})
    full = get_job(client, run, job_id)
    (job,) = job_list(client, run, {"fields": fields})
    names = fields.split(",")
    assert set(job) == set(names)
    assert job == {name: full[name] for name in names}
    assert job["job_id"] == "42"


def test_job_slice_valid_many(client, run):
    # §7.12 test_job_slice_valid_many (description, job_id, href)
    job_id = post_job(client, run, {"description": "the description"})
    (job,) = job_list(client, run, {"fields": "description,job_id,href"})
    assert job == {"description": "the description", "job_id": job_id,
                   "href": [f"{ADDRESS}/runs/{run}/jobs/{job_id}/"]}


def test_job_fields_log_href(client, run):
    job_id = post_job(client, run, {"status": "queued"})
    (job,) = job_list(client, run, {"fields": "log_href"})
    assert job == {"log_href": LOG_HREF.format(run_name=run, job_id=job_id)}


def test_every_job_json_key_is_selectable(client, run):
    post_job(client, run, {"status": "queued", "timestamp": "2024-01-02_03:04:05"})
    response = client.get(f"/runs/{run}/jobs/", query_string={"fields": ",".join(JOB_KEYS)})
    assert response.status_code == 200, response.data
    (job,) = response.get_json()
    assert set(job) == set(JOB_KEYS)
    assert job["timestamp"] == "2024-01-02 03:04:05"
    assert_time(job["posted"])
    assert_time(job["updated"])


def test_stored_columns_outside_the_job_json_are_selectable(client, run):
    # §3.2: id, run_id, repo, teuthology_sha1, sleep_before_teardown, issue_url, comment.
    post_job(client, run, {"status": "queued", "repo": "https://x", "teuthology_sha1": "abc",
                           "sleep_before_teardown": 5, "comment": "c", "issue_url": "u"})
    fields = ("id", "run_id", "repo", "teuthology_sha1", "sleep_before_teardown",
              "issue_url", "comment")
    response = client.get(f"/runs/{run}/jobs/", query_string={"fields": ",".join(fields)})
    assert response.status_code == 200, response.data
    (job,) = response.get_json()
    assert set(job) == set(fields)
    # These keys are not whitelisted, so what the client sent was dropped.
    for name in ("repo", "teuthology_sha1", "sleep_before_teardown", "issue_url", "comment"):
        assert job[name] is None


def test_job_fields_run_embeds_the_run(client, run):
    # §7.12 test_relationship_works (job.run.name), via `?fields=run`.
    post_job(client, run, {"status": "queued"})
    (job,) = job_list(client, run, {"fields": "run,job_id"})
    assert job["run"]["name"] == run
    assert job["run"]["status"] == "queued"


@pytest.mark.parametrize("fields", ["bogus", "job_id,nope", "results", "$where"])
def test_job_slice_invalid(client, run, fields):
    # §7.12 test_job_slice_invalid
    post_job(client, run, {"status": "queued"})
    response = client.get(f"/runs/{run}/jobs/", query_string={"fields": fields})
    assert_envelope(response, 400, INVALID_FIELD)


def test_job_fields_starting_with_underscore_are_skipped(client, run):
    job_id = post_job(client, run, {"status": "queued"})
    (job,) = job_list(client, run, {"fields": "job_id,_id,__dict__"})
    assert job == {"job_id": job_id}


def test_job_fields_combined_with_status_filter(client, run):
    post_job(client, run, {"job_id": "1", "status": "running"})
    post_job(client, run, {"job_id": "2", "status": "queued"})
    assert job_list(client, run, {"fields": "job_id,status", "status": "queued"}) == \
        [{"job_id": "2", "status": "queued"}]


# --- POST /runs/{run}/jobs/ -----------------------------------------------------------------

def test_create_new_job_without_job_id_is_assigned_one(client):
    # §7.2 test_create_new_job
    create_run(client, "foo")
    response = client.post("/runs/foo/jobs/", json={"status": "queued"})
    assert response.status_code == 200
    assert response.get_json() == {"job_id": "1"}


def test_to_create_a_new_job(client, run):
    # §7.3 test_to_create_a_new_job
    first = post_job(client, run, {"status": "queued"})
    response = client.post(f"/runs/{run}/jobs/", json={"status": "queued"})
    assert response.status_code == 200
    assert response.get_json()["job_id"] != first


def test_to_get_newly_created_job(client, run):
    # §7.3 test_to_get_newly_created_job
    post_job(client, run, {"status": "queued"})
    second = post_job(client, run, {"status": "queued"})
    assert get_job(client, run, second)["job_id"] == second


def test_assigned_job_ids_come_from_one_database_wide_sequence(client):
    first_run = create_run(client, unique_name())
    second_run = create_run(client, unique_name())
    assert post_job(client, first_run, {"status": "queued"}) == "1"
    assert post_job(client, second_run, {"status": "queued"}) == "2"
    assert post_job(client, first_run, {"status": "queued"}) == "3"


def test_null_job_id_means_assign_one(client, run):
    job_id = post_job(client, run, {"job_id": None, "status": "queued"})
    assert job_id.isdigit()
    assert get_job(client, run, job_id)["job_id"] == job_id


def test_assigned_job_id_never_collides_with_a_client_chosen_one(client, run):
    post_job(client, run, {"job_id": "1"})
    post_job(client, run, {"job_id": "2"})
    assigned = {post_job(client, run, {"status": "queued"}) for _ in range(3)}
    assert len(assigned) == 3
    assert not assigned & {"1", "2"}
    assert len(job_list(client, run)) == 5


def test_create_run_if_it_does_not_exist(client):
    # §7.3 test_create_run_if_it_does_not_exist
    response = client.post("/runs/bar/jobs/", json={"status": "queued"})
    assert response.status_code == 200
    assert get_job(client, "bar", "1")["job_id"] == "1"
    assert client.head("/runs/bar/").status_code == 200


def test_attempt_to_create_a_new_job(client, run):
    # §7.3 test_attempt_to_create_a_new_job
    assert client.post(f"/runs/{run}/jobs/", json={"job_id": 1}).status_code == 200
    assert_envelope(client.post(f"/runs/{run}/jobs/", json={}), 400, BAD_JSON)


@pytest.mark.parametrize("raw", ["", "   ", "{}", "{not json", "null"])
def test_empty_or_malformed_job_body_is_400_could_not_decode(client, run, raw):
    response = client.post(f"/runs/{run}/jobs/", data=raw, content_type="application/json")
    assert_envelope(response, 400, BAD_JSON)
    assert job_list(client, run) == []


@pytest.mark.parametrize("raw", ['"text"', "7", "true"])
def test_non_object_job_body_is_400(client, run, raw):
    # §10 row 9 (fixed). An array is a batch of jobs (test_job_batches.py).
    response = client.post(f"/runs/{run}/jobs/", data=raw, content_type="application/json")
    assert_envelope(response, 400)
    assert job_list(client, run) == []


def test_duplicate_job_id_is_400_already_exists(client, run):
    post_job(client, run, {"job_id": "101", "status": "queued"})
    response = client.post(f"/runs/{run}/jobs/", json={"job_id": "101", "status": "running"})
    message = assert_envelope(response, 400, "job with job_id 101 already exists")
    assert message.endswith("already exists")  # teuthology's cue to PUT (clients.md §2.3)
    assert get_job(client, run, "101")["status"] == "queued"
    assert len(job_list(client, run)) == 1


def test_integer_and_string_job_ids_are_the_same_job_id(client, run):
    assert post_job(client, run, {"job_id": 5}) == "5"
    response = client.post(f"/runs/{run}/jobs/", json={"job_id": "5"})
    assert_envelope(response, 400, "job with job_id 5 already exists")


def test_same_job_id_in_two_runs_is_two_jobs(client, run):
    other = create_run(client, unique_name())
    post_job(client, run, {"job_id": "7", "description": "first"})
    post_job(client, other, {"job_id": "7", "description": "second"})
    assert get_job(client, run, "7")["description"] == "first"
    assert get_job(client, other, "7")["description"] == "second"


def test_teuthology_post_then_put_on_already_exists(client):
    # clients.md §2.3 report_job: POST; on "already exists" PUT the same body.
    body = {"name": TEUTHOLOGY_RUN, "job_id": "7891234", "status": "queued",
            "suite": "rados", "branch": "main", "machine_type": "smithi"}
    assert post_job(client, TEUTHOLOGY_RUN, body) == "7891234"
    body = {**body, "status": "running", "pid": 4343}
    response = client.post(f"/runs/{TEUTHOLOGY_RUN}/jobs/", json=body)
    assert response.status_code != 200
    assert response.get_json()["message"].endswith("already exists")
    put_job(client, TEUTHOLOGY_RUN, "7891234", body)
    job = get_job(client, TEUTHOLOGY_RUN, "7891234")
    assert job["status"] == "running"
    assert job["pid"] == "4343"


def test_job_json_key_order(client, run):
    job_id = post_job(client, run, {"status": "queued"})
    response = client.get(f"/runs/{run}/jobs/{job_id}/")
    assert ordered_keys(response) == list(JOB_KEYS)


def test_unset_whitelisted_keys_are_null(client, run):
    job_id = post_job(client, run, {"status": "queued"})
    job = get_job(client, run, job_id)
    for key in JOB_WHITELIST:
        if key not in ("job_id", "status"):
            assert job[key] is None, key
    assert job["started"] is None


def test_every_whitelisted_key_is_stored_and_returned(client, run):
    body = {
        "archive_path": "/a/p", "description": "desc", "duration": 12, "email": "e@x",
        "failure_reason": "why", "flavor": "default", "job_id": "3",
        "kernel": {"kdb": True, "sha1": "distro"}, "last_in_suite": False,
        "machine_type": "smithi", "name": run, "nuke_on_error": True, "os_type": "ubuntu",
        "os_version": "22.04", "overrides": {"ceph": {"conf": {"mon": {"debug mon": 20}}}},
        "owner": "me@host", "pid": "99", "roles": [["mon.a", "osd.0"], ["client.0"]],
        "sentry_event": "https://sentry/x", "status": "fail", "success": False,
        "branch": "main", "seed": 8765, "sha1": "a" * 40, "subset": "1/64", "suite": "rados",
        "suite_branch": "main", "suite_path": "/s/p", "suite_relpath": "qa",
        "suite_repo": "https://r", "suite_sha1": "b" * 40,
        "targets": {"ubuntu@smithi001.front.sepia.ceph.com": "ssh-ed25519 AAAA"},
        "tasks": [{"internal.check_packages": None}, {"install": None}],
        "timestamp": "2026-01-02_03:04:05", "teuthology_branch": "main", "verbose": True,
        "pcp_grafana_url": "http://g", "priority": 100, "user": "teuthology",
        "queue": "smithi", "package_source": "shaman",
    }
    assert set(body) == set(JOB_WHITELIST)
    post_job(client, run, body)
    job = get_job(client, run, "3")
    expected = {**body, "timestamp": "2026-01-02 03:04:05"}
    for key in JOB_WHITELIST:
        assert job[key] == expected[key], key
    assert job["log_href"] == LOG_HREF.format(run_name=run, job_id="3")


def test_unknown_keys_are_dropped(client, run):
    job_id = post_job(client, run, {
        "status": "queued", "teuthology_sha1": "abc", "repo": "r", "expire": None,
        "worker_log": "/w", "first_in_suite": False, "no_nested_subset": False,
        "timer": {"a": 1}, "osd.0-kernel-sha1": "k", "id": 77, "run": "other",
        "log_href": "http://evil", "href": "x"})
    job = get_job(client, run, job_id)
    assert list(job) == list(JOB_KEYS)
    assert job["log_href"] == LOG_HREF.format(run_name=run, job_id=job_id)


def test_posted_and_started_cannot_be_set_by_the_client(client, run):
    job_id = post_job(client, run, {"status": "queued", "posted": "2001-01-01 00:00:00",
                                    "started": "2001-01-01 00:00:00"})
    job = get_job(client, run, job_id)
    assert not job["posted"].startswith("2001")
    assert job["started"] is None


def test_dashed_keys_are_normalised_to_underscores(client, run):
    job_id = post_job(client, run, {"nuke-on-error": True, "suite-branch": "main",
                                    "teuthology-branch": "tb", "last-in-suite": True})
    job = get_job(client, run, job_id)
    assert job["nuke_on_error"] is True
    assert job["suite_branch"] == "main"
    assert job["teuthology_branch"] == "tb"
    assert job["last_in_suite"] is True
    assert "nuke-on-error" not in job


def test_pid_job_id_and_os_version_are_returned_as_strings(client, run):
    post_job(client, run, {"job_id": 7891234, "pid": 4343, "os_version": 22.04})
    job = get_job(client, run, "7891234")
    assert job["job_id"] == "7891234"
    assert job["pid"] == "4343"
    assert job["os_version"] == "22.04"


def test_duration_is_stored_as_an_integer(client, run):
    job_id = post_job(client, run, {"duration": 5421.7})
    duration = get_job(client, run, job_id)["duration"]
    assert isinstance(duration, int)
    assert duration in (5421, 5422)


def test_log_href_follows_the_template(client):
    job_id = post_job(client, TEUTHOLOGY_RUN, {"job_id": "101"})
    assert get_job(client, TEUTHOLOGY_RUN, job_id)["log_href"] == (
        f"http://qa-proxy.ceph.com/teuthology/{TEUTHOLOGY_RUN}/101/teuthology.log")


def test_the_run_comes_from_the_url_not_the_name_key(client, run):
    other = unique_name()
    job_id = post_job(client, run, {"name": other, "status": "queued"})
    assert get_job(client, run, job_id)["name"] == other
    assert client.head(f"/runs/{other}/").status_code == 404


def test_package_source_field(client, run):
    # §7.12 test_package_source_field / test_package_source_nullable
    with_source = post_job(client, run, {"package_source": "shaman"})
    without = post_job(client, run, {"status": "queued"})
    assert get_job(client, run, with_source)["package_source"] == "shaman"
    assert get_job(client, run, without)["package_source"] is None


# --- invalid values (§10 row 9 fixed; decisions) --------------------------------------------

@pytest.mark.parametrize("body,field", [
    ({"status": "finished"}, "status"),
    ({"status": "PASS"}, "status"),
    ({"status": {"$ne": None}}, "status"),
    ({"timestamp": "2024-01-02 03:04:05"}, "timestamp"),
    ({"timestamp": "yesterday"}, "timestamp"),
    ({"timestamp": 5}, "timestamp"),
    ({"updated": "2024-01-02_03:04:05"}, "updated"),
    ({"updated": "not a date"}, "updated"),
    ({"updated": 1700000000}, "updated"),
    ({"description": {"a": 1}}, "description"),
    ({"description": ["a"]}, "description"),
    ({"job_id": {"$gt": ""}}, "job_id"),
    ({"job_id": ["1"]}, "job_id"),
    ({"name": {"$ne": None}}, "name"),
    ({"pid": {"pid": 1}}, "pid"),
    ({"duration": [1]}, "duration"),
    ({"duration": {"seconds": 1}}, "duration"),
    ({"seed": "x"}, "seed"),
    ({"priority": {"$lt": 5}}, "priority"),
    ({"success": {"$ne": None}}, "success"),
    ({"verbose": [True]}, "verbose"),
    ({"targets": ["u@host"]}, "targets"),
])
def test_invalid_job_values_are_400_naming_the_field(client, run, body, field):
    message = assert_envelope(client.post(f"/runs/{run}/jobs/", json=body), 400)
    assert field in message, message
    assert job_list(client, run) == []


@pytest.mark.parametrize("body", [
    {"seed": 2 ** 64},
    {"priority": -(2 ** 63) - 1},
    {"duration": 2 ** 63},
    {"overrides": {"ceph": {"big": 2 ** 64}}},
    {"tasks": [{"x": [-(2 ** 63) - 1]}]},
])
def test_integers_beyond_64_bits_are_400(client, run, body):
    assert_envelope(client.post(f"/runs/{run}/jobs/", json=body), 400)
    assert job_list(client, run) == []


def test_64_bit_integers_round_trip(client, run):
    job_id = post_job(client, run, {"seed": 2 ** 63 - 1, "priority": -(2 ** 63),
                                    "overrides": {"n": 2 ** 63 - 1}})
    job = get_job(client, run, job_id)
    assert job["seed"] == 2 ** 63 - 1
    assert job["priority"] == -(2 ** 63)
    assert job["overrides"] == {"n": 2 ** 63 - 1}


# --- GET /runs/{run}/jobs/{job_id}/ ---------------------------------------------------------

def test_get_missing_job_is_404(client, run):
    assert_envelope(client.get(f"/runs/{run}/jobs/404/"), 404)


def test_get_job_of_a_missing_run_is_404(client):
    assert_envelope(client.get(f"/runs/{unique_name()}/jobs/1/"), 404)


def test_job_id_looking_like_an_operator_is_a_plain_value(client, run):
    post_job(client, run, {"job_id": "$gt", "status": "queued"})
    assert get_job(client, run, "$gt")["job_id"] == "$gt"
    assert_envelope(client.get(f"/runs/{run}/jobs/$ne/"), 404)


# --- times (§2.5, §5.5, §7.3, §7.12) --------------------------------------------------------

def test_job_updated(client, run):
    # §7.12 test_job_updated
    job_id = post_job(client, run, {"status": "queued"})
    job = get_job(client, run, job_id)
    assert_time(job["updated"])
    assert_time(job["posted"])
    assert job["updated"] >= job["posted"]


def test_manual_updated_time(client, run):
    # §7.3 test_manual_updated_time (server timezone UTC in these tests)
    job_id = post_job(client, run, {"updated": "2014-03-31 21:25:43"})
    assert get_job(client, run, job_id)["updated"] == "2014-03-31 21:25:43"
    assert get_run(client, run)["updated"] == "2014-03-31 21:25:43"


def test_manual_updated_time_drops_the_fraction(client, run):
    job_id = post_job(client, run, {"updated": "2014-03-31 21:25:43.123456"})
    assert get_job(client, run, job_id)["updated"] == "2014-03-31 21:25:43"


def test_force_updated_time_is_server_local_converted_to_utc(make_client):
    # §7.12 test_force_updated_time / §5.5: client `updated` is local time, stored as UTC.
    client = make_client(timezone="America/New_York")
    run = create_run(client, unique_name())
    job_id = post_job(client, run, {"updated": "2014-03-31 21:25:43"})
    assert get_job(client, run, job_id)["updated"] == "2014-04-01 01:25:43"  # EDT = UTC-4


def test_timestamp_is_not_shifted_by_the_server_timezone(make_client):
    # §5.2 step 2: `timestamp` is stored as given, no TZ conversion.
    client = make_client(timezone="America/New_York")
    run = create_run(client, unique_name())
    job_id = post_job(client, run, {"timestamp": "2024-01-02_03:04:05"})
    assert get_job(client, run, job_id)["timestamp"] == "2024-01-02 03:04:05"


def test_timestamp_fields(client, run):
    # §7.3 test_timestamp_fields
    now = datetime.utcnow().replace(microsecond=0)
    sent = now.strftime("%Y-%m-%d_%H:%M:%S")
    post_job(client, run, {"status": "queued", "timestamp": sent})
    (job,) = job_list(client, run)
    for key in ("posted", "updated", "timestamp"):
        assert_time(job[key])
        datetime.strptime(job[key].split(".")[0], "%Y-%m-%d %H:%M:%S")
    assert job["timestamp"] == str(now)


def test_put_without_updated_bumps_updated_to_now(client, run):
    # clients.md §6 item 2: every write bumps `updated`.
    job_id = post_job(client, run, {"status": "running", "updated": "2014-03-31 21:25:43"})
    put_job(client, run, job_id, {"name": run, "job_id": job_id})  # a watchdog heartbeat
    job = get_job(client, run, job_id)
    assert job["updated"] > "2014-03-31 21:25:43"
    assert job["updated"] >= job["posted"]
    assert get_run(client, run)["updated"] == job["updated"]


# --- PUT /runs/{run}/jobs/{job_id}/ ---------------------------------------------------------

def test_update_a_job(client, run):
    # §7.3 test_update_a_job
    post_job(client, run, {"status": "queued"})
    second = post_job(client, run, {"status": "queued"})
    response = client.put(f"/runs/{run}/jobs/{second}/", json={"user": "user1"})
    assert response.status_code == 200
    assert response.get_json() == {}
    assert get_job(client, run, second)["user"] == "user1"


def test_put_merges_partial_documents(client, run):
    job_id = post_job(client, run, {"status": "running", "description": "keep me",
                                    "overrides": {"a": {"b": 1}}, "pid": "12"})
    put_job(client, run, job_id, {"name": run, "job_id": job_id})
    put_job(client, run, job_id, {"failure_reason": "added"})
    job = get_job(client, run, job_id)
    assert job["description"] == "keep me"
    assert job["overrides"] == {"a": {"b": 1}}
    assert job["pid"] == "12"
    assert job["status"] == "running"
    assert job["failure_reason"] == "added"
    assert job["name"] == run


def test_put_replaces_a_metadata_value_as_a_whole(client, run):
    job_id = post_job(client, run, {"overrides": {"a": 1, "b": 2}})
    put_job(client, run, job_id, {"overrides": {"c": 3}})
    assert get_job(client, run, job_id)["overrides"] == {"c": 3}


def test_put_missing_job_is_404(client, run):
    response = client.put(f"/runs/{run}/jobs/12/", json={"status": "dead"})
    assert_envelope(response, 404, "attempted to update a non-existent job")


def test_put_job_of_a_missing_run_is_404(client):
    response = client.put(f"/runs/{unique_name()}/jobs/1/", json={"status": "dead"})
    assert_envelope(response, 404, "attempted to update a non-existent job")


def test_put_with_the_same_job_id_is_accepted(client, run):
    job_id = post_job(client, run, {"job_id": 5, "status": "queued"})
    put_job(client, run, job_id, {"job_id": 5, "status": "running"})
    assert get_job(client, run, "5")["status"] == "running"


def test_put_with_a_different_job_id_is_400(client, run):
    # §10 row 11 (decided): a different job_id is rejected; the job keeps its id.
    post_job(client, run, {"job_id": "5", "status": "queued"})
    response = client.put(f"/runs/{run}/jobs/5/", json={"job_id": "77", "status": "running"})
    assert_envelope(response, 400)
    assert get_job(client, run, "5")["status"] == "queued"
    assert_envelope(client.get(f"/runs/{run}/jobs/77/"), 404)


def test_mark_dead_body_without_name_is_applied(client, run):
    # clients.md §2.3 try_mark_run_dead: {"job_id", "status": "dead", "success": false}.
    job_id = post_job(client, run, {"job_id": "3", "status": "running"})
    response = client.post(f"/runs/{run}/jobs/",
                           data=json.dumps({"job_id": job_id, "status": "dead",
                                            "success": False}))
    assert response.get_json()["message"].endswith("already exists")
    put_job(client, run, job_id, {"job_id": job_id, "status": "dead", "success": False})
    job = get_job(client, run, job_id)
    assert (job["status"], job["success"], job["name"]) == ("dead", False, None)
    assert get_run(client, run)["status"] == "finished dead"


@pytest.mark.parametrize("raw", ["", "{broken", "[1, 2]", '"x"', "3"])
def test_put_with_a_bad_body_is_400(client, run, raw):
    job_id = post_job(client, run, {"status": "queued"})
    response = client.put(f"/runs/{run}/jobs/{job_id}/", data=raw,
                          content_type="application/json")
    assert_envelope(response, 400)
    assert get_job(client, run, job_id)["status"] == "queued"


@pytest.mark.parametrize("body,field", [
    ({"status": "bogus"}, "status"),
    ({"timestamp": "2024-01-02T03:04:05"}, "timestamp"),
    ({"updated": "yesterday"}, "updated"),
    ({"description": {"x": 1}}, "description"),
])
def test_put_with_invalid_values_is_400_naming_the_field(client, run, body, field):
    job_id = post_job(client, run, {"status": "queued"})
    message = assert_envelope(client.put(f"/runs/{run}/jobs/{job_id}/", json=body), 400)
    assert field in message
    job = get_job(client, run, job_id)
    assert job["status"] == "queued"
    assert job["description"] is None


def test_priority_changes_while_queued(client, run):
    job_id = post_job(client, run, {"status": "queued", "priority": 10})
    put_job(client, run, job_id, {"priority": 5})
    assert get_job(client, run, job_id)["priority"] == 5


def test_priority_is_ignored_unless_queued(client, run):
    # §5.7: discarded (200 anyway) when the status before the request is not queued.
    job_id = post_job(client, run, {"status": "running", "priority": 10})
    put_job(client, run, job_id, {"priority": 5, "description": "other keys still apply"})
    job = get_job(client, run, job_id)
    assert job["priority"] == 10
    assert job["description"] == "other keys still apply"


def test_priority_rule_looks_at_the_status_before_the_request(client, run):
    queued = post_job(client, run, {"status": "queued", "priority": 10})
    put_job(client, run, queued, {"status": "running", "priority": 1})
    assert get_job(client, run, queued)["priority"] == 1
    running = post_job(client, run, {"status": "running", "priority": 10})
    put_job(client, run, running, {"status": "queued", "priority": 1})
    assert get_job(client, run, running)["priority"] == 10


def test_any_priority_is_accepted_at_creation(client, run):
    job_id = post_job(client, run, {"status": "running", "priority": 3})
    assert get_job(client, run, job_id)["priority"] == 3


# --- DELETE /runs/{run}/jobs/{job_id}/ ------------------------------------------------------

def test_basic_deletion(client, run):
    # §7.12 test_basic_deletion
    job_id = post_job(client, run, {"status": "queued"})
    response = client.delete(f"/runs/{run}/jobs/{job_id}/")
    assert response.status_code == 200
    assert response.get_json() == {}
    assert_envelope(client.get(f"/runs/{run}/jobs/{job_id}/"), 404)
    assert job_list(client, run) == []


def test_delete_missing_job_is_404(client, run):
    response = client.delete(f"/runs/{run}/jobs/9/")
    assert_envelope(response, 404, "attempted to delete a non-existent job")


def test_delete_job_empties_run(client, run):
    # §7.12 test_delete_empties_run, via HTTP: the run status is recomputed.
    job_id = post_job(client, run, {"status": "queued"})
    assert client.delete(f"/runs/{run}/jobs/{job_id}/").status_code == 200
    run_json = get_run(client, run)
    assert run_json["status"] == "empty"
    (stored,) = client.get("/runs/?fields=name,status").get_json()
    assert stored == {"name": run, "status": "empty"}
    assert client.head(f"/runs/{run}/").status_code == 200  # the emptied run stays


def test_delete_job_recomputes_run_status(client, run):
    post_job(client, run, {"job_id": "1", "status": "pass"})
    post_job(client, run, {"job_id": "2", "status": "fail"})
    assert get_run(client, run)["status"] == "finished fail"
    assert client.delete(f"/runs/{run}/jobs/2/").status_code == 200
    assert get_run(client, run)["status"] == "finished pass"
    (stored,) = client.get("/runs/?fields=status").get_json()
    assert stored == {"status": "finished pass"}


def test_delete_job_leaves_run_updated_unchanged(client, run):
    # §5.8: run.updated unchanged by a job deletion.
    post_job(client, run, {"job_id": "1", "updated": "2014-01-01 00:00:00"})
    post_job(client, run, {"job_id": "2", "updated": "2014-02-02 00:00:00"})
    assert client.delete(f"/runs/{run}/jobs/2/").status_code == 200
    assert get_run(client, run)["updated"] == "2014-02-02 00:00:00"


def test_delete_job_keeps_its_nodes(client, run, database):
    job_id = post_job(client, run, {"targets": {"u@keep.example": "k"}})
    assert client.delete(f"/runs/{run}/jobs/{job_id}/").status_code == 200
    assert database.nodes.count_documents({"name": "keep.example"}) == 1


# --- targets -> nodes (§5.6, §7.12) ---------------------------------------------------------

def test_job_creates_node(client, run, database):
    # §7.12 test_job_creates_node
    post_job(client, run, {"targets": {"foo@node.name": "ssh-rsa AAA"}})
    node = database.nodes.find_one({"name": "node.name"})
    assert node is not None


def test_job_creates_many_nodes(client, run, database):
    # §7.12 test_job_creates_many_nodes / §7.5 test_job_creates_nodes
    post_job(client, run, {"targets": {"u@t1": "", "u@t2": "", "u@t3": ""}})
    assert sorted(node["name"] for node in database.nodes.find()) == ["t1", "t2", "t3"]


def test_target_without_user_is_the_hostname(client, run, database):
    post_job(client, run, {"targets": {"smithi001.front.sepia.ceph.com": "k"}})
    assert database.nodes.count_documents({"name": "smithi001.front.sepia.ceph.com"}) == 1


def test_created_nodes_take_the_jobs_machine_type(client, run, database):
    post_job(client, run, {"machine_type": "smithi",
                           "targets": {"ubuntu@smithi001.front.sepia.ceph.com": "k"}})
    node = database.nodes.find_one({"name": "smithi001.front.sepia.ceph.com"})
    assert node["machine_type"] == "smithi"
    assert node["locked"] is False
    assert node["locked_by"] is None
    assert node["up"] is None


def test_created_nodes_without_machine_type_have_none(client, run, database):
    post_job(client, run, {"targets": {"u@bare.example": "k"}})
    assert database.nodes.find_one({"name": "bare.example"})["machine_type"] is None


def test_job_adds_existing_node(client, run, database):
    # §7.12 test_job_adds_node: an existing node is reused, not recreated or changed.
    database.nodes.insert_one({"name": "existing.example", "machine_type": "mira",
                               "locked": True, "locked_by": "someone", "up": True})
    post_job(client, run, {"machine_type": "smithi", "targets": {"u@existing.example": "k"}})
    assert database.nodes.count_documents({"name": "existing.example"}) == 1
    node = database.nodes.find_one({"name": "existing.example"})
    assert (node["machine_type"], node["locked"], node["locked_by"]) == \
        ("mira", True, "someone")
    job = database.jobs.find_one({"run": run})
    assert job["target_nodes"] == ["existing.example"]


def test_two_jobs_on_one_node_share_the_node(client, run, database):
    post_job(client, run, {"targets": {"u@shared.example": "k"}})
    post_job(client, run, {"targets": {"u@shared.example": "k"}})
    assert database.nodes.count_documents({"name": "shared.example"}) == 1
    assert database.jobs.count_documents({"target_nodes": "shared.example"}) == 2


def test_targets_are_stored_verbatim(client, run):
    targets = {"ubuntu@smithi001.front.sepia.ceph.com": "ssh-ed25519 AAAA",
               "smithi002.front.sepia.ceph.com": "ssh-rsa BBBB"}
    job_id = post_job(client, run, {"targets": targets})
    assert get_job(client, run, job_id)["targets"] == targets


def test_targets_links_only_grow_when_the_count_grows(client, run, database):
    # §5.6: only a targets object with more entries than linked nodes links (and creates).
    job_id = post_job(client, run, {"targets": {"u@one.example": "k"}})
    put_job(client, run, job_id, {"targets": {"u@two.example": "k"}})
    assert database.nodes.count_documents({"name": "two.example"}) == 0
    assert get_job(client, run, job_id)["targets"] == {"u@two.example": "k"}
    put_job(client, run, job_id, {"targets": {"u@one.example": "k", "u@two.example": "k",
                                              "u@three.example": "k"}})
    job = database.jobs.find_one({"run": run, "job_id": job_id})
    assert sorted(job["target_nodes"]) == ["one.example", "three.example", "two.example"]
    assert database.nodes.count_documents({}) == 3
    put_job(client, run, job_id, {"targets": {"u@four.example": "k"}})
    job = database.jobs.find_one({"run": run, "job_id": job_id})
    assert sorted(job["target_nodes"]) == ["one.example", "three.example", "two.example"]


def test_targets_put_later_create_nodes(client, run, database):
    # clients.md §2.4: the dispatcher PUTs `targets` after locking.
    job_id = post_job(client, run, {"status": "queued", "machine_type": "smithi"})
    put_job(client, run, job_id, {"status": "running", "machine_type": "smithi",
                                  "targets": {"u@s1.example": "k", "u@s2.example": "k"}})
    assert sorted(node["name"] for node in database.nodes.find({"machine_type": "smithi"})) \
        == ["s1.example", "s2.example"]


def test_null_or_empty_targets_create_no_nodes(client, run, database):
    post_job(client, run, {"targets": None})
    post_job(client, run, {"targets": {}})
    assert database.nodes.count_documents({}) == 0


# --- run corrections (§5.2 step 8, §7.12) ---------------------------------------------------

def test_run_suite_gets_corrected(client):
    # §7.12 test_run_suite_gets_corrected
    name = "zack-2024-03-05_12:34:56-fs-squid-distro-default-smithi"
    create_run(client, name)
    assert get_run(client, name)["branch"] == "squid-distro"
    post_job(client, name, {"suite": "fs:upgrade", "branch": "squid", "machine_type": "smithi"})
    run = get_run(client, name)
    assert (run["suite"], run["branch"], run["machine_type"]) == \
        ("fs:upgrade", "squid", "smithi")
    (stored,) = client.get("/runs/?fields=suite,branch,machine_type").get_json()
    assert stored == {"suite": "fs:upgrade", "branch": "squid", "machine_type": "smithi"}


def test_run_multi_machine_type(client):
    # §7.12 test_run_multi_machine_type
    name = "teuthology-2014-03-03_00:00:00-rados-next-testing-basic-multi"
    create_run(client, name)
    post_job(client, name, {"machine_type": "plana,mira,burnupi"})
    assert get_run(client, name)["machine_type"] == "plana,mira,burnupi"


def test_run_correction_also_applies_on_put(client, run):
    job_id = post_job(client, run, {"status": "queued"})
    put_job(client, run, job_id, {"suite": "rgw", "branch": "reef", "machine_type": "mira"})
    got = get_run(client, run)
    assert (got["suite"], got["branch"], got["machine_type"]) == ("rgw", "reef", "mira")


# --- the spec's example and the client's lifecycle ------------------------------------------

def test_job_json_matches_the_spec_example(client):
    # §4.2 example
    body = {"job_id": "5", "description": "rados/thrash …", "flavor": "default",
            "machine_type": "smithi", "name": "RUN", "status": "queued", "branch": "main",
            "sha1": "abcdef0123", "suite": "rados:thrash",
            "targets": {"ubuntu@smithi001.front.sepia.ceph.com": "ssh-rsa AAA"},
            "timestamp": "2024-01-02_03:04:05", "priority": 50}
    post_job(client, "RUN", body)
    response = client.get("/runs/RUN/jobs/5/")
    assert ordered_keys(response) == list(JOB_KEYS)
    job = response.get_json()
    expected = {key: None for key in JOB_WHITELIST}
    expected.update({**body, "timestamp": "2024-01-02 03:04:05",
                     "log_href": "http://qa-proxy.ceph.com/teuthology/RUN/5/teuthology.log",
                     "started": None})
    assert {key: job[key] for key in expected} == expected
    assert_time(job["posted"])
    assert_time(job["updated"])


def test_new_job_posted_is_utc_now(client, run):
    before = datetime.utcnow()
    job_id = post_job(client, run, {"status": "queued"})
    after = datetime.utcnow()
    posted = datetime.strptime(get_job(client, run, job_id)["posted"].split(".")[0],
                               "%Y-%m-%d %H:%M:%S")
    assert before.replace(microsecond=0) <= posted <= after


def test_job_list_is_not_paginated(client, run):
    for _ in range(4):
        post_job(client, run, {"status": "queued"})
    assert len(job_list(client, run, {"count": 1, "page": 2})) == 4


def test_operator_like_string_values_are_stored_plainly(client, run):
    job_id = post_job(client, run, {"user": "$ne", "branch": "$where",
                                    "sha1": "{\"$gt\": \"\"}", "description": "$set"})
    job = get_job(client, run, job_id)
    assert (job["user"], job["branch"], job["sha1"], job["description"]) == \
        ("$ne", "$where", "{\"$gt\": \"\"}", "$set")
    assert get_run(client, run)["branch"] == "$where"


def test_teuthology_job_lifecycle(client, database):
    # clients.md §2.4: schedule, dispatcher, supervisor, job process, heartbeat, end, watchdog.
    run, job_id = TEUTHOLOGY_RUN, "7891234"
    config = {"name": run, "job_id": job_id, "suite": "rados", "branch": "main",
              "machine_type": "smithi", "sha1": "c" * 40, "description": "rados/thrash/x",
              "owner": "scheduled_teuthology@teuthology", "priority": 100, "seed": 8765,
              "first_in_suite": False, "last_in_suite": False, "os_version": 22.04,
              "tasks": [{"internal.check_packages": None}, {"ceph": None}],
              "nuke-on-error": True}
    targets = {"smithi001.front.sepia.ceph.com": "ssh-ed25519 A",
               "smithi002.front.sepia.ceph.com": "ssh-ed25519 B"}

    def report(body):  # teuthology's report_job: POST, and PUT on "already exists"
        response = client.post(f"/runs/{run}/jobs/", json=body)
        if response.status_code == 200:
            return
        assert response.get_json()["message"].endswith("already exists")
        put_job(client, run, job_id, body)

    report({**config, "status": "queued"})
    assert get_run(client, run)["status"] == "queued"
    report({**config, "status": "running"})
    started = get_job(client, run, job_id)["started"]
    assert started is not None
    report({**config, "status": "waiting"})
    assert get_run(client, run)["status"] == "waiting"
    report({**config, "status": "running", "targets": targets})
    report({"name": run, "job_id": job_id, "pid": 4343})
    report({**config, "status": "running", "pid": 4343})
    report({"name": run, "job_id": job_id})  # watchdog heartbeat
    report({**config, "targets": targets, "success": False, "status": "fail",
            "failure_reason": "Command failed", "duration": 5421.7, "flavor": "default",
            "sentry_event": "https://sentry/x", "osd.0-kernel-sha1": "k", "timer": {}})
    report({"name": run, "job_id": job_id, "status": "dead",
            "failure_reason": "hit max job timeout"})

    job = get_job(client, run, job_id)
    assert (job["status"], job["success"]) == ("fail", False)
    assert job["started"] == started
    assert job["pid"] == "4343"
    assert job["os_version"] == "22.04"
    assert job["nuke_on_error"] is True
    assert job["targets"] == targets
    assert job["tasks"] == config["tasks"]
    assert job["failure_reason"] == "hit max job timeout"
    run_json = get_run(client, run)
    assert run_json["status"] == "finished fail"
    assert (run_json["suite"], run_json["branch"], run_json["machine_type"]) == \
        ("rados", "main", "smithi")
    assert [item["job_id"] for item in run_json["jobs"]] == [job_id]
    assert sorted(node["name"] for node in database.nodes.find({"machine_type": "smithi"})) \
        == sorted(targets)
    # try_delete_jobs: the ids come back as strings, so the whole run is deleted.
    ids = [item["job_id"] for item in job_list(client, run, {"fields": "job_id"})]
    assert ids == [job_id]
    # §5.2 step 6: the run re-entered `running` (waiting -> running) through this job, so
    # run.started is the job's started.
    assert run_json["started"] == started
    assert client.delete(f"/runs/{run}/").status_code == 200
    assert client.head(f"/runs/{run}/").status_code == 404


# --- statsd (§5.12, §7.12 test_statsd_update) -----------------------------------------------

def test_statsd_counts_jobs_entering_pass_fail_dead(make_client):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(10)
        client = make_client(statsd_host="127.0.0.1", statsd_port=server.getsockname()[1],
                             statsd_prefix="ceph.test")
        run = create_run(client, unique_name())
        job_id = post_job(client, run, {"status": "running"})   # not counted
        put_job(client, run, job_id, {"status": "pass"})        # counted
        put_job(client, run, job_id, {"status": "dead"})        # ignored: pass is sticky
        other = post_job(client, run, {"status": "queued"})     # not counted
        put_job(client, run, other, {"success": False})         # counted: fail
        put_job(client, run, other, {"description": "x"})       # no status change
        post_job(client, run, {"status": "dead"})               # counted
        packets = [server.recv(1024).decode() for _ in range(3)]
    assert packets == ["ceph.test.jobs.status.pass:1|c", "ceph.test.jobs.status.fail:1|c",
                       "ceph.test.jobs.status.dead:1|c"]
