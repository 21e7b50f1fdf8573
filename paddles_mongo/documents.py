"""What the stored documents hold, field by field: the one table the job schema (schemas/jobs.py),
the writes (services/) and the importer derive from.

A job's settable keys are the original's whitelist, in the order its JSON emits them; each has
a kind that says how a request's value is read and how it is stored."""

TEXT = "text"            # a string (numbers become their string form)
INTEGER = "integer"      # a 64-bit integer
SECONDS = "seconds"      # an integer; fractions are rounded
BOOLEAN = "boolean"
METADATA = "metadata"    # free-form JSON, a real subdocument with its keys encoded (storage.py)
HOSTS = "hosts"          # METADATA that must be an object: {"user@host": "ssh host key"}
STATUS = "status"        # one of domain.runs.JOB_STATUSES
JOB_ID = "job_id"        # a non-empty string; the server assigns one when absent
TIMESTAMP = "timestamp"  # teuthology's `YYYY-MM-DD_HH:MM:SS`, a date as given

# key -> (kind, what the API reference says of it, if anything)
JOB_FIELDS = {
    "archive_path": (TEXT, None),
    "description": (TEXT, None),
    "duration": (SECONDS, "seconds; fractions are rounded"),
    "email": (TEXT, None),
    "failure_reason": (TEXT, None),
    "flavor": (TEXT, None),
    "job_id": (JOB_ID, "assigned by the server when absent"),
    "kernel": (METADATA, None),
    "last_in_suite": (BOOLEAN, None),
    "machine_type": (TEXT, None),
    "name": (TEXT, "teuthology puts the run name here"),
    "nuke_on_error": (BOOLEAN, None),
    "os_type": (TEXT, None),
    "os_version": (TEXT, None),
    "overrides": (METADATA, None),
    "owner": (TEXT, None),
    "pid": (TEXT, None),
    "roles": (METADATA, None),
    "sentry_event": (TEXT, None),
    "status": (STATUS, None),
    "success": (BOOLEAN, None),
    "branch": (TEXT, None),
    "seed": (INTEGER, None),
    "sha1": (TEXT, None),
    "subset": (TEXT, None),
    "suite": (TEXT, None),
    "suite_branch": (TEXT, None),
    "suite_path": (TEXT, None),
    "suite_relpath": (TEXT, None),
    "suite_repo": (TEXT, None),
    "suite_sha1": (TEXT, None),
    "targets": (HOSTS, "{'user@host': 'ssh host key'}; links the job to nodes"),
    "tasks": (METADATA, None),
    "timestamp": (TIMESTAMP, "YYYY-MM-DD_HH:MM:SS in"),
    "teuthology_branch": (TEXT, None),
    "verbose": (BOOLEAN, None),
    "pcp_grafana_url": (TEXT, None),
    "priority": (INTEGER, "changes only while queued"),
    "user": (TEXT, None),
    "queue": (TEXT, None),
    "package_source": (TEXT, None),
}
SETTABLE_FIELDS = tuple(JOB_FIELDS)
METADATA_FIELDS = tuple(name for name, (kind, _) in JOB_FIELDS.items()
                        if kind in (METADATA, HOSTS))
# The server's own times of a job (UTC), and every date a job holds.
JOB_SERVER_TIMES = ("posted", "started", "updated")
TIME_FIELDS = ("timestamp", *JOB_SERVER_TIMES)
RUN_TIME_FIELDS = ("scheduled", "posted", "started", "updated")
