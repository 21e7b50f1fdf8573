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


PAUSED_ONLY = "only when paused"


class QueueJsonSchema(Schema):
    queue = fields.String()
    paused = fields.Boolean()
    paused_by = fields.String(allow_none=True)
    paused_since = fields.String(allow_none=True)
    paused_until = fields.String(allow_none=True)


class QueueStatsSchema(Schema):
    queue = fields.String()
    paused = fields.Boolean()
    paused_by = fields.String(allow_none=True, metadata={"description": PAUSED_ONLY})
    paused_since = fields.String(allow_none=True, metadata={"description": PAUSED_ONLY})
    paused_until = fields.String(allow_none=True, metadata={"description": PAUSED_ONLY})
    queued_jobs = fields.Integer()


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
