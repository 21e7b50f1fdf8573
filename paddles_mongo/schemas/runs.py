"""The run document: what a client sends to create one and the JSON a run is rendered as."""
from marshmallow import Schema, fields

from ..domain.runs import RESULT_STATUSES
from ..timeformat import format_datetime
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


# Stored attributes `?fields=` may select (the original's columns, plus href and priority).
RUN_SELECTABLE_FIELDS = ("id", "name", "status", "user", "scheduled", "suite", "branch",
                         "machine_type", "posted", "started", "updated", "href", "priority")
RUN_TIME_FIELDS = ("scheduled", "posted", "started", "updated")


def run_href(settings, name):
    return [f"{settings.address}/runs/{name}/"]


def run_to_json(doc, summary, settings):
    """`summary`: results of the run's jobs (see services.runs.summarize_runs); status and
    results come from it, live, as the original recomputed them on every read."""
    results = {key: summary[key] for key in (*RESULT_STATUSES, "total", "sha1", "flavor")}
    return {
        "name": doc["name"],
        "href": run_href(settings, doc["name"]),
        "user": doc.get("user"),
        "status": summary["status"],
        "results": results,
        "jobs_count": summary["total"],
        "posted": format_datetime(doc.get("posted")),
        "scheduled": format_datetime(doc.get("scheduled")),
        "started": format_datetime(doc.get("started")),
        "updated": format_datetime(doc.get("updated")),
        "branch": doc.get("branch"),
        "suite": doc.get("suite"),
        "machine_type": doc.get("machine_type"),
        "sha1": summary["sha1"],
        "priority": summary["priority"],
        "flavor": summary["flavor"],
    }


def run_field_value(doc, name, summary, settings):
    if name == "href":
        return run_href(settings, doc["name"])
    if name == "id":
        return str(doc["_id"])
    if name == "priority":
        return summary["priority"]
    if name in RUN_TIME_FIELDS:
        return format_datetime(doc.get(name))
    return doc.get(name)
