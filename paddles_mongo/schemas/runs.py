"""The run document: what a client sends to create one and the JSON a run is rendered as."""
from marshmallow import Schema, fields

from ..documents import RUN_TIME_FIELDS
from ..domain.runs import NO_JOBS
from ..timeformat import format_datetime
from .common import json_keys
from .fields import Name
from .jobs import JobSchema

class RunCreateSchema(Schema):
    name = Name("name")


class ResultsSchema(Schema):
    class Meta:
        ordered = True

    queued = fields.Integer()
    pass_ = fields.Integer(data_key="pass")
    running = fields.Integer()
    waiting = fields.Integer()
    fail = fields.Integer()
    dead = fields.Integer()
    unknown = fields.Integer(metadata={"description": "jobs with status unknown or none"})
    total = fields.Integer()
    sha1 = fields.String(allow_none=True, metadata={"description": "first job's; 'none' if no jobs"})
    flavor = fields.String(allow_none=True)


class RunSchema(Schema):
    name = fields.String()
    href = fields.List(fields.String(), metadata={"description": "one-element list"})
    user = fields.String()
    status = fields.String()
    results = fields.Nested(ResultsSchema)
    jobs_count = fields.Integer()
    posted = fields.String()
    scheduled = fields.String()
    started = fields.String(allow_none=True)
    updated = fields.String(allow_none=True)
    branch = fields.String()
    suite = fields.String()
    machine_type = fields.String()
    sha1 = fields.String(allow_none=True)
    priority = fields.Integer(allow_none=True)
    flavor = fields.String(allow_none=True)


class RunWithJobsSchema(RunSchema):
    jobs = fields.List(fields.Nested(JobSchema))


RUN_JSON_FIELDS = json_keys(RunSchema)
# Counts of each status and the total, then the first job's sha1 and flavor.
RESULTS_JSON_FIELDS = json_keys(ResultsSchema)
FIRST_JOB = ("sha1", "flavor")

# Stored attributes `?fields=` of `/runs/` may select (the original's columns, plus href and
# priority).
RUN_SELECTABLE_FIELDS = ("id", "name", "status", "user", "scheduled", "suite", "branch",
                         "machine_type", "posted", "started", "updated", "href", "priority")
# What `?fields=` may select where the original had none (a run, the run filters): every key
# of a run's JSON, and `id`.
RUN_KEYS = ("id", *RUN_JSON_FIELDS)
# The stored fields behind each run key that is not one itself.
STORED_BEHIND_KEY = {"id": ("_id",), "href": ("name",), "results": ("results",),
                     "jobs_count": ("results",), "sha1": ("results", "sha1"),
                     "flavor": ("results", "flavor")}


def run_stored_fields(names):
    """The stored fields the run keys `names` are made of (so a projection reads no more)."""
    return sorted({field for name in names for field in STORED_BEHIND_KEY.get(name, (name,))})


def run_href(settings, name):
    return [f"{settings.address}/runs/{name}/"]


def _first_job_value(doc, key):
    """The first job's sha1/flavor; the original said "none" for a run without jobs."""
    return doc.get(key) if doc.get("results", {}).get("total") else NO_JOBS


def run_to_json(doc, settings, names=None):
    """The keys of RunSchema, or only `names` (of RUN_KEYS). Status and results are those the
    run keeps from its jobs (services.run_summary.stored_summary), exact after every job
    write."""
    counts = doc.get("results", {})
    results = {key: counts.get(key, 0) for key in RESULTS_JSON_FIELDS if key not in FIRST_JOB}
    results.update((key, _first_job_value(doc, key)) for key in FIRST_JOB)
    summary = {"results": results, "jobs_count": results["total"], "sha1": results["sha1"],
               "flavor": results["flavor"]}
    return {name: summary[name] if name in summary else run_field_value(doc, name, settings)
            for name in names or RUN_JSON_FIELDS}


def run_field_value(doc, name, settings):
    if name == "href":
        return run_href(settings, doc["name"])
    if name == "id":
        return str(doc["_id"])
    if name in RUN_TIME_FIELDS:
        return format_datetime(doc.get(name))
    return doc.get(name)
