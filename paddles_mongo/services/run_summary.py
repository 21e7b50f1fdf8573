"""What a run keeps of its jobs, and the one way a job write changes it.

A run document stores what its jobs count to (stored_summary): `results` (jobs per status),
`status` (derived from the counts), the first job's (in job_id order) `first_job_id`, `sha1`,
`flavor` and `priority`, and for the sha1/flavor filters `sha1_counts`/`flavor_counts` (how
many jobs hold each value) with their values in `sha1s`/`flavors`, and for the node job stats
`node_counts` (how many of its jobs each node ran, by the job's machine type and status) with
`jobs_posted` (bounds of its jobs' `posted`: {first, last}).

Every job write changes the summary by what that one job changed, in one atomic pipeline update
of the run (job_write_update): counters move by one, the status is derived from the new counts
in the same update. The job's state before the write is known exactly (job writes are
conditional on the job's `rev`), so concurrent writers of one run each apply their own change
and none is lost, and a write costs the same in a run of 3 jobs as in one of 3,000.

A job write and its run's update touch two documents, and a request can die between them (the
database killed, the worker killed, the network cut). So every job write goes through
counted_job_write, which journals it on the run first:

1. begin: push an entry {w, job, op, before, after, run fields, prior} onto the run's `pending`
   (`prior` is the write that produced the job state this write read: the job's `write_id`);
   a creation reads the journal back for its `job_seq`; an update or deletion pushes only
   while `prior` is not pending, reading nothing, and otherwise reads the journal as below;
2. the job's own conditional write, which stamps the job with `write_id: w`;
3. finish: publish the write's event (services/events.py), then apply the entry's change to
   the summary and pull the entry, in one update that matches only while the entry is there,
   so an entry is never applied twice; or abandon it (pull it unapplied) when the job write
   did not happen.

An entry left behind is resolved by whoever comes next, from what the database holds:
- a writer that read the job state `w` produced finishes `w` when it begins (its own read is
  proof that `w` happened), before its own job write: a successor never completes while its
  predecessor is unresolved;
- repair_stale_writes (run by every gunicorn worker, see paddles_mongo/repairs.py, and by
  scripts/recount) resolves entries older than `stale_write_seconds`, by when their writer is
  gone: the write happened if the job carries its `write_id` (a creation: the job exists; a
  deletion: it is gone), or if a pending entry names it as `prior`; otherwise it never will.
Nothing here is per process: any number of workers on any number of hosts may repair at once.

A batch of job writes of one run (counted_job_writes, each job once) takes the same steps for
all its jobs together, one command each: every entry pushed in one update, the jobs written in
one bulk write, every entry counted (their changes summed: job_writes_update) or dropped in
one more. An entry is the same as a single write's, so whoever comes next resolves it the
same way.
"""
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId
from pymongo import UpdateOne

from ..db import RUN_JOB_ID_INDEX, VALUES_MARK, dates_before
from ..domain.jobs import RUN_SUMMARY_FIELDS
from ..domain.runs import (FALLBACK_RUN_STATUS, RESULT_STATUSES, RUN_STATUS_RULES,
                           derive_run_status, empty_results, result_key)
from ..exceptions import Unavailable
from ..query_policy import sort_here
from ..run_dimensions import VERSIONED_FIELDS
from . import events, run_values

SETTLE_ATTEMPTS = 100
# Job fields the run counts its jobs' nodes by (GET /nodes/job_stats/), and the bounds of its
# jobs' `posted` that tell which runs a period of the stats takes whole.
NODE_COUNT_JOB_FIELDS = ("target_nodes", "machine_type", "posted")
# The job fields a run's summary depends on.
SUMMARY_JOB_FIELDS = ("job_id", *RUN_SUMMARY_FIELDS, *NODE_COUNT_JOB_FIELDS)
NODE_COUNT_KEY = ("node", "machine_type", "status")
FIRST_JOB_FIELDS = ("first_job_id", "sha1", "flavor", "priority")
# Job fields whose values the run counts: (counts field, values field).
COUNTED_VALUES = {"sha1": ("sha1_counts", "sha1s"), "flavor": ("flavor_counts", "flavors")}
CREATE, UPDATE, DELETE = "create", "update", "delete"


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
    fields["node_counts"] = [{**dict(zip(NODE_COUNT_KEY, key)), "count": count}
                             for key, count in sorted(summary["node_counts"].items(),
                                                      key=lambda item: _sortable(item[0]))]
    fields["jobs_posted"] = (None if summary["posted_first"] is None else
                             {"first": summary["posted_first"], "last": summary["posted_last"]})
    return fields


def _sortable(key):
    return tuple((value is not None, value or "") for value in key)


def node_count_keys(job):
    """The NODE_COUNT_KEY of each node the job ran on (none for no job)."""
    if job is None:
        return []
    machine_type = job.get("machine_type")
    machine_type = machine_type if isinstance(machine_type, str) else None
    status = job.get("status") or "unknown"
    return [(node, machine_type, status) for node in dict.fromkeys(job.get("target_nodes") or [])
            if isinstance(node, str)]


def _empty_summary():
    return {**empty_results(), "status": "empty", "first_job_id": None, "priority": None,
            **{counts_field: Counter() for counts_field, _ in COUNTED_VALUES.values()},
            "node_counts": Counter(), "posted_first": None, "posted_last": None}


SUMMARY_PROJECTION = dict.fromkeys(stored_summary(None), 1)


def _comparable(run):
    """A run's summary fields, with the counted values in one order (a job write appends new
    values, a recount sorts them)."""
    fields = {key: run.get(key) for key in SUMMARY_PROJECTION}
    for counts_field, values_field in COUNTED_VALUES.values():
        fields[counts_field] = sorted((entry["value"], entry["count"])
                                      for entry in fields[counts_field] or [])
        fields[values_field] = sorted(fields[values_field] or [])
    fields["node_counts"] = sorted((_sortable(tuple(entry.get(k) for k in NODE_COUNT_KEY)),
                                    entry["count"]) for entry in fields["node_counts"] or [])
    return fields


def _posted_bounds_hold(stored, counted):
    """Whether stored `jobs_posted` bounds hold every counted job's `posted`: job writes only
    widen them (a deletion leaves them), so they need not be the tightest."""
    if counted is None:
        return True
    return (stored is not None and stored.get("first") is not None
            and stored["first"] <= counted["first"] and stored.get("last") is not None
            and stored["last"] >= counted["last"])


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


def _counts_expression(counts_field, key_fields, steps):
    """`counts_field` ([{**key, count}], keyed by `key_fields`) with the count of each key of
    `steps` ({key tuple: step}) moved by its step; keys no job counts any more are dropped."""
    def same_key(key):
        return {"$and": [{"$eq": [f"$$entry.{field}", _literal(value)]}
                         for field, value in zip(key_fields, key)]}

    bumps = [{"$cond": [same_key(key), step, 0]} for key, step in steps.items()]
    bumped = {"$map": {"input": "$$current", "as": "entry", "in": {
        **{field: f"$$entry.{field}" for field in key_fields},
        "count": {"$add": ["$$entry.count", *bumps]}}}}
    keys = {"$map": {"input": "$$current", "as": "entry",
                     "in": {field: f"$$entry.{field}" for field in key_fields}}}
    appended = [{"$cond": [{"$in": [_literal(dict(zip(key_fields, key))), keys]}, [],
                           [_literal({**dict(zip(key_fields, key)), "count": step})]]}
                for key, step in steps.items() if step > 0]
    return {"$let": {"vars": {"current": {"$ifNull": [f"${counts_field}", []]}}, "in": {
        "$filter": {"input": {"$concatArrays": [bumped, *appended]}, "as": "entry",
                    "cond": {"$gt": ["$$entry.count", 0]}}}}}


def _steps(before_keys, after_keys):
    steps = Counter(after_keys)
    steps.subtract(before_keys)
    return {key: step for key, step in steps.items() if step}


def job_write_update(before, after, fields, job_started=None):
    """The pipeline update of a run for one job write: `before` and `after` are the job's
    SUMMARY_JOB_FIELDS before and after it (None: created, deleted), `fields` are $set as
    given, `job_started` becomes the run's `started` if this write makes the run running."""
    return job_writes_update([(before, after, fields, job_started)])


def job_writes_update(writes):
    """The pipeline update of a run for writes of distinct jobs applied together, as
    job_write_update's arguments, in order: counts move by their sum, the later write's
    `fields` win, the first job is the one first in job_id order of the run's and the new
    jobs, and the run's `started` becomes that of the first job in order that enters running,
    if they make the run running (it was not, and is after them)."""
    counts = Counter()
    value_steps = {job_field: Counter() for job_field in COUNTED_VALUES}
    node_steps = Counter()
    run_fields = {}
    posted = []
    creations, first_changes, starts = [], [], []
    for before, after, fields, job_started in writes:
        if before is not None:
            counts["total"] -= 1
            counts[result_key(before.get("status"))] -= 1
        if after is not None:
            counts["total"] += 1
            counts[result_key(after.get("status"))] += 1
        run_fields.update(fields)
        for job_field in COUNTED_VALUES:
            added, removed = _counted_value(after, job_field), _counted_value(before, job_field)
            if added != removed:
                value_steps[job_field].update(_steps([(removed,)] if removed is not None else [],
                                                     [(added,)] if added is not None else []))
        node_steps.update(_steps(node_count_keys(before), node_count_keys(after)))
        if after is not None and before is None:
            creations.append(after)
            if isinstance(after.get("posted"), datetime):
                posted.append(after["posted"])
        elif after is not None and any(before.get(f) != after.get(f)
                                       for f in FIRST_JOB_FIELDS[1:]):
            first_changes.append(after)
        if (job_started is not None and after is not None and after.get("status") == "running"
                and (before or {}).get("status") != "running"):
            starts.append(job_started)
    counts.pop(None, None)
    changes = {"writes": {"$add": [{"$ifNull": ["$writes", 0]}, len(writes)]},
               **{name: _literal(value) for name, value in run_fields.items()}}
    corrected = [name for name in run_fields if name in VERSIONED_FIELDS]
    if corrected:
        # A write that corrects the run's suite, branch or machine type marks the run in the
        # same update (services/run_values.py); one carrying the values it has does not.
        changes[VALUES_MARK] = {"$cond": [
            {"$or": [{"$ne": [f"${name}", _literal(run_fields[name])]} for name in corrected]},
            _literal(run_values.mark()[VALUES_MARK]), f"${VALUES_MARK}"]}
    changes.update({f"results.{key}": {"$add": [{"$ifNull": [f"$results.{key}", 0]}, step]}
                    for key, step in counts.items() if step})
    derived = {}
    for job_field, (counts_field, values_field) in COUNTED_VALUES.items():
        steps = {key: step for key, step in value_steps[job_field].items() if step}
        if steps:
            changes[counts_field] = _counts_expression(counts_field, ("value",), steps)
            derived[values_field] = {"$map": {"input": f"${counts_field}", "as": "entry",
                                              "in": "$$entry.value"}}
    node_steps = {key: step for key, step in node_steps.items() if step}
    if node_steps:
        changes["node_counts"] = _counts_expression("node_counts", NODE_COUNT_KEY, node_steps)
    if posted:
        first, last = _literal(min(posted)), _literal(max(posted))
        changes["jobs_posted"] = {
            "first": {"$min": [{"$ifNull": ["$jobs_posted.first", first]}, first]},
            "last": {"$max": [{"$ifNull": ["$jobs_posted.last", last]}, last]}}
    # The new jobs can only make the one first in job_id order the run's first; a job whose
    # first-job fields changed gives them to the run if it is the run's first.
    branches = []
    if creations:
        new_first = min(creations, key=lambda job: job["job_id"])
        job_id = _literal(new_first["job_id"])
        becomes_first = {"$or": [{"$eq": [{"$ifNull": ["$first_job_id", None]}, None]},
                                 {"$lt": [job_id, "$first_job_id"]}]}
        branches.append((becomes_first, new_first))
        changes["first_job_id"] = {"$cond": [becomes_first, job_id, "$first_job_id"]}
    branches += [({"$eq": ["$first_job_id", _literal(job["job_id"])]}, job)
                 for job in first_changes]
    for field in FIRST_JOB_FIELDS[1:] if branches else ():
        changes[field] = {"$switch": {
            "branches": [{"case": case, "then": _literal(job.get(field))}
                         for case, job in branches], "default": f"${field}"}}
    if starts:
        # The run starts when the job that made it run did.
        derived["started"] = {"$cond": [
            {"$and": [{"$eq": [STATUS_EXPRESSION, "running"]}, {"$ne": ["$status", "running"]}]},
            _literal(starts[0]), "$started"]}
    return [{"$set": changes}, *([{"$set": derived}] if derived else []),
            {"$set": {"status": STATUS_EXPRESSION}}]


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
        database.runs.update_one({"_id": run["_id"], **stored},
                                 {"$set": wanted, "$inc": {"writes": 1}})
    raise Unavailable(f"run {name} is changing too fast to settle; please retry")


def summary_changes(run, summary):
    """How a stored run (with SUMMARY_PROJECTION) differs from a summarize_runs summary:
    {field: (stored, counted)} for each field that differs (counted values in sorted order)."""
    stored, counted = _comparable(run), _comparable(stored_summary(summary))
    return {field: (stored[field], counted[field]) for field in SUMMARY_PROJECTION
            if not (_posted_bounds_hold(stored[field], counted[field]) if field == "jobs_posted"
                    else stored[field] == counted[field])}


def summary_differs(run, summary):
    """Whether a stored run (with SUMMARY_PROJECTION) differs from a summarize_runs summary."""
    return bool(summary_changes(run, summary))


def summarize_runs(database, names):
    """What each named run's jobs count to (results, status, first job's fields, how many jobs
    hold each sha1, flavor and node), counted from the jobs' summary fields read in one query
    on `run_job_id_unique`, whatever the number of runs. Returns {name: summary}."""
    names = list(names)
    jobs = database.policy.matching(database.jobs, {"run": {"$in": names}}, RUN_JOB_ID_INDEX,
                                    ("run", *SUMMARY_JOB_FIELDS)) if names else ()
    return summarize_jobs(jobs, names)


def summarize_jobs(jobs, names=()):
    """What `jobs` (documents with `run` and SUMMARY_JOB_FIELDS) count to: {run name: summary}
    of each of their runs, and of each of `names` (an empty summary for one without jobs).
    Counted here, not by an aggregation: a run's jobs are read on its index range either way,
    and the local database evaluates each accumulator of an aggregation in Python."""
    summaries = {name: _empty_summary() for name in names}
    firsts = {}  # each run's first job in job_id order (MongoDB's: a null job_id first)
    for job in sort_here(list(jobs), [("job_id", 1)]):
        run = job["run"]
        summary = summaries.setdefault(run, _empty_summary())
        summary["total"] += 1
        key = result_key(job.get("status"))
        if key is not None:
            summary[key] += 1
        for job_field, (counts_field, _) in COUNTED_VALUES.items():
            if isinstance(job.get(job_field), str):
                summary[counts_field][job[job_field]] += 1
        summary["node_counts"].update(node_count_keys(job))
        posted = job.get("posted")
        if isinstance(posted, datetime):
            summary["posted_first"] = min(summary["posted_first"] or posted, posted)
            summary["posted_last"] = max(summary["posted_last"] or posted, posted)
        firsts.setdefault(run, job)
    for run, first in firsts.items():
        summaries[run].update({field: first.get(field) for field in FIRST_JOB_FIELDS[1:]},
                              first_job_id=first.get("job_id"))
    for summary in summaries.values():
        summary["status"] = derive_run_status(summary)
    return summaries


def new_run_summary():
    """The summary fields of a run without jobs, and its journal."""
    return {
        **stored_summary(None),
        # Moved by every change of the run or of its jobs: the version of its page (its ETag,
        # the run page cache).
        "writes": 0,
        "pending": [],  # job writes begun and not yet counted (see the module docstring)
        "job_seq": 0,  # creations of the run's jobs, in order (ties of `posted`)
    }


@dataclass
class JobChange:
    """One job write as its run counts it."""
    op: str                     # CREATE, UPDATE or DELETE
    job: ObjectId               # the job document's _id
    before: dict = None         # its SUMMARY_JOB_FIELDS before the write (None: created)
    after: dict = None          # and after it (None: deleted)
    run_fields: dict = None     # to $set on the run (`updated`, corrected suite/branch/...)
    started: datetime = None    # the run's `started` if this write makes the run running
    prior: ObjectId = None      # the write that produced the job state this write read

    def entry(self, now):
        return {"w": ObjectId(), "at": now, "op": self.op, "job": self.job,
                "before": self.before, "after": self.after,
                "run_fields": self.run_fields or {}, "started": self.started,
                "prior": self.prior, "by": events.acting_token()}


def counted_job_write(database, run_name, change, write_job, now):
    """Write a job and count the write on its run: journal `change` on the run, call
    `write_job(write_id, job_seq)` (the job's own conditional write, stamping the job with
    `write_id`; True if it happened; `job_seq` numbers the run's job creations), then count it,
    or drop the entry unapplied. Returns write_job's answer, or None when there is no such run
    (nothing written). An exception from write_job leaves the entry for repair_stale_writes:
    whether the job write happened is then unknown here."""
    begun = _begin(database, run_name, [change], now)
    if begun is None:
        return None
    (entry,), (job_seq,) = begun
    if write_job(entry["w"], job_seq):
        _finish(database, run_name, entry)
        return True
    _abandon(database, run_name, entry)
    return False


def _journal_unread(database, run_name, entries, changes):
    """Push `entries` (of `changes`) onto the run's journal in one update that reads nothing
    back, if that is all they need: none is a creation (which needs its job_seq) and none of
    the writes they read (`prior`) is pending, as nearly always. Returns whether it did."""
    if any(change.op == CREATE for change in changes):
        return False
    priors = [change.prior for change in changes if change.prior is not None]
    counted = {"pending.w": {"$nin": priors}} if priors else {}
    return database.runs.update_one({"name": run_name, **counted},
                                    {"$push": {"pending": {"$each": entries}}}
                                    ).matched_count == 1


def _journal(database, run_name, entries):
    """Push `entries` onto the run's journal, numbering the creations among them after the
    run's `job_seq`; returns the journal as read after (None: no such run). Each creation's
    entry carries its number (`job_seq`): the journal read may hold later writers' entries
    too (query_policy's update_and_read)."""
    numbered, creations = [], 0
    for entry in entries:
        fields = {key: _literal(value) for key, value in entry.items()}
        if entry["op"] == CREATE:
            creations += 1
            fields["job_seq"] = {"$add": [{"$ifNull": ["$job_seq", 0]}, creations]}
        numbered.append(fields)
    changes = {"pending": {"$concatArrays": [{"$ifNull": ["$pending", []]}, numbered]}}
    if creations:
        changes["job_seq"] = {"$add": [{"$ifNull": ["$job_seq", 0]}, creations]}
    run = database.policy.update_and_read(database.runs, {"name": run_name}, "name",
                                          [{"$set": changes}], {"pending": 1})
    pending = [] if run is None else run.get("pending") or []
    # Read after the update (on the local database): a run without them was deleted since,
    # and perhaps made again, with none of these writes journalled.
    journalled = {other["w"] for other in pending}
    return pending if all(entry["w"] in journalled for entry in entries) else None


def _job_seqs(pending, entries):
    """The `job_seq` of each of `entries` (None for all but creations) in the journal
    `pending`, which holds them."""
    numbers = {other["w"]: other.get("job_seq") for other in pending}
    return [numbers[entry["w"]] for entry in entries]


def _finish(database, run_name, entry):
    """Publish the event of `entry`'s job write (which happened), then apply its change to
    the run's summary and drop it from `pending`, atomically and only while it is pending. A
    deletion also drops every other deletion of the same job: a job document is deleted once,
    so they all describe the one that happened."""
    _publish_job_events(database, run_name, [entry])
    _finish_and_publish(database, *_finish_update(run_name, entry))


def _finish_update(run_name, entry):
    """The (filter, pipeline update) of the run that _finish sends."""
    update = job_write_update(entry["before"], entry["after"], entry["run_fields"],
                              entry["started"])
    keep = {"$ne": ["$$entry.w", entry["w"]]}
    if entry["op"] == DELETE:
        keep = {"$and": [keep, {"$or": [{"$ne": ["$$entry.op", DELETE]},
                                        {"$ne": ["$$entry.job", entry["job"]]}]}]}
    update[0]["$set"]["pending"] = {"$filter": {"input": "$pending", "as": "entry",
                                                "cond": keep}}
    _with_run_event(run_name, update, [entry])
    return {"name": run_name, "pending.w": entry["w"]}, update


def _with_run_event(run_name, update, entries):
    """Make the counting `update` of the journalled job writes `entries` put run.updated on
    the run's outbox if they change its status (before the status is derived, so the change
    is seen): counted once, published once (services/events.py). Only writes that move the
    counts can change the status, which is derived from them alone."""
    if any(entry["op"] != UPDATE or result_key(entry["before"].get("status"))
           != result_key(entry["after"].get("status")) for entry in entries):
        update.insert(-1, {"$set": {"outbox": _outbox_with_run_event(run_name, entries)}})


JOB_EVENTS = {CREATE: "job.created", UPDATE: "job.updated", DELETE: "job.deleted"}


def _job_event(run_name, entry):
    """The event of a journalled job write, identified by the write (its entry's `w`), so
    that each of the writer, a successor and the repairs may publish it and it is stored once.
    """
    before, after = entry["before"] or {}, entry["after"] or {}
    keys = {}
    if entry["op"] == CREATE:
        keys["status"] = after.get("status")
    elif entry["op"] == UPDATE and before.get("status") != after.get("status"):
        keys.update(status=after.get("status"), old_status=before.get("status"))
    return {**events.change(JOB_EVENTS[entry["op"]], entry["at"], run=run_name,
                            job_id=(entry["after"] or entry["before"])["job_id"], **keys),
            "eid": str(entry["w"]), "by": entry.get("by")}


def _publish_job_events(database, run_name, entries):
    """Publish the events of the journalled job writes `entries`, which happened, before they
    are counted: the journal entry is their outbox. The run's document is not rewritten for
    them, so a job write costs the run two updates, not three (docs/performance.md)."""
    events.publish(database, [_job_event(run_name, entry) for entry in entries])


def _outbox_with_run_event(run_name, entries):
    """The run's outbox with run.updated when the journalled job writes `entries` (counted in
    one update) change the run's status."""
    first = entries[0]
    run_event = {**events.change("run.updated", first["at"], run=run_name),
                 "by": first.get("by")}
    run_event = {key: _literal(value) for key, value in run_event.items()}
    run_event.update(status=STATUS_EXPRESSION, old_status="$status")
    status_changed = {"$ne": ["$status", STATUS_EXPRESSION]}
    return {"$concatArrays": [{"$ifNull": ["$outbox", []]},
                              {"$cond": [status_changed, [run_event], []]}]}


def _finish_and_publish(database, run_filter, update):
    """Send a counting update of the run (`run_filter` names it); publish the events it put
    on the run's outbox, if it may put some there. Returns whether it matched."""
    if not any("outbox" in stage["$set"] for stage in update):
        return database.runs.update_one(run_filter, update).matched_count == 1
    run = database.policy.update_and_read(database.runs, run_filter, "name", update,
                                          {"outbox": 1})
    if run is not None:
        events.publish_outbox(database, "runs", run)
    return run is not None


def _publish_run_outbox(database, run_name):
    """Publish what the run's outbox holds (after updates sent in a bulk write)."""
    run = database.runs.find_one({"name": run_name}, {"outbox": 1})
    if run is not None:
        events.publish_outbox(database, "runs", run)


def _abandon(database, run_name, entry, unless_prior=False):
    """Drop `entry` unapplied: its job write did not happen. With `unless_prior`, only while no
    pending entry names it as `prior` (a writer that read its result)."""
    query = {"name": run_name, "pending.w": entry["w"]}
    if unless_prior:
        query["pending.prior"] = {"$ne": entry["w"]}
    database.runs.update_one(query, {"$pull": {"pending": {"w": entry["w"]}}})


def counted_job_writes(database, run_name, changes, write_jobs, now):
    """counted_job_write for several jobs of one run (each job once), in a number of commands
    that does not grow with theirs: journal every change in one update of the run, call
    `write_jobs(entries, job_seqs)` (the jobs' own conditional writes, each stamping its job
    with its entry's `w`; job_seqs[i] numbers the run's job creation changes[i], None for
    other writes), then count those that happened and drop the others in one command.

    write_jobs answers a list: for each change True (it happened), False (it did not) or None
    (the job no longer carries the entry's `w`). A None is decided from the journal: a write
    that happened and was overwritten since was counted by the writer that read it, before
    that writer's own job write, so it happened if its entry is no longer pending. Returns
    the indexes of the changes that happened, or None when there is no such run (nothing
    written). An exception from write_jobs leaves the entries for repair_stale_writes."""
    begun = _begin(database, run_name, changes, now)
    if begun is None:
        return None
    entries, job_seqs = begun
    answers = write_jobs(entries, job_seqs)
    if None in answers:
        run = database.runs.find_one({"name": run_name}, {"pending.w": 1}) or {}
        pending = {entry["w"] for entry in run.get("pending") or []}
        answers = [entry["w"] not in pending if answer is None else answer
                   for entry, answer in zip(entries, answers)]
    counted = [entry for entry, answer in zip(entries, answers) if answer]
    _publish_job_events(database, run_name, counted)
    if not _finish_and_publish(database, *_finish_many_update(run_name, entries, counted)):
        # A writer that read one of these jobs counted its entry first: each entry alone.
        alone = [UpdateOne(*_finish_update(run_name, entry)) for entry in counted]
        dropped = [entry["w"] for entry, answer in zip(entries, answers) if not answer]
        if dropped:
            alone.append(UpdateOne({"name": run_name},
                                   {"$pull": {"pending": {"w": {"$in": dropped}}}}))
        database.runs.bulk_write(alone)
        _publish_run_outbox(database, run_name)
    return {index for index, answer in enumerate(answers) if answer}


def _finish_many_update(run_name, entries, counted):
    """The (filter, pipeline update) of the run that resolves the `entries` of one
    _begin, matching only while every one of them is pending: applies the changes of
    `counted` (creations and updates) together (job_writes_update) and drops every entry.
    One update, whatever their number."""
    update = job_writes_update([(entry["before"], entry["after"], entry["run_fields"],
                                 entry["started"]) for entry in counted])
    update[0]["$set"]["pending"] = {"$filter": {"input": "$pending", "as": "entry", "cond": {
        "$ne": ["$$entry.batch", entries[0]["batch"]]}}}
    _with_run_event(run_name, update, counted)
    # Each entry its own element condition: the local database matches `$all` of several
    # values of a field of an array's documents wrongly (never), and reads the whole
    # collection for a filter with `$and`.
    return {"name": run_name, "pending": {"$all": [{"$elemMatch": {"w": entry["w"]}}
                                                   for entry in entries]}}, update


def _begin(database, run_name, changes, now):
    """Journal `changes` (of distinct jobs) on the run, in one update: (their entries, the
    job_seq of each creation, None for other writes), or None without such a run."""
    batch = ObjectId()  # marks the entries pushed together, resolved together
    entries = [{**change.entry(now), "batch": batch} for change in changes]
    if _journal_unread(database, run_name, entries, changes):
        return entries, [None] * len(entries)
    pending = _journal(database, run_name, entries)
    if pending is None:
        return None
    # The job states these writes read came from their `prior` writes: those still pending
    # (their writer died before counting them, or has not got there yet) happened, and are
    # counted before any of these job writes.
    priors = {change.prior for change in changes if change.prior is not None}
    unfinished = [entry for entry in pending if entry["w"] in priors]
    if unfinished:
        _publish_job_events(database, run_name, unfinished)
        database.runs.bulk_write([UpdateOne(*_finish_update(run_name, entry))
                                  for entry in unfinished])
        _publish_run_outbox(database, run_name)
    return entries, _job_seqs(pending, entries)


def _happened(database, run_name, entry):
    """Whether the job write of a pending `entry`, whose writer is gone, took place (None: the
    entry was resolved meanwhile). The job is read before the run: a writer that read the job
    state `entry` produced pushed its own entry, naming it `prior`, before changing the job."""
    job = database.jobs.find_one({"_id": entry["job"]}, {"write_id": 1})
    run = database.runs.find_one({"name": run_name}, {"pending": 1})
    pending = (run or {}).get("pending") or []
    if not any(other["w"] == entry["w"] for other in pending):
        return None
    if any(other.get("prior") == entry["w"] for other in pending):
        return True
    if entry["op"] == CREATE:
        return job is not None
    if entry["op"] == DELETE:
        return job is None
    return job is not None and job.get("write_id") == entry["w"]


def repair_stale_writes(database, stale_before, names=None):
    """Resolve every journal entry begun before `stale_before` (of the runs `names`, or of
    all): count it if its job write happened, drop it if not. Returns how many it resolved."""
    query = {"pending.at": dates_before(stale_before)}
    if names is not None:
        query["name"] = {"$in": list(names)}
    resolved = 0
    for run in database.runs.find(query, {"name": 1, "pending": 1}):
        for entry in run["pending"]:
            if entry["at"] >= stale_before:
                continue
            happened = _happened(database, run["name"], entry)
            if happened:
                _finish(database, run["name"], entry)
            elif happened is False:
                _abandon(database, run["name"], entry, unless_prior=True)
            resolved += happened is not None
    return resolved


def refresh_run(database, name, stale_before=None):
    """Recount the run's summary from its jobs and store it if it differs (after writes that
    bypass counted_job_write: maintenance, imports). Returns what it changed, as
    summary_changes does ({} if nothing differed).

    Journal entries begun before `stale_before` are resolved first. The count is stored only
    if no job write is in flight on the run (its journal is empty) and none was counted since
    it was read (`writes`), so it is exact whatever writes the run meanwhile; otherwise it is
    done again, after a short pause while writes are in flight.
    """
    changed = {}
    for attempt in range(SETTLE_ATTEMPTS):
        if stale_before is not None:
            repair_stale_writes(database, stale_before, [name])
        run = database.runs.find_one({"name": name},
                                     {"writes": 1, "pending": 1, **SUMMARY_PROJECTION})
        if run is None:
            return changed
        if run.get("pending"):
            _pause(attempt)
            continue
        summary = summarize_runs(database, [name])[name]
        changes = summary_changes(run, summary)
        if not changes:
            return changed
        changed = changes
        database.runs.update_one(
            {"_id": run["_id"], "writes": run.get("writes"), "pending.0": {"$exists": False}},
            {"$set": stored_summary(summary), "$inc": {"writes": 1}})
    raise Unavailable(f"run {name} has job writes in flight; please retry")


def _pause(attempt):
    """Back off while job writes are in flight (bounded: about 5 s over all attempts)."""
    time.sleep(min(0.001 * 2 ** attempt, 0.05))
