"""`GET /nodes/job_stats/` counts every job of its period, so each worker answers the same query
from its count of up to `job_stats_cache_seconds` ago (0: a count on every request)."""
import os

from paddles_mongo import create_app
from paddles_mongo.config import load_settings
from paddles_mongo.db import Database, create_indexes
from tests.conftest import COUNTS_COMMANDS
from tests.integration.support import CommandRecorder, post_job

pytestmark = COUNTS_COMMANDS

RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"
TARGETS = {"ubuntu@smithi001.front.sepia.ceph.com": "ssh-ed25519 AAAA"}
NODE = "smithi001.front.sepia.ceph.com"


def app_with(settings, seconds):
    """A test client of an app keeping job stats answers for `seconds`, and its commands."""
    listener = CommandRecorder()
    settings = load_settings(path=os.devnull, environ={}, mongo_uri=settings.mongo_uri,
                             job_stats_cache_seconds=seconds)
    database = Database(settings, event_listeners=[listener])
    create_indexes(database)
    return create_app(settings, database).test_client(), listener


def stats(client, listener, query=""):
    listener.commands.clear()
    response = client.get(f"/nodes/job_stats/{query}")
    assert response.status_code == 200, response.data
    return response.get_json(), list(listener.commands)


def test_the_same_query_is_answered_from_the_last_count_without_the_database(settings):
    client, listener = app_with(settings, 60)
    post_job(client, RUN, {"job_id": "1", "status": "fail", "targets": TARGETS})
    first, commands = stats(client, listener)
    assert first == {NODE: {"fail": 1}} and commands
    post_job(client, RUN, {"job_id": "2", "status": "fail", "targets": TARGETS})
    assert stats(client, listener) == (first, [])
    # Another query is counted on its own.
    other, commands = stats(client, listener, "?since_days=3")
    assert other == {NODE: {"fail": 2}} and commands


def test_with_no_time_every_request_is_counted(settings):
    client, listener = app_with(settings, 0)
    post_job(client, RUN, {"job_id": "1", "status": "fail", "targets": TARGETS})
    assert stats(client, listener)[0] == {NODE: {"fail": 1}}
    post_job(client, RUN, {"job_id": "2", "status": "pass", "targets": TARGETS})
    answer, commands = stats(client, listener)
    assert answer == {NODE: {"fail": 1, "pass": 1}} and commands
