"""Query-string parameters. Values are always plain strings, never Mongo operators."""
from marshmallow import EXCLUDE, Schema, fields, validate

from ..domain.runs import JOB_STATUSES
from .fields import Integer

COUNT_RANGE = validate.Range(min=0, error="count must be a non-negative integer")


class QuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE


class PageQuery(QuerySchema):
    count = Integer(validate=COUNT_RANGE, metadata={"description": "page size"})
    page = Integer(load_default=1, metadata={"description": "1-based page number"})


class FieldsQuery(QuerySchema):
    fields = fields.String(load_default="", metadata={
        "description": "comma-separated stored attributes to return instead of the full object"})


class RunListQuery(PageQuery, FieldsQuery):
    pass


class RunJobsQuery(FieldsQuery):
    status = fields.String(load_default="", validate=validate.OneOf(
        ("",) + JOB_STATUSES, error=f"status must be one of {', '.join(JOB_STATUSES)}"))
