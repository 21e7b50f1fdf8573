"""Run results and the run status derivation (spec §5.4)."""

JOB_STATUSES = ("pass", "fail", "queued", "running", "dead", "unknown", "waiting")
# The order the original emits `results` in.
RESULT_STATUSES = ("queued", "pass", "running", "waiting", "fail", "dead", "unknown")
RUN_STATUSES = ("empty", "queued", "running", "waiting", "unknown",
                "finished pass", "finished fail", "finished dead")
NO_JOBS = "none"  # sha1/flavor of a run without jobs, as the original reports them


def empty_results():
    return {**dict.fromkeys(RESULT_STATUSES, 0), "total": 0, "sha1": NO_JOBS, "flavor": NO_JOBS}


def derive_run_status(results):
    """The ten rules, first match wins. `results` maps each status (null counted as `unknown`)
    and `total` to a count."""
    total = results["total"]
    if total == 0:
        return "empty"
    if results["queued"] == total:
        return "queued"
    if results["running"] > 0:
        return "running"
    if results["waiting"] > 0:
        return "waiting"
    if results["dead"] == total:
        return "finished dead"
    if results["fail"] > 0 or results["dead"] > 0:
        return "finished fail"
    if results["pass"] == total:
        return "finished pass"
    if results["queued"] > 0:
        return "queued"
    return "unknown"
