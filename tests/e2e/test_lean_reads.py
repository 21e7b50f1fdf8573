"""Cursors and tags against 4 gunicorn workers: a cursor walk while runs are inserted sees
every run that was there exactly once, and every worker answers the same tag (nothing about
them is kept per process)."""
from datetime import datetime, timedelta

import requests

from tests.e2e.conftest import run_together

BEFORE = 60
WALKERS = 4
INSERTERS = 4
INSERTS_EACH = 15


def run_name(prefix, when, branch="main"):
    return f"{prefix}-{when:%Y-%m-%d_%H:%M:%S}-rados-{branch}-basic-smithi"


def walk(url, count):
    """The names of a list's runs, page after page by cursor, and the pages read."""
    names, pages = [], 0
    response = requests.get(f"{url}count={count}", timeout=60)
    while True:
        assert response.status_code == 200, response.text
        names += [run["name"] for run in response.json()]
        pages += 1
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            return names, pages
        response = requests.get(f"{url}count={count}&after={cursor}", timeout=60)


def test_cursor_walks_during_inserts_see_every_run_once(server):
    url, _database = server
    start = datetime(2025, 6, 1)
    before = [run_name(f"walk{number}", start + timedelta(hours=number))
              for number in range(BEFORE)]
    for name in before:
        assert requests.post(f"{url}/runs/", json={"name": name}, timeout=60).status_code == 200

    def inserter(number):
        def insert():
            for index in range(INSERTS_EACH):
                # Scheduled before, among and after the runs being walked; posted now.
                when = start + timedelta(hours=(index * 7 + number * 13) % (BEFORE + 40) - 20,
                                         minutes=number + 1)
                name = run_name(f"new{number}x{index}", when)
                response = requests.post(f"{url}/runs/", json={"name": name}, timeout=60)
                assert response.status_code == 200, response.text
            return None
        return insert

    walks = [lambda: walk(f"{url}/runs/branch/main/?", 7), lambda: walk(f"{url}/runs/?", 9),
             lambda: walk(f"{url}/runs/suite/rados/branch/main/?", 5),
             lambda: walk(f"{url}/runs/?", 4)]
    results = run_together([*walks, *(inserter(n) for n in range(INSERTERS))],
                           workers=WALKERS + INSERTERS)
    for names, pages in results[:WALKERS]:
        assert len(names) == len(set(names)), "a run seen twice"
        assert set(before) <= set(names), "a run that was there was skipped"
        assert pages >= 2
    # The runs inserted meanwhile, all there now.
    everything = walk(f"{url}/runs/branch/main/?", 50)[0]
    assert len(everything) == len(set(everything)) == BEFORE + INSERTERS * INSERTS_EACH


def test_every_worker_answers_the_same_tags(server):
    url, _database = server
    run = run_name("tags", datetime(2025, 7, 1))
    assert requests.post(f"{url}/runs/{run}/jobs/", json={"job_id": "1", "status": "queued"},
                         timeout=60).status_code == 200
    for path in (f"/runs/{run}/", f"/runs/{run}/jobs/", "/runs/", f"/runs/{run}/jobs/1/"):
        tags = {requests.get(url + path, timeout=60).headers["ETag"] for _ in range(12)}
        assert len(tags) == 1, (path, tags)
        tag = tags.pop()
        answers = run_together([lambda: requests.get(url + path, timeout=60,
                                                     headers={"If-None-Match": tag})] * 8, 8)
        assert {response.status_code for response in answers} == {304}, path
