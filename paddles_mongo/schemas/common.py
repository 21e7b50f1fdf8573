from marshmallow import Schema, fields


class EmptySchema(Schema):
    """`{}`: what successful writes answer."""


class MessageSchema(Schema):
    """The error envelope."""
    message = fields.String()


class JobIdSchema(Schema):
    job_id = fields.String()
