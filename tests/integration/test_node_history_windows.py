"""A node's job history (`/nodes/{node}/jobs/`, pulpito's node page) is the same under every
query policy: the plain sorted `find`, and the local database's windows of `posted` going back
from now (query_policy.py), over jobs spread across years, for any page and filter."""
import random
from datetime import datetime, timedelta

import pytest

from tests.conftest import QUERY_POLICIES
from tests.integration.support import app_with_clock, post_job

NOW = datetime(2024, 6, 1, 12)
NODE = "smithi001.front.sepia.ceph.com"
JOBS = []  # (job_id, status), newest first


@pytest.fixture(scope="module", params=QUERY_POLICIES)
def history(mongo_backend, request):
    rng = random.Random(11)
    JOBS.clear()
    with app_with_clock(mongo_backend, "test_node_history", NOW,
                        query_policy=request.param) as (client, _, clock):
        when = NOW - timedelta(days=5 * 365)
        while when < NOW + timedelta(hours=1):
            clock.utc = when
            status = rng.choice(("pass", "fail", "dead"))
            run = f"teuthology-{when:%Y-%m-%d_%H:%M:%S}-rados-main-distro-default-smithi"
            JOBS.insert(0, (post_job(client, run, {"status": status,
                                                   "targets": {f"ubuntu@{NODE}": "key"}}),
                            status))
            when += timedelta(hours=rng.choice((1, 5, 30, 300, 2000)))
        clock.utc = NOW
        yield client


def job_ids(client, query):
    response = client.get(f"/nodes/{NODE}/jobs/{query}")
    assert response.status_code == 200, response.data
    return [job["job_id"] for job in response.get_json()]


def test_every_page_is_the_newest_jobs(history):
    newest = [job_id for job_id, _ in JOBS]
    assert len(newest) > 40
    assert job_ids(history, "") == job_ids(history, "?count=0") == newest
    for count in (1, 7, 20):
        for page in (1, 2, 3, len(newest) // count + 1):
            first = (page - 1) * count
            assert job_ids(history, f"?count={count}&page={page}") == (
                newest[first:first + count]), (count, page)


def test_a_status_page_is_the_newest_jobs_of_it(history):
    failed = [job_id for job_id, status in JOBS if status == "fail"]
    assert job_ids(history, "?status=fail&count=5&page=2") == failed[5:10]
