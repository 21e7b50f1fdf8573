"""The job document as requests send it (read by the kinds of documents.JOB_FIELDS, the
original's whitelist) and the JSON a job is rendered as."""
from marshmallow import EXCLUDE, Schema, fields, post_load, pre_load, validate

from ..documents import (BOOLEAN, HOSTS, INTEGER, JOB_FIELDS, JOB_ID, METADATA,
                         METADATA_FIELDS, SECONDS, STATUS, TEXT, TIME_FIELDS, TIMESTAMP)
from ..domain.runs import JOB_STATUSES
from ..storage import decode_keys
from ..timeformat import format_datetime
from .common import json_keys
from .fields import Boolean, Integer, Json, LocalDateTime, TeuthologyTimestamp, Text

STATUS_CHOICES = validate.OneOf(
    JOB_STATUSES, error=f"status must be one of {', '.join(JOB_STATUSES)}")
NOT_EMPTY = validate.Length(min=1, error="job_id must not be empty")


def _field(kind, description):
    """The marshmallow field reading a request's value of a documents.JOB_FIELDS kind."""
    options = {"metadata": {"description": description}} if description else {}
    if kind == STATUS:  # may not be set to null, but a job created without one has none
        return Text(validate=STATUS_CHOICES, metadata={"nullable": True})
    if kind == JOB_ID:
        return Text(allow_none=True, validate=NOT_EMPTY, **options)
    return {
        TEXT: Text, INTEGER: Integer, BOOLEAN: Boolean, METADATA: Json,
        SECONDS: lambda **kwargs: Integer(round_fractions=True, **kwargs),
        HOSTS: lambda **kwargs: Json(object_only=True, **kwargs),
        TIMESTAMP: TeuthologyTimestamp,
    }[kind](allow_none=True, **options)


class JobBodySchema(Schema):
    """Reads a job create/update body. Unknown keys are dropped and `-` in keys reads as `_`
    (`nuke-on-error`), as in the original."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def underscore_keys(self, data, **kwargs):
        return {key.replace("-", "_") if isinstance(key, str) else key: value
                for key, value in data.items()}

    @post_load
    def drop_null_job_id(self, data, **kwargs):
        if data.get("job_id", "") is None:
            del data["job_id"]  # the original stored the string "None"; treat it as absent
        return data


# The job schema: loads a job body, documents the job JSON (keys in the order it emits them).
JobSchema = JobBodySchema.from_dict({
    "log_href": fields.String(dump_only=True),
    **{name: _field(kind, description) for name, (kind, description) in JOB_FIELDS.items()},
    "posted": fields.String(dump_only=True),
    "started": fields.String(dump_only=True, allow_none=True),
    # null until the job's first update; a client may set it but not to null
    "updated": LocalDateTime(metadata={"description": "server-local YYYY-MM-DD HH:MM:SS",
                                       "nullable": True}),
}, name="JobSchema")

class JobOutcomeSchema(Schema):
    """What became of one job of a batch (POST /runs/{run}/jobs/ with an array)."""
    job_id = fields.String(allow_none=True, metadata={
        "description": "the item's job_id (null if it has none that is valid)"})
    status = fields.Integer(metadata={
        "description": "200: written; 400: refused (nothing written); 404 or 503 only if a "
                       "concurrent deletion or endless contention defeated its write"})
    message = fields.String(metadata={"description": "why it was refused; absent on 200"})


# Stored attributes `?fields=` may name beyond the JSON keys: columns the original had but never
# filled from requests (always null here), and the computed ones.
EXTRA_SELECTABLE_FIELDS = ("id", "run_id", "repo", "teuthology_sha1", "sleep_before_teardown",
                           "issue_url", "comment", "href", "target_nodes", "run")


def log_href(settings, run_name, job_id):
    return settings.job_log_href_templ.format(run_name=run_name, job_id=job_id)


def job_field_value(doc, name, settings):
    """One key of a stored job as rendered in JSON."""
    if name == "log_href":
        return log_href(settings, doc["run"], doc["job_id"])
    if name == "href":
        return [f"{settings.address}/runs/{doc['run']}/jobs/{doc['job_id']}/"]
    if name == "id":
        return str(doc["_id"])
    if name == "run_id":
        return doc["run"]
    value = doc.get(name)
    if name in TIME_FIELDS:
        return format_datetime(value)
    if name in METADATA_FIELDS:
        return decode_keys(value)
    return value


JOB_JSON_FIELDS = json_keys(JobSchema)


def stored_fields(names):
    """The stored fields job_field_value needs for the JSON keys `names` (`?fields=`), so big
    metadata is not read for nothing."""
    stored = {"run", "job_id"}
    for name in names:
        if name == "id":
            stored.add("_id")
        elif name not in ("log_href", "href", "run_id", "run"):
            stored.add(name)
    return sorted(stored)


def job_to_json(doc, settings):
    """The keys of JobSchema."""
    return {name: job_field_value(doc, name, settings) for name in JOB_JSON_FIELDS}
