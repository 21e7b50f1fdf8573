"""The web pages (/ui/) on the lab of tests/docs/fixture_lab.py, written through the API: the
root's redirect rule, 404 and 400 pages, what the pages say, and the database commands each
page costs against its JSON twins (at most two more). The browser's view is in
tests/e2e/test_web_pages.py."""
import re
from html import unescape
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from paddles_mongo.services import lab_questions
from paddles_mongo.timeformat import utcnow
from tests.conftest import COUNTS_COMMANDS, QUERY_POLICIES
from tests.docs import fixture_lab
from tests.integration.support import CommandRecorder, app_on_fresh_database

RUNS = fixture_lab.RUN_NAMES
MAIN_OLD, MAIN_NEW, RBD, SQUID, FS_QUEUED, RGW_RUNNING = RUNS
NODE = fixture_lab.host(1)


@pytest.fixture(scope="module", params=QUERY_POLICIES)
def lab(request, mongo_backend):
    """(test client, database, command recorder) of the lab, under each query policy."""
    recorder = CommandRecorder()
    with app_on_fresh_database(mongo_backend, "webpages", [recorder],
                               query_policy=request.param) as (client, _settings):
        database = client.application.extensions["paddles"].database
        fixture_lab.load(client, database)
        assert client.post("/queue/", json={"queue": "smithi"}).status_code == 200
        yield client, database, recorder


def page(client, path, status=200, **query):
    response = client.get(path + (f"?{urlencode(query)}" if query else ""))
    assert response.status_code == status, response.get_data(as_text=True)[-2000:]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def words(html):
    """The page's text, tags dropped and spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.mark.parametrize("accept", ["text/html", "text/html,application/xhtml+xml,*/*;q=0.8"])
def test_root_redirects_a_browser_to_the_web_pages(lab, accept):
    client, _, _ = lab
    response = client.get("/", headers={"Accept": accept})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/ui/")


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/html;q=0",
                                    "application/json, text/*"])
def test_root_answers_json_clients_as_before(lab, accept):
    client, _, _ = lab
    response = client.get("/", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.get_json() == {}


@pytest.mark.parametrize("path, message", [
    ("/ui/runs/no-such-run", "run no-such-run was not found"),
    (f"/ui/runs/{MAIN_OLD}/jobs/999", "not found"),
    ("/ui/runs/no-such-run/compare", "run no-such-run was not found"),
    ("/ui/nodes/no-such-node", "node not found"),
    ("/ui/no/such/page", "no page /ui/no/such/page"),
])
def test_unknown_things_are_404_pages_with_the_top_bar(lab, path, message):
    client, _, _ = lab
    text = words(page(client, path, status=404))
    assert "Not found" in text and message in text.lower()
    assert "Runs Flaky Failures Trends Nodes Queue" in text


@pytest.mark.parametrize("path, message", [
    ("/ui/?date=2026-13-45", "date"),
    ("/ui/?page=0", "page must be an integer"),
    ("/ui/flaky?suite=rados&since_days=0", "since_days must be an integer"),
    ("/ui/trends?suite=rados&days=x", "days must be an integer"),
    ("/ui/nodes/?locked=maybe", "locked"),
    ("/ui/failures/jobs", "signature is required"),
])
def test_bad_filters_are_400_pages_saying_why(lab, path, message):
    client, _, _ = lab
    text = words(page(client, path, status=400))
    assert "Bad request" in text and message in text


@pytest.mark.parametrize("path", [
    "/ui/?branch=&suite=rados&count=&page=", "/ui/flaky?suite=rados&branch=&since_days=&min_jobs=",
    "/ui/failures?suite=&branch=&machine_type=&since_days=", "/ui/trends?suite=rados&days=",
    "/ui/nodes/?machine_type=&locked=&up=&locked_by=&os_type=",
    "/ui/tests/history?suite=rados&description=x&branch=&os_type="])
def test_a_forms_blank_fields_are_no_filter(lab, path):
    """A form sends its blank fields as `name=`: the page is the one without them."""
    client, _, _ = lab
    without = "&".join(part for part in path.split("?")[1].split("&") if not part.endswith("="))
    base = path.split("?")[0]
    blank_free = re.sub(r"Page drawn at [^<]*", "", page(client, f"{base}?{without}"))
    assert re.sub(r"Page drawn at [^<]*", "", page(client, path)).replace(
        'value=""', "") == blank_free.replace('value=""', "")


def test_runs_page_lists_runs_with_status_words_and_counts(lab):
    client, _, _ = lab
    html = page(client, "/ui/")
    for name in RUNS:
        assert f">{name}</a>" in html
    assert '<span class="status s-fail">finished fail</span>' in html
    assert '<span class="count c-fail">2 fail</span>' in html  # the squid run's bar, in words
    filtered = page(client, "/ui/", branch="main", suite="rados")
    assert MAIN_OLD in filtered and MAIN_NEW in filtered and RBD not in filtered
    assert page(client, "/ui/", sha1=fixture_lab.SHA_SQUID[:8]).count("/ui/runs/") == 1


def test_run_page_links_each_jobs_log_and_sorts_on_the_server(lab):
    client, _, _ = lab
    html = page(client, f"/ui/runs/{MAIN_OLD}", sort="-duration")
    logs = re.findall(r'href="(http://qa-proxy[^"]+)"', html)
    assert logs[0] == f"http://qa-proxy.ceph.com/teuthology/{MAIN_OLD}/7004/teuthology.log"
    job_ids = re.findall(r'/jobs/(\d+)">\1</a>', html)
    assert job_ids == ["7004", "7002", "7001", "7003"]  # longest first
    assert 'aria-sort="descending"' in html


def test_job_page_shows_every_field_and_its_history(lab):
    client, _, _ = lab
    text = words(page(client, f"/ui/runs/{MAIN_NEW}/jobs/7102"))
    for expected in ("Job 7102 fail", fixture_lab.MON_AUTH, "scheduled_teuthology@teuthology",
                     "Command failed on smithi001 with status 22", "- internal.check_packages",
                     "ubuntu@smithi001.front.sepia.ceph.com: ssh-ed25519 AAAAC3Nz001",
                     "Command failed on <host> with status <n>"):
        assert expected in text, expected


def test_failure_groups_count_their_jobs_per_day(lab):
    """The failures page's sparklines: each group's jobs on each day of the window."""
    _, database, _ = lab
    now = utcnow()
    for days in (5, 14):
        since = now - timedelta(days=days)
        groups = lab_questions.failure_groups(database, since, {}, 0, per_day_until=now.date())
        assert groups
        for group in groups:
            assert len(group["per_day"]) == (now.date() - since.date()).days + 1
            assert sum(group["per_day"]) == group["jobs"]


def test_queue_page_lists_queues_and_queued_runs(lab):
    client, _, _ = lab
    text = words(page(client, "/ui/queue"))
    assert "smithi running" in text
    assert text.index(FS_QUEUED) < text.index(RGW_RUNNING)  # oldest scheduled first


HISTORY = {"suite": "rados", "description": fixture_lab.THRASH_V2}
# Each page and its JSON twins: the requests a client reading the same answers sends, pages of
# the same size.
TWINS = [
    ("/ui/", ["/runs/"]),
    ("/ui/?branch=main&suite=rados", ["/runs/branch/main/suite/rados/"]),
    (f"/ui/runs/{MAIN_OLD}", [f"/runs/{MAIN_OLD}/"]),
    (f"/ui/runs/{MAIN_OLD}/jobs/7002", [f"/runs/{MAIN_OLD}/jobs/7002/",
                                        f"/tests/history/?{urlencode(HISTORY)}&count=30"]),
    (f"/ui/runs/{MAIN_NEW}/compare", [f"/runs/{MAIN_NEW}/compare/",
                                      "/runs/suite/rados/branch/main/machine_type/smithi/"
                                      "?count=20"]),
    (f"/ui/tests/history?{urlencode({'suite': 'rados', 'description': fixture_lab.MON_AUTH})}",
     [f"/tests/history/?{urlencode({'suite': 'rados', 'description': fixture_lab.MON_AUTH})}"]),
    ("/ui/flaky?suite=rados&min_jobs=2", ["/tests/flaky/?suite=rados&min_jobs=2"]),
    ("/ui/flaky", ["/runs/suite/"]),
    ("/ui/failures?since_days=14", ["/failures/?since_days=14"]),
    ("/ui/failures/jobs?signature=x", ["/failures/jobs/?signature=x"]),
    ("/ui/trends?suite=rados", ["/trends/?suite=rados"]),
    ("/ui/nodes/", ["/nodes/"]),
    (f"/ui/nodes/{NODE}", [f"/nodes/{NODE}/jobs/?count=51", f"/nodes/{NODE}/history/"]),
    ("/ui/queue", ["/runs/queued/", "/queue/"]),
]


@COUNTS_COMMANDS
@pytest.mark.parametrize("ui_path, json_paths", TWINS)
def test_a_page_costs_at_most_two_commands_more_than_its_json_twins(lab, ui_path, json_paths):
    client, _, recorder = lab

    def commands(path):
        # The app's caches warmed for both, as a reader finds them: a first read may instead
        # version the lab's new runs (services/run_values.py), and keep nothing.
        client.get(path)
        client.get(path)
        recorder.commands.clear()
        assert client.get(path).status_code == 200
        return list(recorder.commands)

    twins = [name for path in json_paths for name in commands(path)]
    web = commands(ui_path)
    print(f"{ui_path}: {web} against {twins}")
    assert len(twins) <= len(web) <= len(twins) + 2


def test_a_run_page_shows_each_write_at_once(client):
    """The job table is kept rendered per write of the run: each job write shows."""
    run = "teuthology-2026-11-20_02:00:01-rados-main-distro-default-smithi"
    assert client.post(f"/runs/{run}/jobs/", json={"job_id": "1", "status": "running",
                                                   "description": "rados/a"}).status_code == 200
    assert '<span class="status s-running">running</span>' in page(client, f"/ui/runs/{run}")
    assert client.put(f"/runs/{run}/jobs/1/", json={"status": "fail"}).status_code == 200
    html = page(client, f"/ui/runs/{run}")
    assert '<span class="status s-fail">fail</span>' in html and "s-running" not in html
    assert client.post(f"/runs/{run}/jobs/", json={"job_id": "2", "status": "pass",
                                                   "description": "rados/b"}).status_code == 200
    assert re.findall(r'/jobs/(\d+)">\1</a>', page(client, f"/ui/runs/{run}", sort="-job_id")) == [
        "2", "1"]


def test_a_node_page_shows_its_lock_history(client):
    assert client.post("/nodes/", json={"name": "mira001"}).status_code == 200
    for body in ({"locked": True, "locked_by": "alice@host", "description": "rados run"},
                 {"locked": False, "locked_by": "alice@host"}):
        assert client.put("/nodes/mira001/lock", json=body).status_code == 200
    html = page(client, "/ui/nodes/mira001")
    history = html.split("<h2>Lock history</h2>", 1)[1]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", history)
    assert cells[:1] == ["unlocked"] and "alice@host" in cells and "rados run" in cells
    assert history.index(">unlocked<") < history.index(">locked<")  # newest first
    assert client.post("/nodes/", json={"name": "mira002"}).status_code == 200
    assert "No lock history kept." in page(client, "/ui/nodes/mira002")
