"""Queues (the original's 2021 "paddles as queue backend"): pause windows and queued jobs."""
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from ..db import CREATION_ORDER, QUEUE_INDEX, RUN_JOB_ID_INDEX, SEQ
from ..domain.queues import is_paused, plan_queue_update
from ..exceptions import InvalidInput, Unavailable
from ..query_policy import BATCH_LIMIT
from . import events

WRITE_ATTEMPTS = 100
NO_SUCH_QUEUE = "specified queue does not exist"


def list_queues(database, name=None, paused_by=None):
    query = {}
    if name:
        query["queue"] = name
    if paused_by:
        query["paused_by"] = paused_by
    return list(database.queues.find(query).sort(CREATION_ORDER))


def get_queue(database, name):
    queue = database.queues.find_one({"queue": name})
    if queue is None:
        raise InvalidInput(NO_SUCH_QUEUE)
    return queue


def create_queue(database, request, now):
    document = {"queue": request["queue"], "paused_by": None, "paused_since": None,
                "paused_until": None, **plan_queue_update(None, request, now), "rev": 0,
                SEQ: database.take_numbers("queues")}
    document["outbox"] = [queue_change(document, now)]
    try:
        database.queues.insert_one(document)
    except DuplicateKeyError:
        raise InvalidInput(f"Queue {request['queue']} already exists") from None
    events.publish_outbox(database, "queues", document)


def queue_change(queue, now):
    """queue.updated, with the queue's pause state after the change."""
    return events.change("queue.updated", now, queue=queue["queue"],
                         paused_by=queue.get("paused_by"), paused_until=queue.get("paused_until"))


def update_queue(database, request, now):
    for _attempt in range(WRITE_ATTEMPTS):
        current = get_queue(database, request["queue"])
        fields = plan_queue_update(current, request, now)
        change = queue_change({**current, **fields}, now)
        updated = database.queues.find_one_and_update(
            {"_id": current["_id"], "rev": current.get("rev")},
            events.with_outbox({"$set": fields, "$inc": {"rev": 1}}, [change]),
            projection={"outbox": 1}, return_document=ReturnDocument.AFTER)
        if updated is not None:
            events.publish_outbox(database, "queues", updated)
            return
    raise Unavailable("queue is being updated concurrently; please retry")


def next_job(database, name, now):
    """The queued job of the queue with the smallest priority (unprioritised last), without
    removing it; None if the queue or such a job does not exist."""
    queue = database.queues.find_one({"queue": name})
    if queue is None:
        return None
    if is_paused(queue, now):
        raise Unavailable("queue is paused, cannot retrieve job")
    for priority in ({"$ne": None}, None):
        job = database.jobs.find_one({"queue": name, "status": "queued", "priority": priority},
                                     sort=[("priority", 1), ("_id", 1)], hint=QUEUE_INDEX)
        if job is not None:
            return job
    return None


def queued_count(database, name):
    return database.jobs.count_documents({"queue": name, "status": "queued"}, hint=QUEUE_INDEX)


def queued_jobs(database, name, run_name=None, user=None):
    """Queued jobs of the queue; of a run instead when `run_name` is given (the queue is then
    ignored, as in the original), or of the queue's jobs by one `user`."""
    get_queue(database, name)
    if run_name:
        query, hint = {"run": run_name, "status": "queued"}, RUN_JOB_ID_INDEX
    else:
        query, hint = {"queue": name, "status": "queued"}, QUEUE_INDEX
        if user:
            query["user"] = user
    return list(database.jobs.find(query).sort("_id", 1).hint(hint).batch_size(BATCH_LIMIT))
