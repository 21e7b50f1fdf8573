"""Lean reads, all opt-in: conditional GETs (ETag, If-None-Match, 304), `?fields=` on every
read of runs, jobs and nodes, and cursor paging (`after=`, Link and X-Next-Cursor)."""
import base64
import json
import uuid
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from paddles_mongo import create_app
from tests.conftest import COUNTS_COMMANDS, QUERY_POLICIES
from tests.integration.support import (ADDRESS, INVALID_FIELD, RUN_KEYS, CommandRecorder,
                                       assert_envelope, create_node, create_run, post_job,
                                       put_job)

pytestmark = pytest.mark.parametrize("query_policy", QUERY_POLICIES)


def run_named(number, when=None, branch="main", suite="rados"):
    when = when or datetime(2024, 3, 1) + timedelta(hours=number)
    user = f"u{uuid.uuid4().hex[:10]}"  # unique names; branch and suite parse from them
    return f"{user}-{when:%Y-%m-%d_%H:%M:%S}-{suite}-{branch}-basic-smithi"


def etag_of(response):
    assert response.status_code == 200, (response.status_code, response.data)
    tag = response.headers.get("ETag")
    assert tag and tag.startswith('"') and tag.endswith('"'), tag
    return tag


def assert_not_modified(client, url, tag, method="get", if_none_match=None):
    response = getattr(client, method)(url, headers={"If-None-Match": if_none_match or tag})
    assert response.status_code == 304, (url, response.status_code, response.data)
    assert response.data == b""
    assert response.headers["ETag"] == tag


@pytest.fixture
def lab(client):
    """A run of three jobs (one with a node), a second run, a node: (run, other run)."""
    run = create_run(client, run_named(1))
    for job_id in ("1", "2", "3"):
        post_job(client, run, {"job_id": job_id, "status": "queued", "description": f"d{job_id}",
                               "targets": {"ubuntu@smithi001.front": "key"}})
    other = create_run(client, run_named(2, branch="next"))
    post_job(client, other, {"job_id": "1", "status": "running"})
    return run, other


# --- conditional GETs ---------------------------------------------------------------------

def test_the_run_page_answers_304_to_its_tag_and_head_carries_it(client, lab):
    run, _ = lab
    tag = etag_of(client.get(f"/runs/{run}/"))
    assert_not_modified(client, f"/runs/{run}/", tag)
    assert etag_of(client.head(f"/runs/{run}/")) == tag
    assert_not_modified(client, f"/runs/{run}/", tag, method="head")
    # Another tag, or a list of tags holding it, or `*`.
    assert client.get(f"/runs/{run}/", headers={"If-None-Match": '"other"'}).status_code == 200
    assert_not_modified(client, f"/runs/{run}/", tag, if_none_match=f'"other", {tag}')
    assert client.get(f"/runs/{run}/", headers={"If-None-Match": "*"}).status_code == 304


def test_every_write_of_a_run_or_its_jobs_changes_its_tags(client, lab):
    run, _ = lab
    urls = (f"/runs/{run}/", f"/runs/{run}/jobs/", f"/runs/{run}/jobs/?fields=status",
            f"/runs/{run}/?fields=name")
    tags = {url: etag_of(client.get(url)) for url in urls}
    assert len(set(tags.values())) == len(urls), "each variant has a tag of its own"
    put_job(client, run, "2", {"status": "running"})
    for url, tag in tags.items():
        fresh = client.get(url, headers={"If-None-Match": tag})
        assert etag_of(fresh) != tag, url
    tags = {url: etag_of(client.get(url)) for url in urls}
    # Deleting the first job changes the run's first-job fields after the count: the tag too.
    assert client.delete(f"/runs/{run}/jobs/1/").status_code == 200
    for url, tag in tags.items():
        assert etag_of(client.get(url, headers={"If-None-Match": tag})) != tag, url


def test_a_deleted_and_recreated_run_has_new_tags(client):
    name = create_run(client, run_named(3))
    tag = etag_of(client.get(f"/runs/{name}/"))
    assert client.delete(f"/runs/{name}/").status_code == 200
    create_run(client, name)
    assert etag_of(client.get(f"/runs/{name}/", headers={"If-None-Match": tag})) != tag


LISTS = ("/runs/", "/runs/?fields=name,status", "/runs/branch/main/", "/runs/branch/main/suite/",
         "/runs/queued/", "/jobs/", "/nodes/", "/nodes/smithi001.front/",
         "/nodes/smithi001.front/jobs/")


@pytest.mark.parametrize("url", LISTS)
def test_lists_and_nodes_answer_304_until_something_in_them_changes(client, lab, url):
    run, _ = lab
    tag = etag_of(client.get(url))
    assert_not_modified(client, url, tag)
    put_job(client, run, "3", {"status": "pass", "success": True,
                               "targets": {"ubuntu@smithi001.front": "key"}})
    client.put("/nodes/smithi001.front/", json={"description": "changed"})
    response = client.get(url, headers={"If-None-Match": tag})
    if url in ("/runs/branch/main/suite/", "/runs/?fields=name,status"):
        assert response.status_code == 304  # its answer (suites; names, statuses) is the same
    else:
        assert etag_of(response) != tag


def test_one_job_answers_304_to_its_tag(client, lab):
    run, _ = lab
    url = f"/runs/{run}/jobs/2/"
    tag = etag_of(client.get(url))
    assert_not_modified(client, url, tag)
    put_job(client, run, "2", {"status": "running"})
    assert etag_of(client.get(url, headers={"If-None-Match": tag})) != tag


def test_errors_and_writes_carry_no_tag(client, lab):
    run, _ = lab
    assert "ETag" not in client.get("/runs/no-such-run/").headers
    assert "ETag" not in client.post(f"/runs/{run}/jobs/", json={"status": "queued"}).headers


def test_a_browser_may_read_the_tags_and_cursors(client):
    exposed = client.get("/runs/").headers["Access-Control-Expose-Headers"]
    assert {name.strip() for name in exposed.split(",")} == {"ETag", "Link", "X-Next-Cursor"}
    assert "if-none-match" in client.get("/runs/").headers["Access-Control-Allow-Headers"]


# --- fields -------------------------------------------------------------------------------

def test_a_run_with_fields_has_only_those_keys_and_jobs_only_when_named(client, lab):
    run, _ = lab
    body = client.get(f"/runs/{run}/?fields=name,status,results").get_json()
    assert list(body) == ["name", "status", "results"]
    assert body["results"]["queued"] == 3
    jobs_only = client.get(f"/runs/{run}/?fields=jobs").get_json()
    assert list(jobs_only) == ["jobs"]
    assert [job["job_id"] for job in jobs_only["jobs"]] == ["1", "2", "3"]
    assert list(client.get(f"/runs/{run}/?fields=jobs,id").get_json()) == ["id", "jobs"]
    assert list(client.get(f"/runs/{run}/").get_json()) == [*RUN_KEYS, "jobs"]
    assert_envelope(client.get(f"/runs/{run}/?fields=name,nope"), 400, INVALID_FIELD)


def test_filter_routes_nodes_and_jobs_take_fields(client, lab):
    run, other = lab
    assert client.get("/runs/branch/next/?fields=name,jobs_count").get_json() == [
        {"name": other, "jobs_count": 1}]
    assert client.get("/runs/date/from/2024-03-01/to/2024-03-01/?fields=name").get_json() == [
        {"name": other}, {"name": run}]
    assert_envelope(client.get("/runs/branch/next/?fields=jobs"), 400, INVALID_FIELD)
    assert client.get("/nodes/?fields=name,locked").get_json() == [
        {"name": "smithi001.front", "locked": False}]
    assert_envelope(client.get("/nodes/?fields=name,nope"), 400, INVALID_FIELD)
    jobs = client.get("/jobs/?fields=job_id,run&count=2").get_json()
    assert [list(job) for job in jobs] == [["job_id", "run"]] * 2
    assert jobs[0]["run"]["name"] == other and jobs[1]["run"]["name"] == run
    assert_envelope(client.get("/jobs/?fields=nope"), 400, INVALID_FIELD)
    job = client.get(f"/runs/{run}/jobs/2/?fields=status,description,href").get_json()
    assert job == {"status": "queued", "description": "d2",
                   "href": [f"{ADDRESS}/runs/{run}/jobs/2/"]}
    assert_envelope(client.get(f"/runs/{run}/jobs/2/?fields=nope"), 400, INVALID_FIELD)


# --- cursors ------------------------------------------------------------------------------

def walk(client, url, count):
    """Every item of a list, following its cursors from the first page of `count`; also the
    number of pages read."""
    separator = "&" if "?" in url else "?"
    response = client.get(f"{url}{separator}count={count}")
    items, pages = [], 0
    while True:
        assert response.status_code == 200, (response.status_code, response.data)
        page = response.get_json()
        items += page
        pages += 1
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            assert "Link" not in response.headers
            return items, pages
        link, rel = response.headers["Link"].split(">; ")
        assert rel == 'rel="next"'
        target = urlsplit(link.lstrip("<"))
        assert f"{target.scheme}://{target.netloc}{target.path}" == ADDRESS + urlsplit(url).path
        assert parse_qsl(target.query) == [*parse_qsl(urlsplit(url).query),
                                           ("count", str(count)), ("after", cursor)]
        assert len(page) == count
        response = client.get(f"{url}{separator}count={count}&after={quote(cursor)}")


@pytest.fixture
def many_runs(client):
    """Seven runs on branch main, one job each, on one node, with one test and signature."""
    names = []
    for number in range(7):
        name = create_run(client, run_named(10 + number))
        post_job(client, name, {"job_id": "1", "status": "fail", "description": "rados/t",
                                "suite": "rados", "failure_reason": "boom",
                                "targets": {"ubuntu@smithi002.front": "key"}})
        names.append(name)
    for number in range(5):
        create_node(client, f"walk{number}.front", machine_type="walk")
    return names


PAGED_LISTS = ("/runs/", "/runs/branch/main/", "/runs/branch/main/suite/rados/", "/jobs/",
               "/jobs/?status=fail", "/nodes/", "/nodes/?machine_type=walk",
               "/nodes/smithi002.front/jobs/", "/tests/history/?suite=rados&description=rados/t",
               "/runs/suite/rados/?fields=name")


@pytest.mark.parametrize("url", PAGED_LISTS)
def test_a_cursor_walk_reads_the_list_once_in_its_order(client, many_runs, url):
    everything = client.get(f"{url}{'&' if '?' in url else '?'}count=1000").get_json()
    assert len(everything) >= 5
    for count in (1, 2, 5):
        items, pages = walk(client, url, count)
        assert items == everything, count
        assert pages == len(everything) // count + 1


def test_a_failure_signatures_jobs_walk(client, many_runs):
    signature = client.get("/failures/").get_json()[0]["signature"]
    url = f"/failures/jobs/?signature={quote(signature)}"
    everything = client.get(url + "&count=100").get_json()
    assert len(everything) == 7
    assert walk(client, url, 3)[0] == everything


def test_runs_inserted_during_a_walk_are_neither_repeated_nor_make_others_skipped(client):
    before = [create_run(client, run_named(100 + number)) for number in range(6)]
    seen = []
    response = client.get("/runs/branch/main/?count=2")
    while True:
        seen += [run["name"] for run in response.get_json()]
        # New runs land before the position (posted now) or around it (scheduled earlier and
        # later than the runs already seen).
        create_run(client, run_named(0, when=datetime(2024, 3, 5)))
        create_run(client, run_named(0, when=datetime(2020, 1, 1)))
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            break
        response = client.get(f"/runs/branch/main/?count=2&after={cursor}")
    assert len(seen) == len(set(seen)), "no run twice"
    assert set(before) <= set(seen), "no run that was there skipped"


def token(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize("after", [
    "x", "!!!", token([1, 2]), token([["posted", "_id"], [1, 2, 3]]),
    token([["posted", "_id"], [{"date": "x"}, None]]),
    token([["posted", "_id"], [{"id": "zz"}, None]]),
    token([["posted", "_id"], [{"date": 10 ** 30}, None]]), "A" * 2000])
def test_a_malformed_cursor_is_a_400(client, after):
    for url in ("/runs/", "/jobs/", "/nodes/", "/runs/branch/main/"):
        assert_envelope(client.get(f"{url}?after={quote(after)}"), 400)


def test_a_cursor_of_another_order_or_with_a_page_is_a_400(client, many_runs):
    cursor = client.get("/runs/?count=2").headers["X-Next-Cursor"]
    assert client.get(f"/jobs/?count=2&after={cursor}").status_code == 200  # also by posted
    assert_envelope(client.get(f"/runs/branch/main/?after={cursor}"), 400)
    assert_envelope(client.get(f"/nodes/?after={cursor}"), 400)
    assert_envelope(client.get(f"/runs/?page=2&after={cursor}"), 400,
                    "page and after cannot be combined")


# --- what is read -------------------------------------------------------------------------

class ReadRecorder(CommandRecorder):
    """(command name, collection, projection, filter) of each command."""

    def record(self, event):
        command = event.command
        name = event.command_name
        return (name, command.get(name), command.get("projection"), command.get("filter"))


@pytest.fixture
def recorded(settings, database, mongo_backend, lab):
    """(client, commands): the app with a listener; commands() the reads since the last call."""
    recorder = ReadRecorder()
    recorded_database = mongo_backend.database(settings, [recorder])
    client = create_app(settings, recorded_database).test_client()

    def commands():
        taken = list(recorder.commands)
        recorder.commands.clear()
        return taken

    yield client, commands
    recorded_database.close()


@COUNTS_COMMANDS
def test_a_304_of_a_run_page_or_job_list_reads_the_run_alone(recorded, lab):
    client, commands = recorded
    run, _ = lab
    for url in (f"/runs/{run}/", f"/runs/{run}/jobs/", f"/runs/{run}/jobs/?fields=status"):
        tag = etag_of(client.get(url))
        commands()
        assert_not_modified(client, url, tag)
        assert [(name, collection) for name, collection, _, _ in commands()] == [
            ("find", "runs")], url
    client.head(f"/runs/{run}/")
    (name, collection, projection, _), = commands()
    assert (name, collection, projection) == ("find", "runs", {"writes": 1})


@COUNTS_COMMANDS
def test_fields_read_only_what_they_name(recorded, lab):
    client, commands = recorded
    run, _ = lab
    commands()
    client.get(f"/runs/{run}/?fields=name,status")
    (name, collection, projection, _), = commands()
    assert (name, collection) == ("find", "runs")
    assert set(projection) == {"name", "status", "writes"}
    client.get("/runs/branch/main/?fields=name")
    reads = commands()
    assert reads and all(set(projection) <= {"name", "scheduled", "_id", "branch"}
                         for _, _, projection, _ in reads), reads
    client.get("/nodes/?fields=locked")
    (_, _, projection, _), = commands()
    assert set(projection) == {"name", "locked", "seq", "_id"}
    client.get(f"/runs/{run}/jobs/2/?fields=status")
    (_, _, projection, _), = commands()
    assert set(projection) == {"run", "job_id", "status"}


@COUNTS_COMMANDS
def test_a_page_after_a_cursor_costs_the_commands_of_the_first(recorded, lab, many_runs):
    client, commands = recorded
    for url in ("/runs/?count=2", "/runs/branch/main/?count=2", "/jobs/?count=2",
                "/nodes/?count=2"):
        first = client.get(url)
        first_commands = [(name, collection) for name, collection, _, _ in commands()]
        response = first
        for _page in range(3):
            response = client.get(f"{url}&after={response.headers['X-Next-Cursor']}")
            assert response.status_code == 200
            later = [(name, collection) for name, collection, _, _ in commands()]
            assert len(later) <= max(len(first_commands), 1), (url, later)
