"""`query_policy: auto` asks the server which it is, once per process."""
import pytest

from paddles_mongo.db import Database
from tests.integration.support import CommandRecorder

pytestmark = pytest.mark.wire(reason="`auto` asks buildInfo, which mongomock does not answer")


def test_auto_picks_the_policy_from_the_server_once(settings):
    recorder = CommandRecorder()
    database = Database(settings, event_listeners=[recorder])
    try:
        info = database.client.admin.command("buildInfo")
        recorder.commands.clear()
        expected = "secantusdb" if "secantusVersion" in info else "mongodb"
        assert database.policy.name == expected
        assert database.policy is database.policy
        assert recorder.commands == ["buildInfo"]
    finally:
        database.close()
