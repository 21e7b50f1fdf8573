"""Runs: creation, reads, deletion and the newest-runs list. What a run keeps of its jobs
(results, status, first job, sha1s/flavors) is services/run_summary.py's."""
from pymongo.errors import DuplicateKeyError

from ..db import JOBS_POSTED_LAST, JOBS_POSTED_LAST_INDEX, POSTED_ORDER, RUNS_POSTED_INDEX
from ..domain.runnames import PARSED_ATTRIBUTES, parse_run_name
from ..exceptions import InvalidInput, NotFound
from ..timeformat import local_to_utc
from . import events, paging, run_values
from .run_summary import new_run_summary


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
        **new_run_summary(),
        # Its creation's event, inserted with it (services/events.py).
        "outbox": [events.change("run.created", now, run=name)],
        **run_values.mark(),  # its values are new among the runs'
    }


def get_run(database, name, projection=None):
    run = database.runs.find_one({"name": name}, projection)
    if run is None:
        raise NotFound(f"run {name} was not found")
    return run


def runs_named(database, names):
    """The runs of `names` (those that exist)."""
    return list(database.runs.find({"name": {"$in": list(names)}}))


def run_exists(database, name):
    return database.runs.find_one({"name": name}, {"_id": 1}) is not None


def create_run(database, name, now, tz_name):
    run = new_run(name, now, tz_name)
    try:
        database.runs.insert_one(run)
    except DuplicateKeyError:
        raise InvalidInput(f"run with name {name} already exists") from None
    events.publish_outbox(database, "runs", run)


def ensure_run(database, name, now, tz_name):
    """Create the run if it does not exist; never modifies an existing one."""
    run = new_run(name, now, tz_name)
    try:
        database.runs.insert_one(run)
    except DuplicateKeyError:
        return  # it exists, as wanted
    events.publish_outbox(database, "runs", run)


def delete_run(database, name, now):
    """Delete the run and its jobs: one run.deleted event (after those its outbox still
    held)."""
    if not run_exists(database, name):
        raise NotFound("attempted to delete a non-existent run")
    database.jobs.delete_many({"run": name})
    with run_values.deleting_runs(database, now):
        run = database.runs.find_one_and_delete({"name": name}, {"outbox": 1})
    if run is not None:
        events.publish(database, [*(run.get("outbox") or []),
                                  events.change("run.deleted", now, run=name)])


def latest_runs(database, skip, limit, now, after=None, fields=None):
    """Runs newest `posted` first: one `find` (see query_policy for the local database's);
    with cursor `after` (paging.py), the `limit` after its position (`skip` 0). `fields`:
    only those if given."""
    return database.policy.newest(database.runs, paging.after({}, POSTED_ORDER, after),
                                  RUNS_POSTED_INDEX, POSTED_ORDER, skip, limit, now, fields)


def runs_of_period(database, since, fields, run_values=None):
    """The `fields` of the runs with jobs posted since `since` (their `jobs_posted` bounds,
    run_summary.py) whose values match `run_values` ({run field: value})."""
    query = {JOBS_POSTED_LAST: {"$gte": since}, **(run_values or {})}
    return database.policy.matching(database.runs, query, JOBS_POSTED_LAST_INDEX, fields)
