"""Events: one per change, numbered by `seq`, kept event_retention_days (docs/api.md "Events").

How a change becomes exactly one event, whatever dies when:

1. The change's event is written *with* the change, in the same atomic update of the changed
   document (run, node, queue): pushed onto its `outbox`. A job write is journalled on its
   run before it is made, and that entry is its outbox: its event (`eid`: the entry's id) is
   published once the write is known to have happened, before the entry is counted
   (run_summary._finish, by its writer, a later writer of the job or the repairs); the run's
   status change that counting makes goes onto the run's outbox in the counting update. A
   write that did not happen has no event; one that happened has its event stored with it.
2. Publishing copies outbox entries into `events` in their order, each numbered one above the
   newest event (`seq`, unique), then pulls them from the outbox. Each entry carries an `eid`
   (unique in `events`): an entry published twice (its publisher died before the pull, and the
   repairs publish it again; two publishers racing) is inserted once.
3. The writer publishes before it answers, so an acknowledged write's event is readable when
   the client hears back. Entries a dead writer left are published by every worker's repairs
   once they are stale_write_seconds old (repairs.py).

Numbering takes no number in advance: an event is inserted with the newest `seq` plus one, and
the unique index refuses it if another publisher took that number first (the loser reads the
newest again). So `seq` N+1 exists only once N does: the numbers have no gaps and a reader
never sees N+1 while N could still appear. When every event has expired, numbering continues
from the floor the repairs keep in `counters` (the newest number they saw, recorded every
repair interval and by each worker that stops), never from 1.

Deletions of a whole document (run.deleted, node.deleted) leave no document to hold an outbox:
their events are published right after the delete, before the answer; a worker killed in
between leaves that unacknowledged deletion without an event.
"""
import contextvars

from bson import ObjectId
from pymongo.errors import BulkWriteError

from ..db import EVENT_SEQ_INDEX, OUTBOX_COLLECTIONS, SEQ, dates_before, event_index_name
from ..exceptions import Unavailable
from ..timeformat import utcnow

EVENT_TYPES = ("run.created", "run.updated", "run.deleted", "job.created", "job.updated",
               "job.deleted", "node.created", "node.updated", "node.locked", "node.unlocked",
               "node.deleted", "queue.updated")
# A node's history (GET /nodes/{name}/history/): its lock, unlock and update events.
NODE_HISTORY_TYPES = ("node.locked", "node.unlocked", "node.updated")
# What an event names, by which its readers filter (db.EVENT_FILTER_FIELDS, most selective
# first).
FILTER_PREFERENCE = ("node", "run", "type")
FLOOR = "events"  # the `counters` document of the numbering floor
PUBLISH_ATTEMPTS = 100
DUPLICATE_KEY = 11000

_acting_token = contextvars.ContextVar("paddles_mongo_acting_token", default=None)


def act_as(token_name):
    """Record `token_name` as the maker of the changes this request (context) makes; returns
    what end_acting takes."""
    return _acting_token.set(token_name)


def end_acting(handle):
    _acting_token.reset(handle)


def acting_token():
    """The name of the token making this request's changes (None: writes are open)."""
    return _acting_token.get()


def change(event_type, at, **keys):
    """The event of one change, not numbered yet: what an outbox holds. `keys` name what
    changed (run, job_id, node, queue) and how (status, old_status, locked_by, ...)."""
    return {"eid": str(ObjectId()), "type": event_type, "time": at, **keys,
            "by": _acting_token.get()}


def with_outbox(update, changes):
    """`update` (an update document without `$push`) also pushing `changes` onto the
    document's outbox."""
    if not changes:
        return update
    return {**update, "$push": {"outbox": {"$each": list(changes)}}}


def publish(database, changes, collection=None, ids=()):
    """Number and store `changes` (in order), then drop them from the outbox of the documents
    `ids` of `collection` that held them."""
    if not changes:
        return
    _store_numbered(database, list(changes))
    if collection is not None and ids:
        database.db[collection].update_many(
            {"_id": {"$in": list(ids)}},
            {"$pull": {"outbox": {"eid": {"$in": [one["eid"] for one in changes]}}}})


def publish_outbox(database, collection, document):
    """Publish what `document` (with its `_id` and `outbox`) holds in its outbox."""
    publish(database, document.get("outbox") or [], collection, [document["_id"]])


def last_seq(database):
    """The newest event's number (the floor when every event has expired; 0 before any)."""
    last = database.policy.last_in_sequence(database.events, SEQ, EVENT_SEQ_INDEX)
    if last is None:
        floor = database.counters.find_one({"_id": FLOOR})
        last = floor[SEQ] if floor else 0
    return last


def _store_numbered(database, pending):
    for _attempt in range(PUBLISH_ATTEMPTS):
        first = last_seq(database) + 1
        expires = utcnow() + database.event_retention
        documents = [{**one, SEQ: first + offset, "expires": expires}
                     for offset, one in enumerate(pending)]
        try:
            database.events.insert_many(documents, ordered=True)
            return
        except BulkWriteError as error:
            details = error.details
            if any(e["code"] != DUPLICATE_KEY for e in details["writeErrors"]):
                raise
            done = details["nInserted"]
            refused = pending[done]
            # Either another publisher took the number (try again above the newest), or this
            # change is published already (by a publisher racing this one): skip it.
            published = database.events.find_one({"eid": refused["eid"]}, {"_id": 1})
            pending = pending[done + (published is not None):]
            if not pending:
                return
    raise Unavailable("events are being published too fast; please retry")


def publish_stale(database, stale_before):
    """Publish the outbox entries older than `stale_before` (their writer is gone), and raise
    the numbering floor to the newest event. Returns how many documents held such entries."""
    found = 0
    for collection in OUTBOX_COLLECTIONS:
        for document in database.db[collection].find({"outbox.time": dates_before(stale_before)},
                                                      {"outbox": 1}):
            publish_outbox(database, collection, document)
            found += 1
    record_floor(database)
    return found


def record_floor(database):
    """Raise the numbering floor to the newest event: where numbering goes on once every
    event has expired."""
    last = database.policy.last_in_sequence(database.events, SEQ, EVENT_SEQ_INDEX)
    if last is not None:
        database.counters.update_one({"_id": FLOOR}, {"$max": {SEQ: last}}, upsert=True)


def events_after(database, after, limit, types=None, run=None, node=None):
    """Up to `limit` events numbered above `after`, oldest first, of one of `types` (all if
    None), naming `run` and `node` if given."""
    query = {}
    if node is not None:
        query["node"] = node
    if run is not None:
        query["run"] = run
    if types:
        query["type"] = types[0] if len(types) == 1 else {"$in": list(types)}
    field = next((field for field in FILTER_PREFERENCE if field in query), None)
    index = event_index_name(field) if field else EVENT_SEQ_INDEX
    return database.policy.after_in_sequence(database.events, query, index, SEQ, after, limit,
                                             lambda: last_seq(database))


def node_history(database, name):
    """The node's lock, unlock and update events, newest first."""
    query = {"node": name}
    events = database.events.find(query, **database.policy.hint(query, event_index_name("node")))
    return sorted((event for event in events if event["type"] in NODE_HISTORY_TYPES),
                  key=lambda event: event[SEQ], reverse=True)
