"""Query-string parameters. Values are always plain strings, never Mongo operators."""
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from ..domain.runs import JOB_STATUSES
from .fields import Integer

MAX_PAGING = 10 ** 9  # keeps count * page within MongoDB's 64-bit skip
COUNT_RANGE = validate.Range(min=0, max=MAX_PAGING,
                             error=f"count must be an integer from 0 to {MAX_PAGING}")
PAGE_RANGE = validate.Range(min=1, max=MAX_PAGING,
                            error=f"page must be an integer from 1 to {MAX_PAGING}")


def page_field():
    """Every list's `page`: 1-based, 1 by default."""
    return Integer(load_default=1, validate=PAGE_RANGE,
                   metadata={"description": "1-based page number"})


def count_field(description="page size", **options):
    """Every list's `count`: 0 to MAX_PAGING (each list says what 0 means)."""
    return Integer(validate=COUNT_RANGE, metadata={"description": description}, **options)


class QuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE


class PagedQuery(QuerySchema):
    """A list's `page`, or its cursor `after` (services/paging.py); its `count` is its own."""
    page = page_field()
    after = fields.String(metadata={"description": (
        "a cursor: the `X-Next-Cursor` header of the previous page (also in its `Link` "
        "header, rel=\"next\"); this page starts after that page's last item, whatever was "
        "inserted meanwhile. Not with `page`"), "example": "W1sicG9zdGVkIiwiX2lkIl0sW3s..."})

    @validates_schema
    def one_way_to_page(self, data, **_kwargs):
        if data.get("after") is not None and data.get("page", 1) != 1:
            raise ValidationError("page and after cannot be combined")


class PageQuery(PagedQuery):
    count = count_field()


class FieldsQuery(QuerySchema):
    fields = fields.String(load_default="", metadata={
        "description": "comma-separated keys to return instead of the full object",
        "example": "name,status"})


class RunListQuery(PageQuery, FieldsQuery):
    pass


class RunJobsQuery(FieldsQuery):
    status = fields.String(load_default="", validate=validate.OneOf(
        ("",) + JOB_STATUSES, error=f"status must be one of {', '.join(JOB_STATUSES)}"))


class RunFilterQuery(PageQuery, FieldsQuery):
    since = fields.String(metadata={
        "description": "YYYY-MM-DD, today or yesterday: runs scheduled on or after that day"})


class JobSearchQuery(PageQuery, FieldsQuery):
    description = fields.String(metadata={"description": "substring of the description"})
    status = fields.String(validate=validate.OneOf(
        JOB_STATUSES, error=f"status must be one of {', '.join(JOB_STATUSES)}"))
    sha1 = fields.String(metadata={"description": "exact ceph sha1; `branch` is then ignored"})
    branch = fields.String()
    user = fields.String()
    posted_after = fields.String(metadata={"description": "YYYY-MM-DD, today or yesterday"})
    posted_before = fields.String(metadata={"description": "YYYY-MM-DD, today or yesterday"})
