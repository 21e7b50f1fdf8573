"""The lab's questions: their query parameters and answers (services/lab_questions.py)."""
from marshmallow import Schema, fields, validate

from ..domain.lab_questions import COMPARE_LISTS
from ..timeformat import format_datetime
from .common import json_keys
from .fields import Integer
from .nodes import MAX_SINCE_DAYS
from .queries import PagedQuery, QuerySchema, count_field


def required_text(name, description):
    return fields.String(required=True, metadata={"description": description},
                         error_messages={"required": f"{name} is required"})


def days_field(name, default, description):
    return Integer(load_default=default, metadata={"description": description},
                   validate=validate.Range(
                       min=1, max=MAX_SINCE_DAYS,
                       error=f"{name} must be an integer from 1 to {MAX_SINCE_DAYS}"))


class RunValuesQuery(QuerySchema):
    """Filters on the runs' values (as their jobs corrected them)."""
    branch = fields.String()
    machine_type = fields.String()


class TestHistoryQuery(PagedQuery):
    suite = required_text("suite", "the test's suite")
    description = required_text("description", "the test's job description, exact")
    branch = fields.String()
    machine_type = fields.String()
    os_type = fields.String()
    os_version = fields.String()
    count = count_field("page size; 0 returns every job", load_default=25)


class FlakyTestsQuery(RunValuesQuery):
    suite = required_text("suite", "the tests' suite")
    since_days = days_field("since_days", 14, "jobs posted in the last N days")
    min_jobs = Integer(load_default=3, validate=validate.Range(
        min=2, max=10 ** 6, error="min_jobs must be an integer from 2 to 1000000"),
        metadata={"description": "least finished jobs a test needs"})
    count = count_field("most tests answered; 0 answers all", load_default=50)


class CompareQuery(QuerySchema):
    baseline = fields.String(metadata={
        "description": "the run to compare with (default: the newest earlier run of the same "
                       "suite, branch and machine type with finished jobs)"})


class FailuresQuery(RunValuesQuery):
    since_days = days_field("since_days", 7, "jobs posted in the last N days")
    suite = fields.String()
    count = count_field("most signatures answered; 0 answers all", load_default=50)


class FailureJobsQuery(PagedQuery):
    signature = fields.String(required=True, metadata={"description": "a failure signature"},
                              error_messages={"required": "signature is required"})
    since_days = days_field("since_days", 7, "jobs posted in the last N days")
    count = count_field("page size; 0 returns every job", load_default=25)


class TrendsQuery(RunValuesQuery):
    suite = required_text("suite", "the runs' suite")
    days = days_field("days", 30, "UTC days, ending today")


class TestJobSchema(Schema):
    """One job of a test's history (or of a failure signature)."""
    run = fields.String()
    job_id = fields.String()
    status = fields.String(allow_none=True)
    success = fields.Boolean(allow_none=True)
    posted = fields.String()
    started = fields.String(allow_none=True)
    updated = fields.String(allow_none=True)
    sha1 = fields.String(allow_none=True)
    branch = fields.String(allow_none=True)
    machine_type = fields.String(allow_none=True)
    os_type = fields.String(allow_none=True)
    os_version = fields.String(allow_none=True)
    failure_reason = fields.String(allow_none=True)
    href = fields.String(metadata={"description": "the job's URL"})


TEST_JOB_FIELDS = json_keys(TestJobSchema)
TIME_KEYS = ("posted", "started", "updated")


def test_job_to_json(doc, settings):
    return {key: (f"{settings.address}/runs/{doc['run']}/jobs/{doc['job_id']}/" if key == "href"
                  else format_datetime(doc.get(key)) if key in TIME_KEYS else doc.get(key))
            for key in TEST_JOB_FIELDS}


class FlakyTestSchema(Schema):
    suite = fields.String()
    description = fields.String()
    jobs = fields.Integer(metadata={"description": "finished jobs: pass, fail, dead"})
    pass_ = fields.Integer(data_key="pass")
    fail = fields.Integer()
    dead = fields.Integer()
    flips = fields.Integer(metadata={
        "description": "consecutive finished jobs (by posted) of differing pass/not-pass"})
    flip_rate = fields.Float(metadata={"description": "flips / (jobs - 1), 3 decimals"})
    pass_rate = fields.Float(metadata={"description": "pass / jobs, 3 decimals"})
    last_status = fields.String()
    last_run = fields.String()
    last_job_id = fields.String()


class ComparedJobSchema(Schema):
    description = fields.String()
    job_id = fields.String(allow_none=True)
    baseline_job_id = fields.String(allow_none=True)
    was = fields.String(allow_none=True)
    now = fields.String(allow_none=True)


class ComparisonSchema(Schema):
    run = fields.String()
    baseline = fields.String(allow_none=True)
    regressions = fields.List(fields.Nested(ComparedJobSchema))
    fixes = fields.List(fields.Nested(ComparedJobSchema))
    still_failing = fields.List(fields.Nested(ComparedJobSchema))
    new = fields.List(fields.Nested(ComparedJobSchema))
    missing = fields.List(fields.Nested(ComparedJobSchema))
    pending = fields.List(fields.Nested(ComparedJobSchema))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": f"entries in each list: {', '.join(COMPARE_LISTS)}"})


class FailureGroupSchema(Schema):
    signature = fields.String()
    example = fields.String(allow_none=True, metadata={"description": "one reason, in full"})
    jobs = fields.Integer()
    runs = fields.Integer()
    tests = fields.Integer(metadata={"description": "distinct descriptions"})
    first_seen = fields.String()
    last_seen = fields.String()
    last_run = fields.String()


def failure_group_to_json(group):
    return {key: format_datetime(group[key]) if key in ("first_seen", "last_seen")
            else group[key] for key in json_keys(FailureGroupSchema)}


class TrendDaySchema(Schema):
    date = fields.String(metadata={"description": "YYYY-MM-DD (UTC)"})
    runs = fields.Integer()
    jobs = fields.Integer()
    pass_ = fields.Integer(data_key="pass")
    fail = fields.Integer()
    dead = fields.Integer()
    pass_rate = fields.Float(allow_none=True, metadata={
        "description": "pass / (pass + fail + dead), 3 decimals; null when none finished"})

