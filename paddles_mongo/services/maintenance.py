"""Repairs and reports operators run from scripts/ (the original's management commands, §6).
Each function works in batches with bounded memory and reports progress through `progress`
(called with the number of items just handled)."""
import re
from datetime import timedelta

from pymongo import UpdateOne

from ..db import SEQ, index_drift, node_jobs_index_name, prefix_condition, search_index_name
from ..domain.jobs import (DERIVED_FROM, DERIVED_INPUTS, derived_job_fields, plan_job_write,
                           target_hostname)
from ..domain.nodes import new_node
from ..domain.runnames import PARSED_ATTRIBUTES, parse_run_name
from ..storage import decode_keys
from ..timeformat import local_to_utc, utcnow
from . import run_summary, run_values, runs

BATCH = 500
SUMMARY_BATCH = 10  # runs counted per read of their jobs: big runs make big reads
STALE_ACTIVE = ("running", "waiting", "unknown")
FINISHED = ("pass", "fail", "dead")
# The original's guesses of a node's machine type from its hostname.
MACHINE_TYPE_PREFIXES = (("vpm", "vps"), ("plana", "plana"), ("mira", "mira"), ("vps", "vps"),
                         ("burnupi", "burnupi"), ("tala", "tala"), ("saya", "saya"),
                         ("dubia", "dubia"))


def _none(count):
    pass


def _batches(cursor, size=BATCH):
    batch = []
    for item in cursor:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def refresh_runs(database, names, progress=_none):
    for name in names:
        run_summary.refresh_run(database, name)
        progress(1)


def derive_job_fields(database, dry_run=False):
    """Give the jobs stored before a derived field existed (domain.jobs.DERIVED_FROM: search
    grams, test id, failure signature) every derived field; a job whose fields changed
    meanwhile is left for the next time. Idempotent. Returns how many jobs it changed (would
    change, with `dry_run`)."""
    lacking = {"$or": [{name: {"$exists": False}} for name in DERIVED_FROM]}
    count = 0
    cursor = database.jobs.find(lacking, dict.fromkeys(("run", *DERIVED_INPUTS), 1))
    for batch in _batches(cursor.sort("_id", 1)):
        count += len(batch)
        if not dry_run:
            database.jobs.bulk_write([UpdateOne(
                {"_id": job["_id"], **{name: job.get(name) for name in DERIVED_INPUTS}},
                {"$set": derived_job_fields(job, parse_run_name(job["run"])["suite"] or None)})
                for job in batch], ordered=False)
    return count


def stale_jobs_query(now, running_minutes, queued_days):
    """The original's rule: active jobs not updated within `running_minutes`, queued jobs not
    updated within `queued_days` (jobs without `updated` are left alone)."""
    return {"$or": [
        {"status": {"$in": list(STALE_ACTIVE)},
         "updated": {"$lt": now - timedelta(minutes=running_minutes)}},
        {"status": "queued", "updated": {"$lt": now - timedelta(days=queued_days)}},
    ]}


def expire_jobs(database, now, running_minutes, queued_days, dry_run=False, progress=_none):
    """Mark stale jobs dead (status only: no `success`, no `updated` bump, as the original),
    each counted on its run like any job write. Returns (jobs expired, runs affected)."""
    query = stale_jobs_query(now, running_minutes, queued_days)
    expired, affected = 0, set()
    projection = {"run": 1, "rev": 1, "write_id": 1,
                  **dict.fromkeys(run_summary.SUMMARY_JOB_FIELDS, 1)}
    for batch in _batches(database.jobs.find(query, projection).sort("_id", 1)):
        for job in batch:
            if dry_run or _expire_job(database, job, query, now):
                expired += 1
                affected.add(job["run"])
        progress(len(batch))
    return expired, len(affected)


def _expire_job(database, job, query, now):
    """Mark `job` dead if it is unchanged since it was read and still stale (a job that
    reported meanwhile is left alone), counted on its run like any job write."""
    before = run_summary.summary_job_fields(job)
    change = run_summary.JobChange(run_summary.UPDATE, job["_id"], before=before,
                                   after={**before, "status": "dead"}, prior=job.get("write_id"))

    def mark_dead(write_id, _job_seq):
        unchanged = {"$and": [{"_id": job["_id"], "rev": job.get("rev")}, query]}
        return database.jobs.update_one(
            unchanged, {"$set": {"status": "dead", "write_id": write_id},
                        "$inc": {"rev": 1}}).modified_count == 1

    return bool(run_summary.counted_job_write(database, job["run"], change, mark_dead, now))


def recount(database, names=None, dry_run=False, stale_before=None, progress=_none):
    """Recount what runs keep from their jobs (status, results, first job's sha1/flavor/
    priority, sha1s, flavors) and store it where it differs; count a write on every run so no
    cached run page outlives an edit made behind the API. Job writes journalled before
    `stale_before` and never counted (their writer died) are resolved first. Returns the runs
    whose stored values differed, and how: {name: {field: (stored, counted)}}. With `dry_run`,
    changes nothing (and cannot judge runs with job writes in flight, which it skips)."""
    query = {"name": {"$in": names}} if names else {}
    if stale_before is not None and not dry_run:
        run_summary.repair_stale_writes(database, stale_before, names)
    differing = {}
    cursor = database.runs.find(
        query, {"name": 1, "pending": 1, **run_summary.SUMMARY_PROJECTION}).sort("_id", 1)
    for batch in _batches(cursor, SUMMARY_BATCH):
        summaries = run_summary.summarize_runs(database, [run["name"] for run in batch])
        for run in batch:
            changes = run_summary.summary_changes(run, summaries[run["name"]])
            in_flight = bool(run.get("pending"))
            if not in_flight and not changes:
                continue
            if dry_run:
                if not in_flight:
                    differing[run["name"]] = changes
            elif changed := run_summary.refresh_run(database, run["name"], stale_before):
                differing[run["name"]] = changed
        if not dry_run:
            database.runs.update_many({"_id": {"$in": [run["_id"] for run in batch]}},
                                      {"$inc": {"writes": 1}})
        progress(len(batch))
    return differing


def delete_run(database, name, dry_run=False):
    """Returns the number of jobs deleted with the run."""
    count = database.jobs.count_documents({"run": name})
    if not dry_run:
        runs.delete_run(database, name, utcnow())
    return count


def like_pattern(pattern):
    """SQL LIKE (`%` any text, `_` one character), as the original's commands took, as an
    anchored regular expression."""
    parts = [".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern]
    return "^" + "".join(parts) + "$"


def dedupe(database, pattern="%", dry_run=False, now=None, progress=_none):
    """For data imported without the unique indexes: keep the first run of each duplicated
    name, and fold each duplicate job (same run and job_id) into the first one with the
    update algorithm. Returns (runs removed, jobs removed)."""
    name_match = {"$regex": like_pattern(pattern)}
    runs_removed = jobs_removed = 0
    duplicates = database.runs.aggregate([
        {"$match": {"name": name_match}},
        {"$group": {"_id": "$name", "ids": {"$push": "$_id"}, "count": {"$sum": 1}}},
        {"$match": {"count": {"$gt": 1}}}])
    for group in duplicates:
        extra = sorted(group["ids"])[1:]
        if not dry_run:
            with run_values.deleting_runs(database, now or utcnow()):
                database.runs.delete_many({"_id": {"$in": extra}})
        runs_removed += len(extra)
        progress(1)
    duplicate_jobs = database.jobs.aggregate([
        {"$match": {"run": name_match}},
        {"$group": {"_id": {"run": "$run", "job_id": "$job_id"}, "ids": {"$push": "$_id"},
                    "count": {"$sum": 1}}},
        {"$match": {"count": {"$gt": 1}}}])
    touched = set()
    for group in duplicate_jobs:
        first, *rest = sorted(group["ids"])
        for duplicate_id in rest:
            if not dry_run:
                kept = database.jobs.find_one({"_id": first})
                duplicate = database.jobs.find_one({"_id": duplicate_id})
                _fold_job(database, kept, duplicate, now)
                database.jobs.delete_one({"_id": duplicate_id})
            jobs_removed += 1
        touched.add(group["_id"]["run"])
        progress(1)
    if not dry_run:
        refresh_runs(database, sorted(touched))
    return runs_removed, jobs_removed


FOLD_SKIPPED = ("_id", "run", "job_id", "posted", "started", "updated", "rev", "target_nodes")


def _fold_job(database, kept, duplicate, now):
    request = {key: value for key, value in duplicate.items() if key not in FOLD_SKIPPED}
    write = plan_job_write(kept, request, duplicate.get("updated") or now,
                           parse_run_name(kept["run"])["suite"] or None)
    fields = dict(write.job_fields)
    fields["target_nodes"] = sorted(set(kept.get("target_nodes") or [])
                                    | set(duplicate.get("target_nodes") or []))
    database.jobs.update_one({"_id": kept["_id"]}, {"$set": fields, "$inc": {"rev": 1}})


def reparse(database, tz_name, dry_run=False, progress=_none):
    """Re-derive user/scheduled/suite/branch/machine_type from every run's name and overwrite
    the stored values that differ (this undoes corrections made from job data, as in the
    original). Returns {name: {field: (old, new)}}."""
    changes = {}
    cursor = database.runs.find({}, {"name": 1, "posted": 1, "scheduled": 1,
                                     **dict.fromkeys(PARSED_ATTRIBUTES, 1)}).sort("_id", 1)
    for batch in _batches(cursor):
        updates = []
        for run in batch:
            parsed = parse_run_name(run["name"])
            wanted = {key: parsed[key] for key in PARSED_ATTRIBUTES}
            scheduled = parsed["scheduled"]
            wanted["scheduled"] = local_to_utc(scheduled, tz_name) if scheduled else run.get("posted")
            differing = {key: (run.get(key), value) for key, value in wanted.items()
                         if run.get(key) != value}
            if differing:
                changes[run["name"]] = differing
                updates.append(UpdateOne({"_id": run["_id"]},
                                         {"$set": {**{k: v[1] for k, v in differing.items()},
                                                   **run_values.mark()},
                                          "$inc": {"writes": 1}}))
        if updates and not dry_run:
            database.runs.bulk_write(updates, ordered=False)
        progress(len(batch))
    return changes


def guess_machine_type(hostname):
    for prefix, machine_type in MACHINE_TYPE_PREFIXES:
        if hostname.startswith(prefix):
            return machine_type
    return None


def set_targets(database, dry_run=False, progress=_none):
    """Link jobs without node links to the nodes of their `targets`, creating missing nodes
    (machine type guessed from the hostname); then fill in missing node machine types the same
    way; the runs of the linked jobs count their nodes again. Returns (jobs linked, nodes
    created, node types filled)."""
    jobs_linked = 0
    hostnames, touched = set(), set()
    cursor = database.jobs.find({"target_nodes": {"$in": [[], None]},
                                 "targets": {"$type": "object"}},
                                {"targets": 1, "run": 1}).sort("_id", 1)
    for batch in _batches(cursor):
        updates = []
        for job in batch:
            hosts = list(dict.fromkeys(target_hostname(key)
                                       for key in decode_keys(job["targets"])))
            if hosts:
                hostnames.update(hosts)
                touched.add(job["run"])
                updates.append(UpdateOne({"_id": job["_id"]}, {"$set": {"target_nodes": hosts}}))
        if updates and not dry_run:
            database.jobs.bulk_write(updates, ordered=False)
        jobs_linked += len(updates)
        progress(len(batch))
    if touched and not dry_run:
        refresh_runs(database, sorted(touched))
    existing = {node["name"] for node in database.nodes.find(
        {"name": {"$in": sorted(hostnames)}}, {"name": 1})}
    created = sorted(hostnames - existing)
    if created and not dry_run:
        first = database.take_numbers("nodes", len(created))
        database.nodes.bulk_write([UpdateOne(
            {"name": host},
            {"$setOnInsert": {**new_node(host, guess_machine_type(host)), SEQ: first + offset}},
            upsert=True) for offset, host in enumerate(created)], ordered=False)
    typed = 0
    for node in database.nodes.find({"machine_type": {"$in": [None, ""]}}, {"name": 1}):
        machine_type = guess_machine_type(node["name"])
        if machine_type:
            typed += 1
            if not dry_run:
                database.nodes.update_one({"_id": node["_id"]},
                                          {"$set": {"machine_type": machine_type}})
    return jobs_linked, len(created), typed


def node_jobs(database, prefix, count):
    """The last `count` jobs (by `updated`) that ran on nodes whose name starts with `prefix`."""
    query = {"target_nodes": prefix_condition(prefix)}
    return list(database.jobs.find(query, {"run": 1, "job_id": 1, "updated": 1},
                                   **database.policy.hint(query, node_jobs_index_name("updated")))
                .sort([("updated", -1), ("_id", -1)]).limit(count))


def node_stats(database, now, days, machine_type=None):
    """Finished jobs posted in the last `days` days that have started: what they ran on and
    how long they took, waited and ran."""
    query = {"posted": {"$gte": now - timedelta(days=days)}, "status": {"$in": list(FINISHED)},
             "started": {"$ne": None}}
    if machine_type:
        query["machine_type"] = machine_type
    rows = []
    for job in database.jobs.find(query, hint=search_index_name("posted")).sort("_id", 1):
        runtime = (job["updated"] - job["started"]).total_seconds() if job.get("updated") else None
        duration = job.get("duration")
        rows.append({
            "name": job.get("name") or job["run"], "job_id": job["job_id"],
            "status": job["status"], "suite": job.get("suite"),
            "nodes": len(job.get("target_nodes") or []), "duration": duration,
            "runtime": runtime,
            "waited": runtime - duration if runtime is not None and duration is not None else None,
            "description": job.get("description"),
        })
    return rows


def queue_stats(database, today, days):
    """For each of the last `days` days: jobs of the runs scheduled that day, and how many of
    them completed (pass or fail)."""
    rows = []
    for offset in range(days - 1, -1, -1):
        day = today - timedelta(days=offset)
        start = day.replace(hour=0, minute=0, second=0, microsecond=0)
        day_runs = list(database.runs.find(
            {"scheduled": {"$gte": start, "$lt": start + timedelta(days=1)}}, {"results": 1}))
        scheduled = sum(run["results"]["total"] for run in day_runs)
        completed = sum(run["results"]["pass"] + run["results"]["fail"] for run in day_runs)
        rows.append({"date": start.date().isoformat(), "scheduled": scheduled,
                     "completed": completed,
                     "percent": round(100 * completed / scheduled, 1) if scheduled else 0.0})
    return rows


def missing_indexes(database):
    """The declared indexes (db.INDEXES) the database lacks, as `collection.index` names."""
    return index_drift(database)[0]
