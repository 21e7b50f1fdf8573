import re
from collections import Counter, namedtuple

from bson import ObjectId
from pymongo import InsertOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from ..db import (JOB_ID_ORDER, POSTED_ORDER, RUN_JOB_ID_INDEX, RUN_JOBS_ORDER,
                  search_index_name)
from ..documents import METADATA_FIELDS
from ..domain.jobs import DERIVED_INPUTS, plan_job_write
from ..domain.runnames import parse_run_name
from ..domain.nodes import new_node
from ..exceptions import InvalidInput, NotFound, PaddlesError, Unavailable
from ..query_policy import BATCH_LIMIT
from ..storage import encode_keys
from ..timeformat import utcnow
from ..text_search import DESCRIPTION_INDEX, GRAMS_FIELD, search_grams
from . import creation_order, events, paging, run_summary, runs

JOB_WRITE_ATTEMPTS = 100
DUPLICATE_KEY = 11000


def _storable(fields):
    return {name: encode_keys(value) if name in METADATA_FIELDS else value
            for name, value in fields.items()}


def run_suite(run_name):
    """The suite a run's name gives: a test's suite when its job reports none."""
    return parse_run_name(run_name)["suite"] or None


def next_job_id(database):
    """Server-assigned job ids come from one database-wide sequence, as in the original."""
    return str(database.take_numbers("job_id"))


def find_job(database, run_name, job_id, projection=None):
    job = database.jobs.find_one({"run": run_name, "job_id": job_id}, projection)
    if job is None:
        raise NotFound(f"job {job_id} of run {run_name} was not found")
    return job


def run_jobs(database, run_name, status=None, fields=None, by_job_id=False):
    """The run's jobs, newest `posted` first, or in job_id order; only those with `status` if
    given; only their stored `fields` if given."""
    query = {"run": run_name, **({"status": status} if status else {})}
    projection = dict.fromkeys(fields, 1) if fields else None
    order = JOB_ID_ORDER if by_job_id else RUN_JOBS_ORDER
    return database.policy.run_jobs(database.jobs, RUN_JOB_ID_INDEX, query, projection, order)


def _link_nodes(database, write):
    _link_hosts(database, dict.fromkeys(write.target_hostnames, write.node_machine_type))


def _link_hosts(database, hosts):
    """Create the nodes of `hosts` ({hostname: machine type}) that do not exist yet, in one
    bulk upsert, numbered in that order."""
    if not hosts:
        return
    changes = [events.change("node.created", utcnow(), node=host) for host in hosts]
    upserts = [UpdateOne({"name": host}, {"$setOnInsert": {
        **new_node(host, machine_type), "outbox": [change]}}, upsert=True)
        for (host, machine_type), change in zip(hosts.items(), changes)]
    try:
        created = database.nodes.bulk_write(upserts, ordered=False).upserted_ids
    except BulkWriteError as error:
        # A concurrent request created some of the same nodes first: they exist, as wanted.
        if any(e["code"] != DUPLICATE_KEY for e in error.details["writeErrors"]):
            raise
        created = creation_order.bulk_upserted(error)
    creation_order.number_upserted(database, "nodes", created)
    events.publish(database, [changes[index] for index in sorted(created or {})], "nodes",
                   [created[index] for index in sorted(created or {})])


def _change_of(op, current, write=None):
    """The JobChange of an update (`write`: its JobWrite) or deletion of the stored job
    `current`."""
    before = run_summary.summary_job_fields(current)
    after = None
    if write is not None:
        after = {**before, **{field: write.job_fields[field]
                              for field in run_summary.SUMMARY_JOB_FIELDS
                              if field in write.job_fields}}
    return run_summary.JobChange(
        op, current["_id"], before=before, after=after,
        run_fields=write.run_fields if write is not None else None,
        started=write.started if write is not None else None, prior=current.get("write_id"))


def _new_job(run_name, job_id, write, now):
    """The document of the job `write` creates (its job_fields without job_id), and the
    JobChange its run counts."""
    document = {"_id": ObjectId(), "run": run_name, "job_id": job_id, "posted": now,
                "started": None, "target_nodes": [], "rev": 0, **_storable(write.job_fields)}
    change = run_summary.JobChange(
        run_summary.CREATE, document["_id"], after=run_summary.summary_job_fields(document),
        run_fields=write.run_fields, started=write.started)
    return document, change


def _stamped(document, write_id, job_seq):
    """A new job's document as inserted by its journalled write."""
    return {**document, "write_id": write_id, "seq": job_seq}


def create_job(database, settings, run_name, request, now):
    """Returns (job_id, JobWrite). A job_id already used in the run -> 400 `... already exists`
    (enforced by the unique index, so concurrent POSTs cannot both succeed)."""
    write = plan_job_write(None, request, now, run_suite(run_name))
    given_id = write.job_fields.pop("job_id", None)
    for _attempt in range(JOB_WRITE_ATTEMPTS):
        job_id = given_id or next_job_id(database)
        document, change = _new_job(run_name, job_id, write, now)

        def insert(write_id, job_seq):
            try:
                database.jobs.insert_one(_stamped(document, write_id, job_seq))
                return True
            except DuplicateKeyError:
                return False

        created = run_summary.counted_job_write(database, run_name, change, insert, now)
        if created is None:
            # The run's first job: the run is made now (or by a concurrent POST) first.
            runs.ensure_run(database, run_name, now, settings.timezone)
            created = run_summary.counted_job_write(database, run_name, change, insert, now)
        if created:
            break
        if given_id is not None:
            raise InvalidInput(f"job with job_id {job_id} already exists")
        # A client-chosen id in this run took the next sequence number: take another.
    else:
        raise Unavailable("could not assign a job_id; please retry")
    _link_nodes(database, write)
    return job_id, write


def _job_update(current, write, write_id):
    """(filter, update) of the stored job `current` by `write`, stamped `write_id`: applied
    only to the state that was read (its `rev`)."""
    # By `_id`: the cheapest lookup on every server (SecantusDB reads every job of the run for
    # a filter on `run` and `job_id` with `rev`).
    return ({"_id": current["_id"], "rev": current.get("rev")},
            {"$set": {**_storable(write.job_fields), "write_id": write_id}, "$inc": {"rev": 1}})


UPDATE_READ = {**dict.fromkeys(run_summary.SUMMARY_JOB_FIELDS, 1), "success": 1, "started": 1,
               "target_nodes": 1, "rev": 1, "write_id": 1, **dict.fromkeys(DERIVED_INPUTS, 1)}


def update_job(database, run_name, job_id, request, now):
    """Merge `request` into the job (the stored document is never replaced). Concurrent writers
    of one job are serialised by a revision check: each write applies to the state it read."""
    for _attempt in range(JOB_WRITE_ATTEMPTS):
        current = database.jobs.find_one({"run": run_name, "job_id": job_id}, UPDATE_READ)
        if current is None:
            raise NotFound("attempted to update a non-existent job")
        write = plan_job_write(current, request, now, run_suite(run_name))

        def update(write_id, _job_seq):
            return database.jobs.update_one(
                *_job_update(current, write, write_id)).matched_count == 1

        change = _change_of(run_summary.UPDATE, current, write)
        if run_summary.counted_job_write(database, run_name, change, update, now):
            break
    else:
        raise Unavailable("job is being updated concurrently; please retry")
    _link_nodes(database, write)
    return write


def report_jobs(database, settings, run_name, requests, now):
    """Write each of `requests` (validated job documents, each with its `job_id`) as
    teuthology's report_job would, one after the other: create the job (and the run with its
    first job) if the run has none of that job_id, else update it by the rules of a PUT.

    A job_id's n-th request is written in the n-th round, after its earlier ones. A round
    writes its jobs together (_write_round) in a number of commands that does not grow with
    theirs. Returns, for each request in order, its JobWrite or the PaddlesError it failed
    with."""
    rounds = []
    seen = Counter()
    for index, request in enumerate(requests):
        occurrence = seen[request["job_id"]]
        seen[request["job_id"]] += 1
        if occurrence == len(rounds):
            rounds.append([])
        rounds[occurrence].append(index)
    outcomes = {}
    hosts = {}
    for indexes in rounds:
        written, linked = _write_round(database, settings, run_name,
                                       [(index, requests[index]) for index in indexes], now)
        outcomes.update(written)
        for write in linked:
            for host in write.target_hostnames:
                hosts.setdefault(host, write.node_machine_type)
    _link_hosts(database, hosts)
    return [outcomes[index] for index in range(len(requests))]


# A job write of a batch: its JobWrite, the stored job it updates (None: it creates one), the
# new job's document (None: an update), and the JobChange its run counts.
PlannedWrite = namedtuple("PlannedWrite", "write current document change")


def _write_round(database, settings, run_name, indexed_requests, now):
    """Write the jobs of `indexed_requests` ([(index, request)], of distinct job_ids) together:
    one read of the stored ones, then their writes journalled as one (counted_job_writes), the
    jobs written in one bulk write. A write that lost a race (a concurrent creation of the
    job, a concurrent write of it since it was read) is done again alone, by update_job.
    Returns ({index: JobWrite or PaddlesError}, the writes whose nodes are left to link)."""
    job_ids = [request["job_id"] for _index, request in indexed_requests]
    stored = {job["job_id"]: job for job in database.policy.run_jobs(
        database.jobs, RUN_JOB_ID_INDEX, {"run": run_name, "job_id": {"$in": job_ids}},
        UPDATE_READ, JOB_ID_ORDER)}
    suite = run_suite(run_name)
    plans = []
    for _index, request in indexed_requests:
        current = stored.get(request["job_id"])
        write = plan_job_write(current, request, now, suite)
        if current is None:
            document, change = _new_job(run_name, write.job_fields.pop("job_id"), write, now)
        else:
            document, change = None, _change_of(run_summary.UPDATE, current, write)
        plans.append(PlannedWrite(write, current, document, change))

    def write_jobs(entries, job_seqs):
        operations = [
            InsertOne(_stamped(plan.document, entry["w"], job_seq)) if plan.current is None
            else UpdateOne(*_job_update(plan.current, plan.write, entry["w"]))
            for plan, entry, job_seq in zip(plans, entries, job_seqs)]
        try:
            result = database.jobs.bulk_write(operations, ordered=False).bulk_api_result
        except BulkWriteError as error:
            # A concurrent request created some of the same jobs first.
            if any(e["code"] != DUPLICATE_KEY for e in error.details["writeErrors"]):
                raise
            result = error.details
        lost = {e["index"] for e in result["writeErrors"]}
        answers = [index not in lost for index in range(len(plans))]
        updated = [index for index, plan in enumerate(plans) if plan.current is not None]
        if result["nMatched"] < len(updated):
            # Some updates found their job changed since it was read: those that happened are
            # those whose job carries their id (or was written again since: see
            # counted_job_writes).
            write_ids = {job["_id"]: job.get("write_id") for job in database.jobs.find(
                {"_id": {"$in": [plans[index].current["_id"] for index in updated]}},
                {"write_id": 1})}
            for index in updated:
                if write_ids.get(plans[index].current["_id"]) != entries[index]["w"]:
                    answers[index] = None
        return answers

    changes = [plan.change for plan in plans]
    happened = run_summary.counted_job_writes(database, run_name, changes, write_jobs, now)
    if happened is None:
        # The run's first jobs: the run is made now (or by a concurrent request) first.
        runs.ensure_run(database, run_name, now, settings.timezone)
        happened = run_summary.counted_job_writes(database, run_name, changes, write_jobs,
                                                  now) or set()
    outcomes = {}
    for position, (index, request) in enumerate(indexed_requests):
        if position in happened:
            outcomes[index] = plans[position].write
            continue
        try:
            outcomes[index] = update_job(database, run_name, request["job_id"], request, now)
        except PaddlesError as error:
            outcomes[index] = error
    return outcomes, [plans[position].write for position in sorted(happened)]


def delete_job(database, run_name, job_id, now):
    for _attempt in range(JOB_WRITE_ATTEMPTS):
        current = database.jobs.find_one({"run": run_name, "job_id": job_id}, UPDATE_READ)
        if current is None:
            raise NotFound("attempted to delete a non-existent job")

        def delete(_write_id, _job_seq):
            return database.jobs.delete_one(
                {"_id": current["_id"], "rev": current.get("rev")}).deleted_count == 1

        change = _change_of(run_summary.DELETE, current)
        if run_summary.counted_job_write(database, run_name, change, delete, now):
            break
    else:
        raise Unavailable("job is being updated concurrently; please retry")
    run_summary.settle_first_job(database, run_name)


# Which index serves a job search, by the conditions present (most selective first).
SEARCH_INDEX_PREFERENCE = (("sha1", search_index_name("sha1")), (GRAMS_FIELD, DESCRIPTION_INDEX),
                           *((field, search_index_name(field))
                             for field in ("user", "branch", "status")))


def search_jobs(database, now, skip, limit, description=None, status=None, sha1=None,
                branch=None, user=None, posted_after=None, posted_before=None, after=None,
                fields=None):
    """Jobs of every run, newest `posted` first. `sha1` given: `branch` is ignored (as in the
    original). `posted_after`/`posted_before`: datetimes, compared strictly. `description`: a
    substring, found through the grams index where the server has it (text_search.py).
    `after`: a cursor (paging.py); the page starts after its position. `fields`: only those
    if given."""
    query = {}
    if description:
        query["description"] = {"$regex": re.escape(description)}
        description_grams = search_grams(description)
        if description_grams and database.policy.text_grams:
            query[GRAMS_FIELD] = {"$all": description_grams}
    exact = {"status": status, "sha1": sha1, "branch": None if sha1 else branch, "user": user}
    query.update({field: value for field, value in exact.items() if value})
    posted = {}
    if posted_after is not None:
        posted["$gt"] = posted_after
    if posted_before is not None:
        posted["$lt"] = posted_before
    if posted:
        query["posted"] = posted
    index = next((index for field, index in SEARCH_INDEX_PREFERENCE if field in query),
                 search_index_name("posted"))
    return database.policy.newest(database.jobs, paging.after(query, POSTED_ORDER, after),
                                  index, POSTED_ORDER, skip, limit, now, fields)
