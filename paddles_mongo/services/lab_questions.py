"""The lab's questions of its results, answered from indexes (domain/lab_questions.py says what
a test, a signature, a flip and a regression are):

- a test's history: its jobs through `test_id_posted`, newest first;
- flaky tests of a suite: the finished jobs of the suite's runs with jobs in the period;
- a run against its baseline: both runs' jobs;
- failures by signature: the failed and dead jobs of the period (`status_posted`), and one
  signature's jobs (`failure_signature_posted`);
- a suite's trends: its runs of the period, which keep their results.

Filters on `suite`, `branch`, `machine_type` (and `os_type`, `os_version` of history) match the
runs' values as their jobs corrected them, through the runs of the period; nothing here reads a
job outside its answer's runs and period."""
from datetime import datetime, time, timedelta

from ..db import (POSTED_ORDER, RUN_JOB_ID_INDEX, RUN_JOBS_ORDER, SCHEDULED_ORDER,
                  SIGNATURE_INDEX, TEST_INDEX, search_index_name)
from ..domain.filters import BY_SEGMENT, RunFilter
from ..domain.lab_questions import (FAILED_STATUSES, FINISHED_STATUSES, compare_jobs,
                                    outcome_flips, test_id)
from . import paging, run_filters
from .runs import get_run, runs_of_period

RATE_DECIMALS = 3


def _rate(part, whole):
    return round(part / whole, RATE_DECIMALS) if whole else None


def test_history(database, now, suite, description, job_filters, skip, limit, after=None):
    """The test's jobs, newest `posted` first; `job_filters`: {field: value} of the job;
    `after`: a cursor (paging.py), the page starting after its position.

    The test id (a hash of suite and description) alone picks the jobs, on its index. Every job
    read up to the page's end is checked to have the description; should two tests ever share
    an id, the page is read again with the description in the query (exact, and slower)."""
    query = paging.after({"test_id": test_id(suite, description), **job_filters},
                         POSTED_ORDER, after)
    wanted = skip + limit if limit else 0
    jobs = database.policy.newest(database.jobs, query, TEST_INDEX, POSTED_ORDER, 0, wanted, now)
    if any(job.get("description") != description for job in jobs):
        jobs = database.policy.newest(database.jobs, {**query, "description": description},
                                      TEST_INDEX, POSTED_ORDER, 0, wanted, now)
    return jobs[skip:]


def _runs_of_period(database, since, run_values):
    """Names of the runs with jobs posted since `since` whose values match `run_values`."""
    return [run["name"] for run in runs_of_period(database, since, ("name",), run_values)]


def flaky_tests(database, suite, run_values, since, min_jobs, limit):
    """Tests of `suite` with passing and failing finished jobs posted since `since`, at least
    `min_jobs` of them, flakiest first (flip rate, flips, description)."""
    names = _runs_of_period(database, since, {"suite": suite, **run_values})
    if not names:
        return []
    fields = ("run", "job_id", "description", "status", "posted")
    query = {"run": {"$in": names}, "posted": {"$gte": since},
             "status": {"$in": list(FINISHED_STATUSES)}}
    jobs = database.policy.matching(database.jobs, query, RUN_JOB_ID_INDEX, fields)
    by_test = {}
    for job in jobs:
        if isinstance(job.get("description"), str):
            by_test.setdefault(job["description"], []).append(job)
    answer = []
    for description, history in by_test.items():
        history.sort(key=lambda job: (job["posted"], job["_id"]))
        statuses = [job["status"] for job in history]
        counts = {status: statuses.count(status) for status in FINISHED_STATUSES}
        if len(history) < min_jobs or not counts["pass"] or counts["pass"] == len(history):
            continue
        flips, last = outcome_flips(statuses), history[-1]
        answer.append({"suite": suite, "description": description, "jobs": len(history),
                       **counts, "flips": flips, "flip_rate": _rate(flips, len(history) - 1),
                       "pass_rate": _rate(counts["pass"], len(history)),
                       "last_status": last["status"], "last_run": last["run"],
                       "last_job_id": last["job_id"]})
    answer.sort(key=lambda test: (-test["flip_rate"], -test["flips"], test["description"]))
    return answer[:limit] if limit else answer


def _newest_by_description(jobs):
    """{description: the newest posted job of it}, of jobs newest first."""
    newest = {}
    for job in jobs:
        if isinstance(job.get("description"), str):
            newest.setdefault(job["description"], job)
    return newest


def default_baseline(database, run):
    """The newest run scheduled before `run` with its suite, branch and machine type that has
    finished jobs, or None."""
    run_filter = RunFilter(values={BY_SEGMENT[segment]: run.get(segment)
                                   for segment in ("suite", "branch", "machine_type")})
    query = {**run_filters.filter_query(run_filter), "scheduled": {"$lt": run["scheduled"]},
             "$or": [{f"results.{status}": {"$gt": 0}} for status in FINISHED_STATUSES]}
    found = database.policy.newest(database.runs, query, run_filters.filter_index(run_filter),
                                   SCHEDULED_ORDER, 0, 1, run["scheduled"])
    return found[0] if found else None


def compared_run(database, name):
    """The run as compare_runs needs it (404 if missing)."""
    return get_run(database, name, {"name": 1, "suite": 1, "branch": 1, "machine_type": 1,
                                    "scheduled": 1})


def compare_runs(database, run, baseline_name=None):
    """`run` (compared_run's) against its baseline (given, or default_baseline): {run,
    baseline, lists...}."""
    name = run["name"]
    if baseline_name is not None:
        baseline = get_run(database, baseline_name, {"name": 1})
    else:
        baseline = default_baseline(database, run)

    def jobs_of(run_name):
        return _newest_by_description(database.policy.run_jobs(
            database.jobs, RUN_JOB_ID_INDEX, {"run": run_name},
            {"job_id": 1, "description": 1, "status": 1, "posted": 1, "seq": 1},
            RUN_JOBS_ORDER))

    lists = compare_jobs(jobs_of(name), jobs_of(baseline["name"]) if baseline else {})
    return {"run": name, "baseline": baseline["name"] if baseline else None, **lists,
            "counts": {list_name: len(entries) for list_name, entries in lists.items()}}


# What a failure group holds of each job.
GROUPED_JOB_FIELDS = ("failure_signature", "failure_reason", "run", "description", "posted")


def failure_groups(database, since, run_values, limit, per_day_until=None):
    """Failed and dead jobs posted since `since`, by signature, most jobs first. With
    `per_day_until` (a date), each group also has `per_day`: its jobs on each UTC day from
    `since`'s to that one (the web page's sparklines; the same one command)."""
    match = {"status": {"$in": list(FAILED_STATUSES)}, "posted": {"$gte": since}}
    if run_values:
        match["run"] = {"$in": _runs_of_period(database, since, run_values)}
    stages = [
        {"$sort": {"posted": 1, "_id": 1}},
        {"$group": {"_id": {"$ifNull": ["$failure_signature", ""]},
                    "example": {"$first": "$failure_reason"}, "jobs": {"$sum": 1},
                    "runs": {"$addToSet": "$run"}, "tests": {"$addToSet": "$description"},
                    "first": {"$first": {"posted": "$posted", "_id": "$_id"}},
                    "last": {"$last": {"posted": "$posted", "_id": "$_id"}},
                    "last_run": {"$last": "$run"},
                    **({"posted": {"$push": "$posted"}} if per_day_until else {})}},
    ]

    def group_of_one(job):
        """The group `stages` would make of `job` alone."""
        moment = {"posted": job.get("posted"), "_id": job["_id"]}
        return {"_id": job.get("failure_signature") or "", "example": job.get("failure_reason"),
                "jobs": 1, "runs": [job.get("run")], "tests": [job.get("description")],
                "first": moment, "last": moment, "last_run": job.get("run"),
                **({"posted": [job.get("posted")]} if per_day_until else {})}

    rows = {}
    for part in database.policy.by_value(match, "status"):
        for row in database.policy.grouped(database.jobs, part, search_index_name("status"),
                                           stages, GROUPED_JOB_FIELDS, group_of_one):
            _merge_group(rows, row)
    groups = [{"signature": row["_id"], "example": row["example"], "jobs": row["jobs"],
               "runs": len(row["runs"]),
               "tests": len({test for test in row["tests"] if isinstance(test, str)}),
               "first_seen": row["first"]["posted"], "last_seen": row["last"]["posted"],
               "last_run": row["last_run"],
               **({"per_day": _per_day(row["posted"], since.date(), per_day_until)}
                  if per_day_until else {})} for row in rows.values()]
    groups.sort(key=lambda group: (-group["jobs"], group["signature"]))
    return groups[:limit] if limit else groups


def _merge_group(rows, row):
    """Add one group of a signature (read for some statuses) to `rows` ({signature: row}):
    the reads of several statuses make one group, as one read of them all would."""
    known = rows.get(row["_id"])
    if known is None:
        rows[row["_id"]] = {**row, "runs": set(row["runs"]), "tests": set(row["tests"]),
                            **({"posted": list(row["posted"])} if "posted" in row else {})}
        return

    def moment(end):
        return end["posted"], end["_id"]

    if moment(row["first"]) < moment(known["first"]):
        known["first"], known["example"] = row["first"], row["example"]
    if moment(row["last"]) > moment(known["last"]):
        known["last"], known["last_run"] = row["last"], row["last_run"]
    known["jobs"] += row["jobs"]
    known["runs"].update(row["runs"])
    known["tests"].update(row["tests"])
    if "posted" in row:
        known["posted"].extend(row["posted"])


def _per_day(times, first_day, last_day):
    counts = [0] * ((last_day - first_day).days + 1)
    for moment in times:
        offset = (moment.date() - first_day).days
        if 0 <= offset < len(counts):
            counts[offset] += 1
    return counts


def failure_jobs(database, now, signature, since, skip, limit, after=None):
    """The failed and dead jobs of a signature posted since `since`, newest first (after the
    position of cursor `after`, paging.py, if given)."""
    query = paging.after({"failure_signature": signature,
                          "status": {"$in": list(FAILED_STATUSES)}, "posted": {"$gte": since}},
                         POSTED_ORDER, after)
    return database.policy.newest(database.jobs, query, SIGNATURE_INDEX, POSTED_ORDER, skip,
                                  limit, now)


def trends(database, suite, run_values, days, today):
    """One entry per UTC day of the `days` ending `today`, oldest first: the suite's runs
    scheduled that day and their jobs' results."""
    first_day = today - timedelta(days=days - 1)
    run_filter = RunFilter(values={BY_SEGMENT[field]: value
                                   for field, value in {"suite": suite, **run_values}.items()},
                           scheduled_from=datetime.combine(first_day, time.min))
    query = run_filters.filter_query(run_filter)
    runs = database.policy.matching(database.runs, query, run_filters.filter_index(run_filter),
                                    ("scheduled", "results"))
    per_day = {first_day + timedelta(days=offset): {"runs": 0, "jobs": 0, "pass": 0, "fail": 0,
                                                   "dead": 0} for offset in range(days)}
    for run in runs:
        entry = per_day.get(run["scheduled"].date())
        if entry is None:
            continue  # scheduled after today
        results = run.get("results") or {}
        entry["runs"] += 1
        entry["jobs"] += results.get("total", 0)
        for status in FINISHED_STATUSES:
            entry[status] += results.get(status, 0)
    return [{"date": day.isoformat(), **entry,
             "pass_rate": _rate(entry["pass"], entry["pass"] + entry["fail"] + entry["dead"])}
            for day, entry in per_day.items()]

