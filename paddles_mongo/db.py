"""The MongoDB connection, collection handles, the query policy (query_policy.py), and every
index the service relies on.

INDEXES is the one declaration of indexes: `scripts/create-indexes` creates them, tests check
that queries use them.
"""
import re
from datetime import datetime, timedelta

from pymongo import ASCENDING, DESCENDING, IndexModel, MongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError
from pymongo.uri_parser import split_options

from .config import WRITE_CONCERNS
from .query_policy import choose_policy
from .text_search import DESCRIPTION_INDEX, GRAMS_FIELD
from .run_dimensions import DAY, DIMENSION_PAIRS, RUN_DIMENSIONS

DEFAULT_DATABASE = "paddles"

# Run lists sort by scheduled, newest first, ties broken by _id so deep pages are stable.
SCHEDULED_ORDER = [("scheduled", DESCENDING), ("_id", DESCENDING)]
SCHEDULED_INDEX = "scheduled"
# Job search (/jobs/) filters, newest posted first.
JOB_SEARCH_FIELDS = ("status", "sha1", "branch", "user")
POSTED_ORDER = [("posted", DESCENDING), ("_id", DESCENDING)]
RUNS_POSTED_INDEX = "posted"  # the newest runs (`/runs/`)
# A run's jobs, newest posted first; the run numbers its jobs as they are created (`seq`), which
# orders jobs posted in the same millisecond by different processes.
RUN_JOBS_ORDER = [("posted", DESCENDING), ("seq", DESCENDING), ("_id", DESCENDING)]
JOB_ID_ORDER = [("job_id", ASCENDING)]
RUN_JOB_ID_INDEX = "run_job_id_unique"
QUEUE_INDEX = "queue_status_priority"
TEST_INDEX = "test_id_posted"
SIGNATURE_INDEX = "failure_signature_posted"
QUEUED_RUNS = {"results.queued": {"$gt": 0}}  # runs with a queued job (their counted results)
QUEUED_RUNS_INDEX = "queued_scheduled"
JOBS_POSTED_LAST = "jobs_posted.last"  # the newest `posted` of a run's jobs (run_summary.py)
JOBS_POSTED_LAST_INDEX = "jobs_posted_last"
# Runs whose values of versioned dimensions changed since the run values' version last moved
# (services/run_values.py): marked by the change itself, cleared by the reader that moves it.
VALUES_MARK = "values_changed"
MARKED_RUNS = {VALUES_MARK: {"$exists": True}}
MARKED_RUNS_INDEX = "values_changed"
# Nodes and queues list in creation order: `seq`, numbered from a counter in the database
# (services/creation_order.py), because ObjectIds from different processes do not order by
# creation time; `_id` orders the rare document not numbered yet.
SEQ = "seq"
CREATION_ORDER = [(SEQ, ASCENDING), ("_id", ASCENDING)]
CREATION_ORDERED = ("nodes", "queues")
NODE_FILTER_FIELDS = ("machine_type", "locked_by", "os_type", "os_version", "locked", "up")
# Events (services/events.py): numbered by `seq`, read after a seq, alone or by what they name.
EVENT_SEQ_INDEX = "seq_unique"
EVENT_FILTER_FIELDS = ("type", "run", "node")
# Events written with a document's change, in the same update, and not yet published: by age.
OUTBOX_INDEX = "outbox_time"
OUTBOX_COLLECTIONS = ("runs", "nodes", "queues")


def event_index_name(field):
    return f"{field}_seq"


def prefix_condition(prefix):
    """Strings starting with `prefix`: an index range (which a planner can bound), plus the
    anchored pattern that keeps the match exact on arrays, whose elements a range alone may
    mix."""
    condition = {"$gte": prefix, "$regex": "^" + re.escape(prefix)}
    last = prefix[-1:]
    if last and ord(last) < 0x10FFFF:
        condition["$lt"] = prefix[:-1] + chr(ord(last) + 1)
    return condition


EARLIEST = datetime(1970, 1, 1)  # before any date this service stores


def dates_before(moment):
    """Dates before `moment`: an index range bounded on both sides. (With no lower bound the
    local database walks the index from its start, through the entries of every document
    without such a date, and reads each: 1.8 s for the runs with journal entries of a lab of
    10,000 runs, none of which had one.)"""
    return {"$gte": EARLIEST, "$lt": moment}


def node_index_name(field):
    return f"{field}_seq" if field != SEQ else SEQ


def node_jobs_index_name(field):
    """The index of a node's jobs (by hostname in `target_nodes`), newest `field` first."""
    return f"target_nodes_{field}"


def search_index_name(field):
    return f"{field}_posted" if field != "posted" else "posted"


INDEXES = {
    "runs": [
        IndexModel([("name", ASCENDING)], name="name_unique", unique=True),
        IndexModel(POSTED_ORDER, name=RUNS_POSTED_INDEX),
        # The run filters (run_dimensions.py): one index per dimension, each also serving the
        # sort by scheduled (the date dimension's own).
        IndexModel(SCHEDULED_ORDER, name=SCHEDULED_INDEX),
        *(IndexModel([(dimension.field, ASCENDING), *SCHEDULED_ORDER], name=dimension.index)
          for dimension in RUN_DIMENSIONS if dimension.match != DAY),
        *(IndexModel([(dimension.field, ASCENDING) for dimension in pair.dimensions]
                     + SCHEDULED_ORDER, name=pair.index) for pair in DIMENSION_PAIRS),
        # Job writes begun and not yet counted, by age: what the repairs look for
        # (services/run_summary.py).
        IndexModel([("pending.at", ASCENDING)], name="pending_at"),
        # Runs with queued jobs, oldest first (`/runs/queued/`): only those runs are in it.
        IndexModel([("scheduled", ASCENDING), ("_id", ASCENDING)], name=QUEUED_RUNS_INDEX,
                   partialFilterExpression=QUEUED_RUNS),
        # Runs with jobs posted since a time: the node job stats (services/nodes.py).
        IndexModel([(JOBS_POSTED_LAST, ASCENDING)], name=JOBS_POSTED_LAST_INDEX),
        IndexModel([("outbox.time", ASCENDING)], name=OUTBOX_INDEX),
        # Runs with a change of their filter values not yet versioned: usually none.
        IndexModel([(VALUES_MARK, ASCENDING)], name=MARKED_RUNS_INDEX,
                   partialFilterExpression=MARKED_RUNS),
    ],
    "jobs": [
        # Job ids are unique within a run; this also serves every per-run read (a run's jobs
        # are read whole, and ordered by posted here), the recount pipeline (sorted by job_id)
        # and the run's first job. Every index costs every job write: keep them few.
        IndexModel([("run", ASCENDING), ("job_id", ASCENDING)], name=RUN_JOB_ID_INDEX,
                   unique=True),
        # Hostnames from `targets`: the job <-> node links, and node job history (newest
        # posted first; by last update for scripts/node-jobs).
        *(IndexModel([("target_nodes", ASCENDING), (field, DESCENDING), ("_id", DESCENDING)],
                     name=node_jobs_index_name(field)) for field in ("posted", "updated")),
        # Queues: pop_queue (by priority) and queued-job counts.
        IndexModel([("queue", ASCENDING), ("status", ASCENDING), ("priority", ASCENDING),
                    ("_id", ASCENDING)], name=QUEUE_INDEX),
        IndexModel(POSTED_ORDER, name=search_index_name("posted")),
        # expire-jobs, and operators' "finished lately": stale jobs by status and last update.
        IndexModel([("status", ASCENDING), ("updated", ASCENDING)], name="status_updated"),
        *(IndexModel([(field, ASCENDING), *POSTED_ORDER], name=search_index_name(field))
          for field in JOB_SEARCH_FIELDS),
        # The lab's questions (services/lab_questions.py): a test's history, a failure
        # signature's jobs.
        IndexModel([("test_id", ASCENDING), *POSTED_ORDER], name=TEST_INDEX),
        IndexModel([("failure_signature", ASCENDING), *POSTED_ORDER], name=SIGNATURE_INDEX),
        # Description search: the 3-grams of each description (about one entry per character;
        # not on the local database, see query_policy.py).
        IndexModel([(GRAMS_FIELD, ASCENDING), *POSTED_ORDER], name=DESCRIPTION_INDEX),
    ],
    "nodes": [
        IndexModel([("name", ASCENDING)], name="name_unique", unique=True),
        # Node lists come in creation order; one index per filter (services/nodes.py).
        IndexModel(CREATION_ORDER, name=node_index_name(SEQ)),
        *(IndexModel([(field, ASCENDING), *CREATION_ORDER], name=node_index_name(field))
          for field in NODE_FILTER_FIELDS),
        IndexModel([("outbox.time", ASCENDING)], name=OUTBOX_INDEX),
    ],
    "queues": [
        IndexModel([("queue", ASCENDING)], name="queue_unique", unique=True),
        IndexModel(CREATION_ORDER, name=SEQ),
        IndexModel([("paused_by", ASCENDING)], name="paused_by"),
        IndexModel([("outbox.time", ASCENDING)], name=OUTBOX_INDEX),
    ],
    "events": [
        # The sequence itself: one event per number, and the pages of every reader.
        IndexModel([(SEQ, ASCENDING)], name=EVENT_SEQ_INDEX, unique=True),
        # One event per change: a change published twice (its outbox entry read by two
        # publishers) is inserted once.
        IndexModel([("eid", ASCENDING)], name="eid_unique", unique=True),
        *(IndexModel([(field, ASCENDING), (SEQ, ASCENDING)], name=event_index_name(field))
          for field in EVENT_FILTER_FIELDS),
        # Retention: each event carries the date it expires (event_retention_days after it was
        # published), removed by the server's TTL monitor.
        IndexModel([("expires", ASCENDING)], name="expires_ttl", expireAfterSeconds=0),
    ],
}


# {index name: its key fields}, for the query policy (a name used in two collections names
# the same keys there).
INDEX_KEYS = {model.document["name"]: tuple(model.document["key"])
              for models in INDEXES.values() for model in models}

# Indexes an earlier version declared and this one replaced: create_indexes drops them.
RETIRED_INDEXES = {"nodes": [f"{field}_id" for field in NODE_FILTER_FIELDS]}


COUNTER_ATTEMPTS = 5


def write_concern_options(settings):
    """The MongoClient options of the `mongo_write_concern` setting (config.WRITE_CONCERNS),
    less those the URI names itself: an operator's `w` or `journal` in the URI wins."""
    query = settings.mongo_uri.partition("?")[2]
    in_uri = split_options(query) if query else {}
    return {name: value for name, value in WRITE_CONCERNS[settings.mongo_write_concern].items()
            if name not in in_uri}


class Database:
    """One MongoClient per process (gunicorn workers each build their own after forking).
    `client_factory` builds it from the URI and MongoClient's options: the tests' fast tier
    passes an in-process stand-in (tests/conftest.py)."""

    def __init__(self, settings, event_listeners=(), client_factory=MongoClient):
        self.client = client_factory(
            settings.mongo_uri,
            serverSelectionTimeoutMS=settings.mongo_server_selection_timeout_ms,
            connectTimeoutMS=settings.mongo_connect_timeout_ms,
            socketTimeoutMS=settings.mongo_socket_timeout_ms,
            event_listeners=list(event_listeners),
            appname="paddles-mongo",
            connect=False,
            **write_concern_options(settings),
        )
        self.db = self.client.get_default_database(default=DEFAULT_DATABASE)
        self.runs = self.db.runs
        self.jobs = self.db.jobs
        self.nodes = self.db.nodes
        self.queues = self.db.queues
        self.counters = self.db.counters
        self.events = self.db.events
        self.event_retention = timedelta(days=settings.event_retention_days)
        self._policy_setting = settings.query_policy
        self._policy = None

    @property
    def policy(self):
        """How queries are shaped for this server (query_policy.py); for `auto`, asked of the
        server on first use."""
        if self._policy is None:
            chosen = choose_policy(self._policy_setting,
                                   lambda: self.client.admin.command("buildInfo"))
            self._policy = chosen(INDEX_KEYS)
        return self._policy

    def take_numbers(self, counter, count=1):
        """Take the next `count` numbers of the database-wide sequence `counter` (a document
        of `counters`: {_id: counter, seq: the last number taken}); returns the first."""
        for _attempt in range(COUNTER_ATTEMPTS):
            try:
                taken = self.counters.find_one_and_update(
                    {"_id": counter}, {"$inc": {"seq": count}}, upsert=True,
                    return_document=ReturnDocument.AFTER)
            except DuplicateKeyError:
                taken = None
            # The first use of a counter races to create it: the upsert that loses answers a
            # duplicate key error (MongoDB) or no document (the local database, which may
            # have counted it: numbers can go unused, never twice), and the counter exists now.
            if taken is not None:
                return taken["seq"] - count + 1
        raise RuntimeError(f"counter {counter} could not be incremented")

    def close(self):
        self.client.close()


def declared_indexes(database):
    """INDEXES, less those the database's query policy goes without."""
    skipped = database.policy.skipped_indexes
    return {collection: [model for model in models if model.document["name"] not in skipped]
            for collection, models in INDEXES.items()}


def create_indexes(database):
    """Create every declared index and drop the retired ones (idempotent). Returns
    {collection: [index names]}."""
    for collection, names in RETIRED_INDEXES.items():
        present = database.db[collection].index_information()
        for name in names:
            if name in present:
                database.db[collection].drop_index(name)
    return {name: database.db[name].create_indexes(models)
            for name, models in declared_indexes(database).items()}


def index_drift(database):
    """Compare the indexes in the database with those declared for it. Returns (missing,
    unexpected, different): lists of `collection.index` names."""
    missing, unexpected, different = [], [], []
    for collection, models in declared_indexes(database).items():
        present = database.db[collection].index_information()
        present.pop("_id_", None)
        for model in models:
            wanted = model.document
            name = f"{collection}.{wanted['name']}"
            existing = present.pop(wanted["name"], None)
            if existing is None:
                missing.append(name)
            elif (list(existing["key"]) != list(wanted["key"].items())
                  or bool(existing.get("unique")) != bool(wanted.get("unique"))):
                different.append(name)
        unexpected.extend(f"{collection}.{name}" for name in present)
    return missing, unexpected, different
