"""The job document: which keys a client may set (the original's whitelist, spec §4.2), their
types, and the JSON a job is rendered as."""
from marshmallow import EXCLUDE, Schema, fields, post_load, pre_load, validate

from ..domain.runs import JOB_STATUSES
from ..storage import decode_keys
from ..timeformat import format_datetime
from .fields import Boolean, Integer, Json, LocalDateTime, TeuthologyTimestamp, Text

STATUS_CHOICES = validate.OneOf(
    JOB_STATUSES, error=f"status must be one of {', '.join(JOB_STATUSES)}")
NOT_EMPTY = validate.Length(min=1, error="job_id must not be empty")


class JobSchema(Schema):
    """Loads a job create/update body; documents the job JSON. Unknown keys are dropped and
    `-` in keys reads as `_` (`nuke-on-error`), as in the original."""

    class Meta:
        unknown = EXCLUDE

    log_href = fields.String(dump_only=True)
    archive_path = Text(allow_none=True)
    description = Text(allow_none=True)
    duration = Integer(round_fractions=True, allow_none=True,
                       metadata={"description": "seconds; fractions are rounded"})
    email = Text(allow_none=True)
    failure_reason = Text(allow_none=True)
    flavor = Text(allow_none=True)
    job_id = Text(allow_none=True, validate=NOT_EMPTY,
                  metadata={"description": "assigned by the server when absent"})
    kernel = Json(allow_none=True)
    last_in_suite = Boolean(allow_none=True)
    machine_type = Text(allow_none=True)
    name = Text(allow_none=True, metadata={"description": "teuthology puts the run name here"})
    nuke_on_error = Boolean(allow_none=True)
    os_type = Text(allow_none=True)
    os_version = Text(allow_none=True)
    overrides = Json(allow_none=True)
    owner = Text(allow_none=True)
    pid = Text(allow_none=True)
    roles = Json(allow_none=True)
    sentry_event = Text(allow_none=True)
    status = Text(validate=STATUS_CHOICES)
    success = Boolean(allow_none=True)
    branch = Text(allow_none=True)
    seed = Integer(allow_none=True)
    sha1 = Text(allow_none=True)
    subset = Text(allow_none=True)
    suite = Text(allow_none=True)
    suite_branch = Text(allow_none=True)
    suite_path = Text(allow_none=True)
    suite_relpath = Text(allow_none=True)
    suite_repo = Text(allow_none=True)
    suite_sha1 = Text(allow_none=True)
    targets = Json(object_only=True, allow_none=True,
                   metadata={"description": "{'user@host': 'ssh host key'}; links the job to nodes"})
    tasks = Json(allow_none=True)
    timestamp = TeuthologyTimestamp(allow_none=True,
                                    metadata={"description": "YYYY-MM-DD_HH:MM:SS in"})
    teuthology_branch = Text(allow_none=True)
    verbose = Boolean(allow_none=True)
    pcp_grafana_url = Text(allow_none=True)
    priority = Integer(allow_none=True, metadata={"description": "changes only while queued"})
    user = Text(allow_none=True)
    queue = Text(allow_none=True)
    package_source = Text(allow_none=True)
    posted = fields.String(dump_only=True)
    started = fields.String(dump_only=True)
    updated = LocalDateTime(metadata={"description": "server-local YYYY-MM-DD HH:MM:SS"})

    @pre_load
    def underscore_keys(self, data, **kwargs):
        return {key.replace("-", "_") if isinstance(key, str) else key: value
                for key, value in data.items()}

    @post_load
    def drop_null_job_id(self, data, **kwargs):
        if data.get("job_id", "") is None:
            del data["job_id"]  # the original stored the string "None"; treat it as absent
        return data


# Keys a client sets, in the order the original emits them.
SETTABLE_FIELDS = tuple(name for name, field in JobSchema._declared_fields.items()
                        if not field.dump_only and name != "updated")
METADATA_FIELDS = tuple(name for name in SETTABLE_FIELDS
                        if isinstance(JobSchema._declared_fields[name], Json))
TIME_FIELDS = ("timestamp", "posted", "started", "updated")
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


JOB_JSON_FIELDS = ("log_href",) + SETTABLE_FIELDS + ("posted", "started", "updated")


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
    return {name: job_field_value(doc, name, settings) for name in JOB_JSON_FIELDS}
