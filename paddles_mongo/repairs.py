"""The repairs every gunicorn worker runs in the background (started by gunicorn_config's
post_worker_init), every `repair_interval_seconds`: job writes whose request died between
writing the job and counting it on its run (services/run_summary.py) are resolved once they are
`stale_write_seconds` old, nodes a dead request created without their creation number are
numbered (services/creation_order.py), events a dead request left in an outbox are
published (services/events.py), and run deletions a dead request left unfinished move the run
values' version (services/run_values.py). Every worker of every host runs them: each repair is a
conditional update that only the first to get there applies, so they need no coordination."""
import logging
import threading
from datetime import timedelta

from pymongo.errors import PyMongoError

from .services.creation_order import number_unnumbered
from .services.events import publish_stale, record_floor
from .services.run_summary import repair_stale_writes
from .services.run_values import repair_deletions
from .timeformat import utcnow

log = logging.getLogger(__name__)


class StaleWriteRepairs(threading.Thread):
    def __init__(self, database, stale_seconds, interval_seconds):
        super().__init__(name="paddles-stale-write-repairs", daemon=True)
        self.database = database
        self.stale_seconds = stale_seconds
        self.interval_seconds = interval_seconds
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(self.interval_seconds):
            self.repair_once()

    def repair_once(self):
        """Returns how many job writes were resolved (None: the database failed)."""
        stale_before = utcnow() - timedelta(seconds=self.stale_seconds)
        try:
            resolved = repair_stale_writes(self.database, stale_before)
            numbered = number_unnumbered(self.database)
            published = publish_stale(self.database, stale_before)
            deletions = repair_deletions(self.database, stale_before)
        except PyMongoError as error:  # the database is away: next time
            log.warning("background repairs failed: %s", error)
            return None
        if resolved:
            log.warning("counted or dropped %d job writes whose request died", resolved)
        for collection, count in numbered.items():
            if count:
                log.warning("numbered %d %s created without their creation number", count,
                            collection)
        if published:
            log.warning("published the events a dead request left on %d documents", published)
        if deletions:
            log.warning("versioned %d run deletions whose request died", deletions)
        return resolved

    def stop(self):
        self.stopped.set()


def start_repairs(app, worker_timeout=None):
    """Start the repairs of `app`'s database (None when `repair_interval_seconds` is 0)."""
    state = app.extensions["paddles"]
    settings = state.settings
    if settings.repair_interval_seconds <= 0:
        return None
    if worker_timeout and settings.stale_write_seconds <= worker_timeout:
        log.warning("stale_write_seconds (%d) should exceed the worker timeout (%d s): a slow "
                    "request's job write could be judged lost", settings.stale_write_seconds,
                    worker_timeout)
    repairs = StaleWriteRepairs(state.database, settings.stale_write_seconds,
                                settings.repair_interval_seconds)
    repairs.start()
    return repairs


def record_event_floor(app):
    """What a stopping worker does (gunicorn_config's worker_exit): record the events'
    numbering floor, so that numbering goes on from the newest event even if every event
    expires before a worker runs again."""
    try:
        record_floor(app.extensions["paddles"].database)
    except PyMongoError as error:
        log.warning("could not record the events' numbering floor: %s", error)
