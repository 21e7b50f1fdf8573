"""Run results and the run status derivation (spec §5.4)."""

JOB_STATUSES = ("pass", "fail", "queued", "running", "dead", "unknown", "waiting")
# The order the original emits `results` in.
RESULT_STATUSES = ("queued", "pass", "running", "waiting", "fail", "dead", "unknown")
NO_JOBS = "none"  # sha1/flavor of a run without jobs, as the original reports them

# The rules, first match wins, FALLBACK_RUN_STATUS when none does: (run status, test, job
# statuses). "none": the run has no jobs; "all": every job has one of the statuses; "any": at
# least one has. Kept as data so the same rules are applied here and in the database update
# that stores a run's status (services.run_summary).
RUN_STATUS_RULES = (
    ("empty", "none", ()),
    ("queued", "all", ("queued",)),
    ("running", "any", ("running",)),
    ("waiting", "any", ("waiting",)),
    ("finished dead", "all", ("dead",)),
    ("finished fail", "any", ("fail", "dead")),
    ("finished pass", "all", ("pass",)),
    ("queued", "any", ("queued",)),
)
FALLBACK_RUN_STATUS = "unknown"


def empty_results():
    return {**dict.fromkeys(RESULT_STATUSES, 0), "total": 0, "sha1": NO_JOBS, "flavor": NO_JOBS}


def result_key(status):
    """The `results` counter a job with `status` counts in (null counts as `unknown`), or None
    for a status outside the result counters."""
    if status is None:
        return "unknown"
    return status if status in RESULT_STATUSES else None


def derive_run_status(results):
    """RUN_STATUS_RULES applied to `results` (each status and `total` mapped to a count)."""
    total = results["total"]
    for status, test, statuses in RUN_STATUS_RULES:
        count = sum(results[s] for s in statuses)
        if ((test == "none" and total == 0) or (test == "all" and count == total)
                or (test == "any" and count > 0)):
            return status
    return FALLBACK_RUN_STATUS
