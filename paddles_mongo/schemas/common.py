from marshmallow import Schema, fields


class EmptySchema(Schema):
    """`{}`: what successful writes answer."""


class JobIdSchema(Schema):
    job_id = fields.String()
