"""`/jobs/?description=` finds every job whose description holds the string, newest `posted`
first, whatever the policy: narrowed by the 3-grams index on MongoDB (text_search.py), the
pattern alone in windows of `posted` on the local database."""
import random
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest

from paddles_mongo.db import INDEX_KEYS, POSTED_ORDER
from paddles_mongo.query_policy import CHECKED_BATCH, SecantusDBQueries
from paddles_mongo.services.jobs import search_index_name
from paddles_mongo.text_search import grams
from tests.conftest import QUERY_POLICIES, RUNS_SCRIPTS, run_script
from tests.integration.support import CommandRecorder, app_with_clock, post_job, put_job

NOW = datetime(2024, 6, 1, 12)
FACETS = ("rados/thrash", "rados/basic", "fs/upgrade", "rbd/mirror", "Rados/Thrash")
PARTS = ("{clusters/{fixed-2 openstack}", "msgr/async", "msgr/async-v2", "objectstore/bluestore",
         "objectstore/bluestore-lz4", "workloads/radosbench", "(a.b*c)", "café/ümlaut", "x^y$z")
SEARCHES = ("thrash", "Thrash", "hra", "rados/thrash", "ados/thr", "async", "async-v2",
            "v2", "y", "lz4 w", "bluestore-lz4 workloads", "(a.b*c)", "b*c", ".b", "café",
            "ümla", "x^y$z", "^y", "{fixed-2", "nothing-like-this", "osd", " ", "2}")


def description(rng):
    return f"{rng.choice(FACETS)}/{{{' '.join(rng.sample(PARTS, rng.randint(1, 4)))}}}"


JOBS = []  # (run, job_id, description, posted), oldest first


@pytest.fixture(scope="module", params=QUERY_POLICIES)
def searched(mongo_backend, request):
    rng = random.Random(3)
    JOBS.clear()
    with app_with_clock(mongo_backend, "test_search", NOW,
                        query_policy=request.param) as (client, _, clock):
        for number in range(80):
            posted = NOW - timedelta(hours=8 * (80 - number))  # over 27 days
            clock.utc = posted
            run = f"teuthology-{posted:%Y-%m-%d_%H:%M:%S}-rados-main-distro-default-smithi"
            text = description(rng)
            JOBS.append((run, post_job(client, run, {"description": text, "name": run}), text,
                         posted))
        clock.utc = NOW
        yield client


def found(client, search, count=1000, page=1):
    response = client.get(f"/jobs/?description={quote(search)}&count={count}&page={page}")
    assert response.status_code == 200, response.data
    return [(job["name"], job["job_id"]) for job in response.get_json()]


def holding(search):
    return [(run, job_id) for run, job_id, text, _ in reversed(JOBS) if search in text]


@pytest.mark.parametrize("search", SEARCHES)
def test_every_job_holding_the_string_newest_first(searched, search):
    assert found(searched, search) == holding(search)
    assert found(searched, search, count=3, page=2) == holding(search)[3:6]


def test_a_changed_description_is_found_by_its_new_text_only(searched):
    run, job_id, old, _ = JOBS[10]
    put_job(searched, run, job_id, {"description": "brand/new {zzyzx}"})
    JOBS[10] = (run, job_id, "brand/new {zzyzx}", JOBS[10][3])
    assert found(searched, "zzyzx") == [(run, job_id)]
    assert (run, job_id) not in found(searched, old)


@RUNS_SCRIPTS
def test_create_indexes_gives_jobs_stored_before_search_their_grams(database_uri, database,
                                                                    client):
    run = "teuthology-2024-03-01_00:00:00-rados-main-distro-default-smithi"
    job_id = post_job(client, run, {"description": "rados/thrash/{msgr/async}", "name": run})
    post_job(client, run, {"name": run})  # no description: grams of nothing
    database.jobs.update_many({}, {"$unset": {"description_grams": ""}})
    dry = run_script("create-indexes", database_uri, "--dry-run")
    assert "underived: 2 jobs (it would derive their search and test fields)" in dry.stdout
    assert run_script("create-indexes", database_uri, "--check").returncode == 1
    first = run_script("create-indexes", database_uri)
    assert first.returncode == 0, first.stderr
    assert "derived the search and test fields of 2 jobs" in first.stdout
    stored = database.jobs.find_one({"job_id": job_id})
    assert stored["description_grams"] == grams("rados/thrash/{msgr/async}")
    assert "ash" in stored["description_grams"]
    assert run_script("create-indexes", database_uri, "--check").returncode == 0
    assert found(client, "msgr/as") == [(run, job_id)]


@pytest.mark.wire(reason="counts the replies a real server sends (getMore)")
def test_a_window_checked_for_a_pattern_is_sent_only_until_the_page_is_full(mongo_backend,
                                                                             settings):
    """On the local database the pattern is checked here on a window's documents: they come
    CHECKED_BATCH to a reply, and once the page is full the rest of the window is not sent
    (2,500 jobs in the window: one reply of CHECKED_BATCH, no getMore)."""
    class Replies(CommandRecorder):
        sent = []  # documents of each reply

        def succeeded(self, event):
            batch = event.reply.get("cursor", {})
            self.sent.append(len(batch.get("firstBatch", batch.get("nextBatch", []))))

    recorder = Replies()
    database = mongo_backend.database(settings, [recorder])
    try:
        now = datetime(2024, 6, 1, 12)
        database.jobs.insert_many([
            {"run": "r", "job_id": str(number), "description": f"rados/basic/{number}",
             "posted": now - timedelta(minutes=number)} for number in range(2_500)])
        recorder.commands.clear()
        recorder.sent.clear()
        page = SecantusDBQueries(INDEX_KEYS).newest(
            database.jobs, {"description": {"$regex": "basic"}}, search_index_name("posted"),
            POSTED_ORDER, 0, 25, now)
        assert [job["job_id"] for job in page] == [str(number) for number in range(25)]
        assert recorder.commands[0] == "find" and "getMore" not in recorder.commands
        assert recorder.sent[0] == CHECKED_BATCH < 2_500
    finally:
        database.close()
