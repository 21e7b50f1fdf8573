"""What several response shapes share."""
from marshmallow import Schema, fields


def json_keys(schema):
    """The keys of the JSON `schema` documents, in its order: the to_json functions emit
    exactly these, so a shape is declared once, in its schema."""
    return tuple(field.data_key or name for name, field in schema().fields.items())


# Answers whose keys are data, documented as OpenAPI: sorted names; {status: count}; and
# {node: {status: count}}.
NAMES = {"type": "array", "items": {"type": "string"}}
STATUS_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
NODE_STATUS_COUNTS = {"type": "object", "additionalProperties": STATUS_COUNTS}
# `null` as OpenAPI 3.0 says it: {"anyOf": [NULL, SomeSchema]} is SomeSchema or null.
NULL = {"type": "object", "nullable": True}


class EmptySchema(Schema):
    """`{}`: what successful writes answer."""


class ServiceStatusSchema(Schema):
    status = fields.String(metadata={"description": "`ok` (/health) or `ready` (/ready)"})


class JobIdSchema(Schema):
    job_id = fields.String()
