"""The background repairs (repairs.py) read only documents holding old journal or outbox
entries: their date ranges are bounded on both sides, so that no server walks the entries of
every document without such a date (the local database reads each one: 1.8 s per repair of
a lab of 10,000 runs, in every worker every 15 seconds)."""
from datetime import timedelta

from paddles_mongo.db import EARLIEST, Database, create_indexes
from paddles_mongo.repairs import StaleWriteRepairs
from paddles_mongo.timeformat import utcnow
from tests.conftest import COUNTS_COMMANDS
from tests.integration.support import CommandRecorder

pytestmark = COUNTS_COMMANDS  # a command listener: on a wire server


class Finds(CommandRecorder):
    def record(self, event):
        if event.command_name == "find":
            return event.command["find"], event.command.get("filter", {})
        return None


def test_the_repairs_read_bounded_ranges_of_dates(settings):
    finds = Finds()
    database = Database(settings, event_listeners=[finds])
    create_indexes(database)
    try:
        assert StaleWriteRepairs(database, 90, 15).repair_once() == 0
        stale_before = utcnow() - timedelta(seconds=90)
        ranges = [(collection, field, condition) for collection, query in finds.commands
                  for field, condition in query.items() if field in ("pending.at", "outbox.time")]
        assert {(collection, field) for collection, field, _ in ranges} == {
            ("runs", "pending.at"), ("runs", "outbox.time"), ("nodes", "outbox.time"),
            ("queues", "outbox.time")}
        for _collection, _field, condition in ranges:
            assert condition["$gte"] == EARLIEST
            assert stale_before - timedelta(seconds=5) < condition["$lt"] <= stale_before
    finally:
        database.close()
