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


class EventSchema(QuerySchema):
    """One change. Besides these, an event carries the keys saying what changed: `run`,
    `job_id`, `node`, `queue`, and `status`/`old_status` (job.created, job.updated when its
    status changed, run.updated), `locked_by`/`description` (node.locked, node.unlocked, which
    also has `locked_since`), `changed` (node.updated: the fields it changed),
    `paused_by`/`paused_until` (queue.updated)."""
    seq = fields.Integer(metadata={"description": "its number: strictly increasing, no gaps"})
    time = fields.String(metadata={"description": "when the change was made"})
    type = fields.String(validate=validate.OneOf(EVENT_TYPES))
    by = fields.String(allow_none=True, metadata={
        "description": "the name of the write token that made it (null: writes are open)"})


def event_to_json(event):
    body = {"seq": event["seq"], "time": format_datetime(event["time"]), "type": event["type"]}
    body.update((key, format_datetime(value) if isinstance(value, datetime) else value)
                for key, value in event.items() if key not in body and key not in STORED_ONLY)
    return body
