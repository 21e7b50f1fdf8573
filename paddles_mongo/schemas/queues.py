"""Queue documents (spec §4.4): one per queue name, with a pause window."""
from marshmallow import EXCLUDE, Schema, fields, validate

from ..domain.queues import is_paused
from ..timeformat import format_datetime
from .common import json_keys
from .fields import Name, Text, WireDateTime
from .queries import QuerySchema

QUEUE_REQUIRED = "could not find required key: 'queue'"


class QueueSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    queue = Name("queue", metadata={"description": "queue name, usually a machine type"})
    paused_by = Text(allow_none=True)
    paused_since = WireDateTime(allow_none=True)
    paused_until = WireDateTime(allow_none=True, metadata={
        "description": "null un-pauses the queue"})
    pause_duration = fields.Float(allow_none=True, validate=validate.Range(
        min=0, error="pause_duration must be a non-negative number of seconds"))


PAUSE_FIELDS = ("paused_by", "paused_since", "paused_until")


def _queue_json_fields(pause_description=None):
    metadata = {"description": pause_description} if pause_description else {}
    return {"queue": fields.String(), "paused": fields.Boolean(),
            **{name: fields.String(allow_none=True, metadata=metadata) for name in PAUSE_FIELDS}}


QueueJsonSchema = Schema.from_dict(_queue_json_fields(), name="QueueJsonSchema")
# /queue/stats/: the queue JSON, its pause fields only while paused, then the queued jobs.
QueueStatsSchema = Schema.from_dict(
    {**_queue_json_fields("only when paused"), "queued_jobs": fields.Integer()},
    name="QueueStatsSchema")


class QueueListQuery(QuerySchema):
    machine_type = fields.String(metadata={
        "description": "queue name; a value containing `|` means the queue `multi`"})
    paused_by = fields.String()


QUEUE_JSON_FIELDS = json_keys(QueueJsonSchema)


def queue_to_json(queue, now):
    """The keys of QueueJsonSchema."""
    values = {"paused": is_paused(queue, now),
              "paused_since": format_datetime(queue.get("paused_since")),
              "paused_until": format_datetime(queue.get("paused_until"))}
    return {name: values[name] if name in values else queue.get(name)
            for name in QUEUE_JSON_FIELDS}


def queue_stats(queue, queued_jobs, now):
    """The keys of QueueStatsSchema."""
    body = queue_to_json(queue, now)
    shown = json_keys(QueueStatsSchema) if body["paused"] else (
        name for name in json_keys(QueueStatsSchema) if name not in PAUSE_FIELDS)
    return {name: queued_jobs if name == "queued_jobs" else body[name] for name in shown}
