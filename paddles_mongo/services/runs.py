"""Runs: creation, reads, deletion and the newest-runs list. What a run keeps of its jobs
(results, status, first job, sha1s/flavors) is services/run_summary.py's."""
from pymongo.errors import DuplicateKeyError

from ..domain.runnames import PARSED_ATTRIBUTES, parse_run_name
from ..exceptions import InvalidInput, NotFound
from ..timeformat import local_to_utc
from .run_summary import new_run_summary

BATCH_LIMIT = 100_000  # documents per reply; a whole page, within MongoDB's 16 MiB per reply


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
    try:
        database.runs.insert_one(new_run(name, now, tz_name))
    except DuplicateKeyError:
        pass  # it exists, as wanted


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
