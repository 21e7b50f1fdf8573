"""Run filter routes, `/runs/queued/`: queries built from a RunFilter. A query on several fields
names the index that serves it (a hint, by the most selective dimension), so no filter ever
scans a collection, whatever the planner."""
from ..db import SCHEDULED_ORDER, filter_index_name, prefix_condition
from ..domain.filters import RUN_FIELDS
from ..query_policy import BATCH_LIMIT

# Which dimension's index to use when several filter at once: the most selective first.
INDEX_PREFERENCE = ("sha1", "date", "user", "branch", "suite", "machine_type", "flavor", "status")
ARRAY_FIELDS = ("sha1s", "flavors")
DAY_OF_SCHEDULED = {"$dateToString": {"format": "%Y-%m-%d", "date": "$scheduled"}}


def filter_query(run_filter, since=None):
    query = {RUN_FIELDS[name]: value for name, value in run_filter.equals.items()}
    if run_filter.sha1_prefix is not None:
        query["sha1s"] = prefix_condition(run_filter.sha1_prefix)
    scheduled = {}
    if run_filter.scheduled_from is not None:
        scheduled["$gte"] = run_filter.scheduled_from
    if run_filter.scheduled_to is not None:
        scheduled["$lte"] = run_filter.scheduled_to
    if since is not None and (run_filter.scheduled_from is None or since > scheduled["$gte"]):
        scheduled["$gte"] = since
    if scheduled:
        query["scheduled"] = scheduled
    return query


def filter_hint(run_filter):
    used = run_filter.dimensions
    for name in INDEX_PREFERENCE:
        if name in used:
            return filter_index_name(RUN_FIELDS[name])
    return filter_index_name("scheduled")


def filtered_runs(database, run_filter, skip=0, limit=None, since=None):
    """Matching runs, newest `scheduled` first. `limit` None: all of them."""
    if run_filter.empty or limit == 0:
        return []
    query = filter_query(run_filter, since)
    cursor = (database.runs.find(query, **database.policy.hint(query, filter_hint(run_filter)))
              .sort(SCHEDULED_ORDER))
    if limit is not None:
        cursor = cursor.skip(skip).limit(limit).batch_size(min(limit, BATCH_LIMIT))
    else:
        cursor = cursor.batch_size(BATCH_LIMIT)
    return list(cursor)


def filter_values(database, run_filter):
    """Sorted distinct non-empty values of `run_filter.listing` among the matching runs."""
    if run_filter.empty:
        return []
    field = RUN_FIELDS[run_filter.listing]
    query = filter_query(run_filter)
    if not query and field != "scheduled":
        # Only the listed field: its index alone answers (a distinct scan on MongoDB).
        values = database.runs.distinct(field, {field: {"$gt": ""}})
    else:
        pipeline = [{"$match": query}]
        if field in ARRAY_FIELDS:
            pipeline.append({"$unwind": f"${field}"})
        key = DAY_OF_SCHEDULED if field == "scheduled" else f"${field}"
        pipeline.append({"$group": {"_id": key}})
        hint = {"hint": filter_index_name(field)} if not query else database.policy.hint(
            query, filter_hint(run_filter))
        values = [row["_id"] for row in database.runs.aggregate(
            pipeline, batchSize=BATCH_LIMIT, **hint)]
    return sorted(value for value in values if isinstance(value, str) and value)


def queued_runs(database):
    """Runs with at least one queued job, oldest `scheduled` first."""
    names = database.jobs.distinct("run", {"status": "queued"})
    if not names:
        return []
    return list(database.runs.find({"name": {"$in": names}})
                .sort([("scheduled", 1), ("_id", 1)]).batch_size(BATCH_LIMIT))
