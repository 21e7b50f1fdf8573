"""Run filter routes, `/runs/queued/`: queries built from a RunFilter, whose dimensions
(run_dimensions.py) say the field, the match and the index of each. A query names the index
that serves it (by the most selective dimension), so no filter ever scans a collection,
whatever the planner."""
from ..db import (QUEUED_RUNS, QUEUED_RUNS_INDEX, SCHEDULED_INDEX, SCHEDULED_ORDER,
                  prefix_condition)
from ..query_policy import BATCH_LIMIT, ordered_projection
from . import paging
from ..run_dimensions import DAY, DIMENSION_PAIRS, PREFIX, RUN_DIMENSIONS


def _day_of(field):
    return {"$dateToString": {"format": "%Y-%m-%d", "date": f"${field}"}}


def filter_query(run_filter, since=None):
    query = {dimension.field: prefix_condition(value) if dimension.match == PREFIX else value
             for dimension, value in run_filter.values.items()}
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


def filter_index(run_filter):
    """The index of the most selective dimension filtered on (the first in RUN_DIMENSIONS), or
    of a pair of dimensions (DIMENSION_PAIRS) filtered on, that one among them."""
    used = run_filter.dimensions
    if not used:
        return SCHEDULED_INDEX
    best = min(used, key=RUN_DIMENSIONS.index)
    pair = next((pair for pair in DIMENSION_PAIRS
                 if best in pair.dimensions and set(pair.dimensions) <= set(used)), None)
    return pair.index if pair else best.index


def filtered_runs(database, run_filter, now, skip=0, limit=None, since=None, after=None,
                  fields=None):
    """Matching runs, newest `scheduled` first. `limit` None: all of them. `after`: a cursor
    (paging.py); the page starts after its position. `fields`: only those if given."""
    if run_filter.empty or limit == 0:
        return []
    query = paging.after(filter_query(run_filter, since), SCHEDULED_ORDER, after)
    index = filter_index(run_filter)
    if limit is not None:
        return database.policy.newest(database.runs, query, index, SCHEDULED_ORDER, skip,
                                      limit, now, fields)
    return list(database.runs.find(query, ordered_projection(fields, SCHEDULED_ORDER),
                                   **database.policy.hint(query, index))
                .sort(SCHEDULED_ORDER).batch_size(BATCH_LIMIT))


def versioned(run_filter):
    """Whether the values `run_filter` lists change only with the run values' version
    (services/run_values.py): none of its dimensions is counted from the runs' jobs."""
    return not any(dimension.counted
                   for dimension in [*run_filter.dimensions, run_filter.listing])


def filter_values(database, run_filter):
    """Sorted distinct non-empty values of `run_filter.listing` among the matching runs."""
    if run_filter.empty:
        return []
    listing = run_filter.listing
    field = listing.field
    query = filter_query(run_filter)
    pair = next((pair for pair in DIMENSION_PAIRS
                 if list(pair.dimensions) == [*run_filter.values, listing]), None)
    if not query and listing.match != DAY:
        # Only the listed field: its index alone answers (a distinct scan on MongoDB).
        values = database.runs.distinct(field, {field: {"$gt": ""}})
    elif pair is not None and not run_filter.day:
        # The pair's index holds the listed values under the filtered one: a distinct scan on
        # MongoDB (pulpito's suites of a branch).
        values = database.runs.distinct(field, query, **database.policy.hint(query, pair.index))
    else:
        pipeline = [{"$match": query}]
        if listing.array:
            pipeline.append({"$unwind": f"${field}"})
        key = _day_of(field) if listing.match == DAY else f"${field}"
        pipeline.append({"$group": {"_id": key}})
        hint = {"hint": listing.index} if not query else database.policy.hint(
            query, filter_index(run_filter))
        values = [row["_id"] for row in database.runs.aggregate(
            pipeline, batchSize=BATCH_LIMIT, **hint)]
    return sorted(value for value in values if isinstance(value, str) and value)


def queued_runs(database):
    """Runs with at least one queued job (their counted results say so), oldest `scheduled`
    first: one read of an index holding only those runs, whatever the number of jobs. Named
    under every policy: the local database's planner does not consider partial indexes."""
    return list(database.runs.find(QUEUED_RUNS, hint=QUEUED_RUNS_INDEX)
                .sort([("scheduled", 1), ("_id", 1)]).batch_size(BATCH_LIMIT))
