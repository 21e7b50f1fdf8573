"""The run values' version: a number in the database that moves whenever the values of the
runs' versioned dimensions (run_dimensions.py: user, date, branch, suite, machine type; not
the ones counted from jobs) may have changed, so that a list of filter values
(`/runs/branch/main/suite/`) can be kept per version, by any number of processes on any number
of hosts, and never served after a change. (Listing them otherwise reads every run matching the
filter: 845 runs for a branch of the million-job lab, docs/performance.md.)

A run document and the version are two documents, and nothing writes both atomically. So:

- A change marks the run it changes, in the same write: a new run is inserted with a mark, and
  the update that counts a job write marks its run when it corrects the run's suite, branch
  or machine type (run_summary.job_writes_update). A mark is a fresh ObjectId in
  `values_changed`, in an index holding only marked runs.
- A reader looks for marked runs first. Finding some, it moves the version, then clears those
  marks (each only if it is still the mark it read: a later change's mark stays), and reads
  the values fresh. Finding none, it reads the version: no change has happened since that
  version moved, because a mark is cleared only after the version moves past it.
- A deletion leaves no document to mark: it records its intent on the version's document
  first, deletes, then moves the version and drops its intent. While an intent is there,
  readers read the values fresh; one whose deleter died is dropped, with the version moved,
  by the repairs once it is `stale_write_seconds` old (repair_deletions).

Every other writer of those fields (the importer, scripts/reparse) marks the runs it writes."""
import contextlib

from bson import ObjectId

from ..db import MARKED_RUNS, MARKED_RUNS_INDEX, VALUES_MARK, dates_before

VERSION = "run_values"  # the version's document in `counters`: {_id, seq, deleting: [...]}
MARKS_READ = 1000       # marks cleared per read; more are cleared by the next reads


def mark():
    """{VALUES_MARK: a new mark}: to set with a change of a run's versioned values."""
    return {VALUES_MARK: ObjectId()}


def values_version(database):
    """The run values' version, or None while a change is not versioned yet (after moving the
    version past the marked runs read): the values are then read fresh."""
    marked = list(database.runs.find(MARKED_RUNS, {VALUES_MARK: 1}, hint=MARKED_RUNS_INDEX)
                  .limit(MARKS_READ))
    if marked:
        database.take_numbers(VERSION)
        database.runs.update_many({VALUES_MARK: {"$in": [run[VALUES_MARK] for run in marked]}},
                                  {"$unset": {VALUES_MARK: ""}})
        return None
    version = database.counters.find_one({"_id": VERSION}) or {}
    if version.get("deleting"):
        return None
    return version.get("seq", 0)


@contextlib.contextmanager
def deleting_runs(database, now):
    """Around the deletion of runs: the intent recorded before, the version moved after (also
    when the deletion fails part way)."""
    intent = {"id": ObjectId(), "at": now}
    database.take_numbers(VERSION, 0)  # the version's document exists (its first use races)
    database.counters.update_one({"_id": VERSION}, {"$push": {"deleting": intent}})
    try:
        yield
    finally:
        _moved_past(database, intent["id"])


def _moved_past(database, intent_id):
    database.counters.update_one({"_id": VERSION, "deleting.id": intent_id},
                                 {"$inc": {"seq": 1}, "$pull": {"deleting": {"id": intent_id}}})


def repair_deletions(database, stale_before):
    """Drop the deletion intents older than `stale_before` (their deleter died), moving the
    version past each. Returns how many."""
    version = database.counters.find_one(
        {"_id": VERSION, "deleting.at": dates_before(stale_before)}, {"deleting": 1}) or {}
    stale = [intent["id"] for intent in version.get("deleting") or []
             if intent["at"] < stale_before]
    for intent_id in stale:
        _moved_past(database, intent_id)
    return len(stale)
