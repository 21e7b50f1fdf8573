"""Runs, and the summary each run keeps of its jobs.

A run document stores what its jobs count to (stored_summary): `results` (jobs per status),
`status` (derived from the counts), the first job's (in job_id order) `first_job_id`, `sha1`,
`flavor` and `priority`, and for the sha1/flavor filters `sha1_counts`/`flavor_counts` (how
many jobs hold each value) with their values in `sha1s`/`flavors`.

Every job write changes the summary by what that one job changed, in one atomic update of the
run (record_job_write): counters move by one, the status is derived from the new counts in the
same update. The job's state before the write is known exactly (job updates are conditional on
the job's `rev`), so concurrent writers of one run each apply their own change and none is
lost, and a write costs the same in a run of 3 jobs as in one of 3,000.
"""
from collections import Counter

from pymongo.errors import DuplicateKeyError

from ..domain.jobs import RUN_SUMMARY_FIELDS
from ..domain.runnames import PARSED_ATTRIBUTES, parse_run_name
from ..domain.runs import (FALLBACK_RUN_STATUS, RESULT_STATUSES, RUN_STATUS_RULES,
                           derive_run_status, empty_results, result_key)
from ..exceptions import InvalidInput, NotFound, Unavailable
from ..timeformat import local_to_utc

BATCH_LIMIT = 100_000  # documents per reply; a whole page, within MongoDB's 16 MiB per reply
SETTLE_ATTEMPTS = 100
# The job fields a run's summary depends on.
SUMMARY_JOB_FIELDS = ("job_id", *RUN_SUMMARY_FIELDS)
FIRST_JOB_FIELDS = ("first_job_id", "sha1", "flavor", "priority")
# Job fields whose values the run counts: (counts field, values field).
COUNTED_VALUES = {"sha1": ("sha1_counts", "sha1s"), "flavor": ("flavor_counts", "flavors")}


def new_run(name, now, tz_name):
    parsed = parse_run_name(name)
    scheduled = parsed["scheduled"]
    return {
        "name": name,
        **{key: parsed[key] for key in PARSED_ATTRIBUTES},
        "scheduled": local_to_utc(scheduled, tz_name) if scheduled else now,
        "posted": now,
        "started": None,
        "updated": None,
        **stored_summary(None),
        "writes": 0,  # job writes and maintenance edits: the run page cache's version
    }


def stored_summary(summary):
    """What a run document keeps from its jobs, from a summarize_runs summary (None for a run
    without jobs)."""
    summary = summary or _empty_summary()
    empty = summary["total"] == 0
    fields = {
        "status": summary["status"],
        "results": {key: summary[key] for key in (*RESULT_STATUSES, "total")},
        "first_job_id": None if empty else summary["first_job_id"],
        "sha1": None if empty else summary["sha1"],
        "flavor": None if empty else summary["flavor"],
        "priority": None if empty else summary["priority"],
    }
    for counts_field, values_field in COUNTED_VALUES.values():
        counts = summary[counts_field]
        fields[counts_field] = [{"value": value, "count": counts[value]}
                                for value in sorted(counts)]
        fields[values_field] = sorted(counts)
    return fields


def _empty_summary():
    return {**empty_results(), "status": "empty", "first_job_id": None, "priority": None,
            **{counts_field: Counter() for counts_field, _ in COUNTED_VALUES.values()}}


SUMMARY_PROJECTION = dict.fromkeys(stored_summary(None), 1)


def _comparable(run):
    """A run's summary fields, with the counted values in one order (a job write appends new
    values, a recount sorts them)."""
    fields = {key: run.get(key) for key in SUMMARY_PROJECTION}
    for counts_field, values_field in COUNTED_VALUES.values():
        fields[counts_field] = sorted((entry["value"], entry["count"])
                                      for entry in fields[counts_field] or [])
        fields[values_field] = sorted(fields[values_field] or [])
    return fields


def get_run(database, name, projection=None):
    run = database.runs.find_one({"name": name}, projection)
    if run is None:
        raise NotFound(f"run {name} was not found")
    return run


def run_exists(database, name):
    return database.runs.find_one({"name": name}, {"_id": 1}) is not None


def create_run(database, name, now, tz_name):
    try:
        database.runs.insert_one(new_run(name, now, tz_name))
    except DuplicateKeyError:
        raise InvalidInput(f"run with name {name} already exists") from None


def ensure_run(database, name, now, tz_name):
    """Create the run if it does not exist; never modifies an existing one."""
    try:
        database.runs.insert_one(new_run(name, now, tz_name))
    except DuplicateKeyError:
        pass  # it exists, as wanted


def _literal(value):
    return {"$literal": value}


def _status_expression():
    """RUN_STATUS_RULES as an aggregation expression over the run's `results`."""
    branches = []
    for status, test, statuses in RUN_STATUS_RULES:
        count = {"$add": [f"$results.{s}" for s in statuses]}
        case = ({"$eq": ["$results.total", 0]} if test == "none"
                else {"$eq": [count, "$results.total"]} if test == "all"
                else {"$gt": [count, 0]})
        branches.append({"case": case, "then": status})
    return {"$switch": {"branches": branches, "default": FALLBACK_RUN_STATUS}}


STATUS_EXPRESSION = _status_expression()


def _counted_value(job, field):
    value = job.get(field) if job else None
    return value if isinstance(value, str) else None


def _counts_expression(counts_field, added, removed):
    """`counts_field` ([{value, count}]) with one more job holding `added` and one fewer holding
    `removed` (either None: no such change); values no job holds any more are dropped."""
    bumps = [{"$cond": [{"$eq": ["$$entry.value", _literal(value)]}, step, 0]}
             for value, step in ((added, 1), (removed, -1)) if value is not None]
    bumped = {"$map": {"input": "$$current", "as": "entry", "in": {
        "value": "$$entry.value", "count": {"$add": ["$$entry.count", *bumps]}}}}
    values = {"$map": {"input": "$$current", "as": "entry", "in": "$$entry.value"}}
    appended = [] if added is None else {"$cond": [
        {"$in": [_literal(added), values]}, [], [{"value": _literal(added), "count": 1}]]}
    return {"$let": {"vars": {"current": {"$ifNull": [f"${counts_field}", []]}}, "in": {
        "$filter": {"input": {"$concatArrays": [bumped, appended]}, "as": "entry",
                    "cond": {"$gt": ["$$entry.count", 0]}}}}}


def job_write_update(before, after, fields, job_started=None):
    """The pipeline update of a run for one job write: `before` and `after` are the job's
    SUMMARY_JOB_FIELDS before and after it (None: created, deleted), `fields` are $set as
    given, `job_started` becomes the run's `started` if this write makes the run running."""
    counts = Counter()
    if before is not None:
        counts["total"] -= 1
        counts[result_key(before.get("status"))] -= 1
    if after is not None:
        counts["total"] += 1
        counts[result_key(after.get("status"))] += 1
    counts.pop(None, None)
    changes = {"writes": {"$add": [{"$ifNull": ["$writes", 0]}, 1]},
               **{name: _literal(value) for name, value in fields.items()}}
    changes.update({f"results.{key}": {"$add": [{"$ifNull": [f"$results.{key}", 0]}, step]}
                    for key, step in counts.items() if step})
    derived = {}
    for job_field, (counts_field, values_field) in COUNTED_VALUES.items():
        added, removed = _counted_value(after, job_field), _counted_value(before, job_field)
        if added != removed:
            changes[counts_field] = _counts_expression(counts_field, added, removed)
            derived[values_field] = {"$map": {"input": f"${counts_field}", "as": "entry",
                                              "in": "$$entry.value"}}
    if after is not None:
        job_id = _literal(after["job_id"])
        if before is None:  # a new job is first if its job_id sorts before the first's
            first = {"$or": [{"$eq": [{"$ifNull": ["$first_job_id", None]}, None]},
                             {"$lt": [job_id, "$first_job_id"]}]}
        else:
            first = {"$eq": ["$first_job_id", job_id]}
        if before is None or any(before.get(f) != after.get(f) for f in FIRST_JOB_FIELDS[1:]):
            changes.update({field: {"$cond": [first, _literal(after.get(field)), f"${field}"]}
                            for field in FIRST_JOB_FIELDS[1:]})
            changes["first_job_id"] = {"$cond": [first, job_id, "$first_job_id"]}
    if (job_started is not None and after is not None and after.get("status") == "running"
            and (before or {}).get("status") != "running"):
        # The run starts when the job that made it run did.
        derived["started"] = {"$cond": [
            {"$and": [{"$eq": [STATUS_EXPRESSION, "running"]}, {"$ne": ["$status", "running"]}]},
            _literal(job_started), "$started"]}
    return [{"$set": changes}, *([{"$set": derived}] if derived else []),
            {"$set": {"status": STATUS_EXPRESSION}}]


def record_job_write(database, name, before, after, fields, job_started=None):
    """Apply one job write to its run's summary (job_write_update). Returns False if there is
    no such run."""
    update = job_write_update(before, after, fields, job_started)
    return database.runs.update_one({"name": name}, update).matched_count == 1


def summary_job_fields(job):
    return None if job is None else {field: job.get(field) for field in SUMMARY_JOB_FIELDS}


def settle_first_job(database, name):
    """After a job deletion: make the run's first-job fields those of the job now first.

    Job writes only ever lower `first_job_id` or rewrite the first job's own fields, both
    idempotent, so this compare-and-set loop ends with the fields of the actual first job
    whatever else is written meanwhile: it stops only when what is stored equals what it has
    just read from the jobs.
    """
    for _attempt in range(SETTLE_ATTEMPTS):
        run = database.runs.find_one({"name": name}, dict.fromkeys(FIRST_JOB_FIELDS, 1))
        if run is None:
            return
        first = database.jobs.find_one({"run": name}, dict.fromkeys(SUMMARY_JOB_FIELDS, 1),
                                       sort=[("job_id", 1)])
        stored = {field: run.get(field) for field in FIRST_JOB_FIELDS}
        wanted = dict.fromkeys(FIRST_JOB_FIELDS)
        if first is not None:
            wanted.update({field: first.get(field) for field in FIRST_JOB_FIELDS[1:]},
                          first_job_id=first["job_id"])
        if stored == wanted:
            return
        database.runs.update_one({"_id": run["_id"], **stored}, {"$set": wanted})
    raise Unavailable(f"run {name} is changing too fast to settle; please retry")


def refresh_run(database, name):
    """Recount the run's summary from its jobs and store it if it differs (after writes that
    bypass record_job_write: maintenance, imports). Returns True if it differed.

    Stored only if no job write was counted on the run meanwhile (`writes`), and checked again
    after storing. A job write in flight while the summary is stored (written to its job but not
    yet counted on the run) would then be counted twice: maintenance is for runs that are not
    being written.
    """
    differed = False
    for _attempt in range(SETTLE_ATTEMPTS):
        run = database.runs.find_one({"name": name}, {"writes": 1, **SUMMARY_PROJECTION})
        if run is None:
            return differed
        expected = stored_summary(summarize_runs(database, [name])[name])
        if _comparable(run) == _comparable(expected):
            return differed
        differed = True
        database.runs.update_one({"_id": run["_id"], "writes": run.get("writes")},
                                 {"$set": expected, "$inc": {"writes": 1}})
    raise Unavailable(f"run {name} is changing too fast to recount; please retry")


def summary_differs(run, summary):
    """Whether a stored run (with SUMMARY_PROJECTION) differs from a summarize_runs summary."""
    return _comparable(run) != _comparable(stored_summary(summary))


def _results_pipeline(names):
    def count(condition):
        return {"$sum": {"$cond": [condition, 1, 0]}}

    counters = {status: count({"$eq": ["$status", status]})
                for status in RESULT_STATUSES if status != "unknown"}
    counters["unknown"] = count({"$eq": [{"$ifNull": ["$status", "unknown"]}, "unknown"]})
    return [
        {"$match": {"run": {"$in": names}}},
        {"$project": {"run": 1, **dict.fromkeys(SUMMARY_JOB_FIELDS, 1)}},
        # The first job in job_id (string) order gives the run its sha1, flavor and priority.
        {"$sort": {"run": 1, "job_id": 1}},
        {"$group": {"_id": "$run", **counters, "total": {"$sum": 1},
                    "first_job_id": {"$first": "$job_id"},
                    **{field: {"$first": f"${field}"} for field in FIRST_JOB_FIELDS[1:]},
                    **{counts_field: {"$push": f"${job_field}"}
                       for job_field, (counts_field, _) in COUNTED_VALUES.items()}}},
    ]


def summarize_runs(database, names):
    """What each named run's jobs count to (results, status, first job's fields, how many jobs
    hold each sha1 and flavor), counted from the jobs in one aggregation whatever the number of
    runs. Returns {name: summary}."""
    names = list(names)
    summaries = {name: _empty_summary() for name in names}
    if names:
        # One reply for all: a batch larger than the result lets the server close the cursor.
        for row in database.jobs.aggregate(_results_pipeline(names), batchSize=len(names) + 1):
            summary = summaries[row.pop("_id")]
            for counts_field, _ in COUNTED_VALUES.values():
                row[counts_field] = Counter(v for v in row[counts_field] if isinstance(v, str))
            summary.update(row)
            for key in FIRST_JOB_FIELDS[1:]:
                summary[key] = row.get(key)  # $first of a missing field
    for summary in summaries.values():
        summary["status"] = derive_run_status(summary)
    return summaries


def delete_run(database, name):
    if not run_exists(database, name):
        raise NotFound("attempted to delete a non-existent run")
    database.jobs.delete_many({"run": name})
    database.runs.delete_one({"name": name})


LATEST_ORDER = [("posted", -1), ("_id", -1)]
MAX_PAGE_FLOORS = 1024


class PageFloors:
    """Per app (so per gunicorn worker): for each page end (skip + count) of the newest-runs
    list, the `posted` of the last run that page held when last read.

    Runs join that list only at its top (a new run is posted now), so the same page is found
    again among the runs posted since that floor. Reading those (a range of the `posted` index)
    costs the page, whatever the number of runs, even on a server that does not stop an index
    walk at the limit (SecantusDB reads every run for an unbounded sorted query). A page that
    comes back short of its count under its floor (runs deleted, dates imported) is read again
    without it, once; the page is exact either way."""

    def __init__(self):
        self._floors = {}

    def get(self, end):
        return self._floors.get(end)

    def remember(self, end, page, count):
        posted = page[-1].get("posted") if len(page) == count else None
        if posted is None:
            self._floors.pop(end, None)
            return
        if len(self._floors) >= MAX_PAGE_FLOORS and end not in self._floors:
            self._floors.clear()
        self._floors[end] = posted


def latest_runs(database, skip, limit, floors=None):
    """Runs newest `posted` first: one `find`, bounded by the page's floor in `floors` (a
    PageFloors) when it has one."""
    def page(query):
        cursor = database.runs.find(query).sort(LATEST_ORDER)
        return list(cursor.skip(skip).limit(limit).batch_size(min(limit, BATCH_LIMIT)))

    end = skip + limit
    floor = floors.get(end) if floors is not None else None
    runs = page({} if floor is None else {"posted": {"$gte": floor}})
    if floor is not None and len(runs) < limit:
        runs = page({})
    if floors is not None:
        floors.remember(end, runs, limit)
    return runs
