from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from ..domain.runnames import PARSED_ATTRIBUTES, parse_run_name
from ..domain.runs import RESULT_STATUSES, derive_run_status, empty_results
from ..exceptions import InvalidInput, NotFound
from ..timeformat import local_to_utc

BATCH_LIMIT = 100_000  # documents per reply; a whole page, within MongoDB's 16 MiB per reply
UNCHANGED = object()  # refresh_run: leave `started` as it is


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
        # Job writes counted, the newest count a summary is being taken for, and the count the
        # stored summary includes (see summarize).
        "writes": 0, "summarizing": 0, "summarized": 0,
    }


def stored_summary(summary):
    """What a run document keeps from its jobs (`summary` from summarize_runs, or None for a
    run without jobs): status, results, the first job's sha1/flavor/priority, and every sha1
    and flavor of its jobs (for the sha1/flavor filters)."""
    summary = summary or {**empty_results(), "priority": None, "sha1s": [], "flavors": [],
                          "status": "empty"}
    empty = summary["total"] == 0
    return {
        "status": summary["status"],
        "results": {key: summary[key] for key in (*RESULT_STATUSES, "total")},
        "sha1": None if empty else summary["sha1"],
        "flavor": None if empty else summary["flavor"],
        "priority": summary["priority"],
        "sha1s": sorted(v for v in summary["sha1s"] if isinstance(v, str)),
        "flavors": sorted(v for v in summary["flavors"] if isinstance(v, str)),
    }


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
    for _attempt in range(2):
        try:
            database.runs.update_one(
                {"name": name}, {"$setOnInsert": new_run(name, now, tz_name)}, upsert=True)
            return
        except DuplicateKeyError:
            continue  # a concurrent request created it first; the retry matches it


def record_job_write(database, name, fields, summary_changed, job_started):
    """After a job write: $set `fields` on its run (updated, suite/branch/machine_type
    corrections), count the write, and when it changed what the run keeps from its jobs, bring
    the stored summary up to date."""
    update = {"$inc": {"writes": 1}}
    if fields:
        update["$set"] = fields
    run = database.runs.find_one_and_update({"name": name}, update, projection={"writes": 1},
                                            return_document=ReturnDocument.AFTER)
    if run is not None and summary_changed:
        summarize(database, name, run["writes"], job_started)


def refresh_run(database, name):
    """Bring the run's stored summary up to date with its jobs (after writes that bypass
    record_job_write: deletions, maintenance, imports); `started` stays as it is."""
    record_job_write(database, name, {}, True, UNCHANGED)


def _results_pipeline(names):
    def count(condition):
        return {"$sum": {"$cond": [condition, 1, 0]}}

    counters = {status: count({"$eq": ["$status", status]})
                for status in RESULT_STATUSES if status != "unknown"}
    counters["unknown"] = count({"$eq": [{"$ifNull": ["$status", "unknown"]}, "unknown"]})
    return [
        {"$match": {"run": {"$in": names}}},
        {"$project": {"run": 1, "job_id": 1, "status": 1, "sha1": 1, "flavor": 1,
                      "priority": 1}},
        # The first job in job_id (string) order gives the run its sha1, flavor and priority.
        {"$sort": {"run": 1, "job_id": 1}},
        {"$group": {"_id": "$run", **counters, "total": {"$sum": 1},
                    "sha1": {"$first": "$sha1"}, "flavor": {"$first": "$flavor"},
                    "priority": {"$first": "$priority"},
                    "sha1s": {"$addToSet": "$sha1"}, "flavors": {"$addToSet": "$flavor"}}},
    ]


def summarize_runs(database, names):
    """Results, status, sha1, flavor and priority of each named run, and the sets of sha1s and
    flavors of its jobs, from its jobs, in one aggregation whatever the number of runs.
    Returns {name: summary}."""
    names = list(names)
    summaries = {name: {**empty_results(), "priority": None, "sha1s": [], "flavors": []}
                 for name in names}
    if names:
        # One reply for all: a batch larger than the result lets the server close the cursor.
        for row in database.jobs.aggregate(_results_pipeline(names), batchSize=len(names) + 1):
            summary = summaries[row.pop("_id")]
            summary.update(row)
            for key in ("sha1", "flavor", "priority"):
                summary[key] = row.get(key)  # $first of a missing field
    for summary in summaries.values():
        summary["status"] = derive_run_status(summary)
    return summaries


def summarize(database, name, writes, job_started=UNCHANGED):
    """Make the run's stored summary (stored_summary) include every job write counted up to
    `writes`, exactly, whatever other writers do, and without a retry.

    Each job write is made, then counted (`writes`, atomically), then summarized. A summary
    claims the count it will cover (`summarizing`) before it counts the jobs, so it includes
    every write counted up to there; it is stored only over an older one (`summarized`). A
    writer whose count is already claimed by a newer summary skips counting: under many
    concurrent writers of one run, few of them count its jobs.
    """
    before = database.runs.find_one_and_update(
        {"name": name}, {"$max": {"summarizing": writes}},
        projection={"summarizing": 1, "status": 1}, return_document=ReturnDocument.BEFORE)
    if before is None or before.get("summarizing", 0) >= writes:
        return
    fields = stored_summary(summarize_runs(database, [name])[name])
    fields["summarized"] = writes
    if (job_started is not UNCHANGED and fields["status"] == "running"
            and before.get("status") != "running"):
        fields["started"] = job_started  # the run starts when the job that made it run did
    database.runs.update_one({"name": name, "summarized": {"$lt": writes}}, {"$set": fields})


def delete_run(database, name):
    if not run_exists(database, name):
        raise NotFound("attempted to delete a non-existent run")
    database.jobs.delete_many({"run": name})
    database.runs.delete_one({"name": name})


def latest_runs(database, skip, limit, projection=None):
    cursor = database.runs.find({}, projection).sort([("posted", -1), ("_id", -1)])
    return list(cursor.skip(skip).limit(limit).batch_size(min(limit, BATCH_LIMIT)))
