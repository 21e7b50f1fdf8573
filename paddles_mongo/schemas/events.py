"""Events (GET /events/, GET /nodes/{name}/history/): their query and their JSON."""
from datetime import datetime

from marshmallow import ValidationError, fields, validate

from ..services.events import EVENT_TYPES
from ..timeformat import format_datetime
from .fields import Integer
from .queries import QuerySchema

MAX_EVENTS_PAGE = 1000
# Kept in the database only: how the event is deduplicated and when it expires.
STORED_ONLY = ("_id", "eid", "expires")


def event_types(text):
    """`job.updated,run.updated` -> the listed types (each one of EVENT_TYPES)."""
    types = [name for name in text.split(",") if name]
    unknown = [name for name in types if name not in EVENT_TYPES]
    if unknown or not types:
        raise ValidationError(f"unknown event type {', '.join(unknown) or repr(text)}; "
                              f"known: {', '.join(EVENT_TYPES)}")
    return types


class EventTypes(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        return event_types(super()._deserialize(value, attr, data, **kwargs))


def sequence_number(text, name):
    """A `seq` given by a client (`after`, Last-Event-ID): a whole number from 0."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise ValidationError(f"{name} must be an event seq (a whole number from 0), "
                              f"got {text!r}")
    return int(text)


class EventsQuery(QuerySchema):
    after = Integer(load_default=0, validate=validate.Range(
        min=0, error="after must be an event seq (a whole number from 0)"), metadata={
        "description": "only events with a greater `seq` (the last one read; 0: from the "
                       "oldest kept). An event stream resumes from its Last-Event-ID "
                       "header instead"})
    limit = Integer(load_default=100, validate=validate.Range(
        min=1, max=MAX_EVENTS_PAGE, error=f"limit must be an integer from 1 to "
                                          f"{MAX_EVENTS_PAGE}"),
        metadata={"description": "events per page (per read of a stream)"})
    type = EventTypes(metadata={"description": "comma-separated event types (any of)"})
    run = fields.String(metadata={"description": "only events naming this run"})
    node = fields.String(metadata={"description": "only events naming this node"})


def _only_when(description, field=fields.String, **options):
    return field(allow_none=True, metadata={"description": f"only when {description}"},
                 **options)


class EventSchema(QuerySchema):
    """One change: its number, time and type, the keys naming what changed, and how."""
    seq = fields.Integer(metadata={"description": "its number: strictly increasing, no gaps"})
    time = fields.String(metadata={"description": "when the change was made"})
    type = fields.String(validate=validate.OneOf(EVENT_TYPES))
    run = _only_when("a run or one of its jobs changed (run.*, job.*)")
    job_id = _only_when("a job changed (job.*)")
    node = _only_when("a node changed (node.*)")
    queue = _only_when("a queue changed (queue.updated)")
    status = _only_when("job.created, run.updated, and job.updated when the job's status "
                        "changed: the status after")
    old_status = _only_when("run.updated, and job.updated when the job's status changed: "
                            "the status before")
    locked_by = _only_when("node.locked (the new holder) and node.unlocked (the holder whose "
                           "lock ended)")
    description = _only_when("node.locked and node.unlocked: what the lock was for")
    locked_since = _only_when("node.unlocked: when the lock it ended began")
    changed = _only_when("node.updated: the node fields the change set to new values",
                         field=fields.List, cls_or_instance=fields.String())
    paused_by = _only_when("queue.updated: who paused the queue (null: not paused)")
    paused_until = _only_when("queue.updated: until when it is paused")
    by = fields.String(allow_none=True, metadata={
        "description": "the name of the write token that made it (null: writes are open)"})


def event_to_json(event):
    body = {"seq": event["seq"], "time": format_datetime(event["time"]), "type": event["type"]}
    body.update((key, format_datetime(value) if isinstance(value, datetime) else value)
                for key, value in event.items() if key not in body and key not in STORED_ONLY)
    return body
