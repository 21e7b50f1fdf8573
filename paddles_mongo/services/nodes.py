"""Nodes: inventory, locking and job history.

Every node write is conditional on the node's `rev` (bumped by each write), so the lock rules
always judge the state they overwrite. Writes to several nodes at once (lock_many,
unlock_many) first *claim* each node (a short-lived `claim` field that other writers wait
for), then change them all in one update: all of them or none, and nobody can slip in
between. A claim left by a crashed process expires after CLAIM_SECONDS."""
import time
import uuid
from datetime import timedelta

from pymongo import UpdateOne
from pymongo.errors import DuplicateKeyError

from ..db import (CREATION_ORDER, POSTED_ORDER, RUN_JOB_ID_INDEX, SEQ, node_index_name,
                  node_jobs_index_name)
from ..domain.nodes import check_lock_rules, new_node, plan_node_update
from ..domain.runs import JOB_STATUSES
from ..exceptions import InvalidInput, NotFound, Unavailable
from ..query_policy import BATCH_LIMIT, ordered_projection
from . import events, maintenance, paging
from .run_summary import NODE_COUNT_JOB_FIELDS, node_count_keys
from .runs import runs_of_period

WRITE_ATTEMPTS = 100
CLAIM_SECONDS = 30
NODE_NOT_FOUND = "node not found"
# Which index serves a node list, by the filters present (most selective first).
LIST_INDEX_PREFERENCE = ("locked_by", "machine_type", "os_version", "os_type", "locked", "up")
MAX_HOST_DEPTH = 10


def list_nodes(database, filters, skip=0, limit=None, after=None, fields=None):
    """Nodes matching `filters` ({field: value}; machine_type may be a list meaning any of),
    in creation order, `limit` of them after the first `skip` (or after the position of
    cursor `after`, paging.py); only their `fields` if given."""
    query = {field: {"$in": value} if isinstance(value, list) else value
             for field, value in filters.items()}
    index = next((node_index_name(f) for f in LIST_INDEX_PREFERENCE if f in query),
                 None if after is None else node_index_name(SEQ))
    query = paging.after(query, CREATION_ORDER, after)
    cursor = database.nodes.find(query, ordered_projection(fields, CREATION_ORDER),
                                 **(database.policy.hint(query, index) if index else {}))
    cursor = cursor.sort(CREATION_ORDER).skip(skip)
    if limit:
        cursor = cursor.limit(limit)
    return list(cursor.batch_size(BATCH_LIMIT))


def vm_hosts(database, nodes):
    """{name: node} of every VM host the nodes refer to, following hosts of hosts."""
    hosts = {node["name"]: node for node in nodes}
    wanted = {node["vm_host"] for node in nodes if node.get("vm_host")} - set(hosts)
    for _depth in range(MAX_HOST_DEPTH):
        if not wanted:
            break
        found = list(database.nodes.find({"name": {"$in": sorted(wanted)}}))
        hosts.update((node["name"], node) for node in found)
        wanted = {node["vm_host"] for node in found if node.get("vm_host")} - set(hosts)
    return hosts


def get_node(database, name, message=NODE_NOT_FOUND):
    node = database.nodes.find_one({"name": name})
    if node is None:
        raise NotFound(message)
    return node


def _check_vm_host(database, request):
    host = request.get("vm_host")
    if host and database.nodes.find_one({"name": host}, {"_id": 1}) is None:
        raise InvalidInput(f"vm_host {host} does not exist")


def create_node(database, request, now):
    request = dict(request)
    name = request.pop("name")
    _check_vm_host(database, request)
    document = {**new_node(name), **plan_node_update({}, request, now, check_rules=False),
                "rev": 0, SEQ: database.take_numbers("nodes"),
                "outbox": [events.change("node.created", now, node=name)]}
    try:
        database.nodes.insert_one(document)
    except DuplicateKeyError:
        raise InvalidInput(f"Node with name {name} already exists") from None
    events.publish_outbox(database, "nodes", document)


def node_change(current, fields, now):
    """The event of setting `fields` on the node `current` (None: nothing changes). A lock
    names its new holder; an unlock the holder it ends, since when it held the node and what
    for; any other change the fields it changed."""
    name = current["name"]
    if "locked" in fields and fields["locked"] != bool(current.get("locked")):
        if fields["locked"]:
            return events.change("node.locked", now, node=name, locked_by=fields.get(
                "locked_by", current.get("locked_by")), description=fields.get(
                "description", current.get("description")))
        return events.change("node.unlocked", now, node=name,
                             locked_by=current.get("locked_by"),
                             description=current.get("description"),
                             locked_since=current.get("locked_since"))
    changed = sorted(field for field, value in fields.items() if current.get(field) != value)
    if not changed:
        return None
    return events.change("node.updated", now, node=name, changed=changed)


def _unclaimed(now):
    """No claim, or an expired one. Not `$or` of the two: the local database answers a write
    whose filter has a top-level operator by reading the whole collection."""
    return {"claim.expires": {"$not": {"$gte": now}}}


def _pause(attempt):
    """Back off while another request holds a node (bounded: about 3 s over all attempts)."""
    time.sleep(min(0.001 * 2 ** attempt, 0.05))


def update_node(database, name, request, now, missing_message=NODE_NOT_FOUND):
    """Apply an update (with the lock rules) to the node's current state; returns the node."""
    _check_vm_host(database, request)
    for attempt in range(WRITE_ATTEMPTS):
        current = get_node(database, name, missing_message)
        fields = plan_node_update(current, request, now)
        change = node_change(current, fields, now)
        updated = database.policy.update_and_read(
            database.nodes, {"_id": current["_id"], "rev": current.get("rev"),
                             **_unclaimed(now)}, "_id",
            events.with_outbox({"$set": fields, "$unset": {"claim": ""}, "$inc": {"rev": 1}},
                               [change] if change else []), None)
        if updated is not None:
            events.publish_outbox(database, "nodes", updated)
            return updated
        _pause(attempt)
    raise Unavailable("node is busy; please retry")


def delete_node(database, name, now):
    """Delete the node; its jobs forget it (they stay), and their runs count their jobs'
    nodes again."""
    node = database.nodes.find_one_and_delete({"name": name}, {"outbox": 1})
    if node is None:
        raise NotFound(NODE_NOT_FOUND)
    events.publish(database, [*(node.get("outbox") or []),
                              events.change("node.deleted", now, node=name)])
    linked = {"target_nodes": name}
    runs = database.jobs.distinct("run", linked)
    database.jobs.update_many(linked, {"$pull": {"target_nodes": name}})
    maintenance.refresh_runs(database, runs)


def _apply_all_or_none(database, nodes, fields, now):
    """Set `fields` on every node, provided none changed since it was read: claim each (in the
    given order), then write all in one command, each node with its event. If one cannot be
    claimed, release ours and return None."""
    claim = {"id": uuid.uuid4().hex, "expires": now + timedelta(seconds=CLAIM_SECONDS)}
    ids = [node["_id"] for node in nodes]
    for node in nodes:
        result = database.nodes.update_one(
            {"_id": node["_id"], "rev": node.get("rev"), **_unclaimed(now)},
            {"$set": {"claim": claim}})
        if not result.matched_count:
            database.nodes.update_many({"_id": {"$in": ids}, "claim.id": claim["id"]},
                                       {"$unset": {"claim": ""}})
            return None
    if not nodes:
        return []
    writes = []
    for node in nodes:
        change = node_change(node, fields, now)
        writes.append(UpdateOne({"_id": node["_id"], "claim.id": claim["id"]}, events.with_outbox(
            {"$set": fields, "$unset": {"claim": ""}, "$inc": {"rev": 1}},
            [change] if change else [])))
    database.nodes.bulk_write(writes, ordered=False)
    written = list(database.nodes.find({"_id": {"$in": ids}}).sort(CREATION_ORDER))
    events.publish(database, [change for node in written for change in node.get("outbox") or []],
                   "nodes", ids)
    return written


def lock_many(database, request, now):
    """Lock `count` free, up nodes of the machine type(s) for one owner: all, or none (503)."""
    query = {"machine_type": {"$in": request.machine_types}, "up": True, "locked": False}
    for field in ("os_type", "os_version", "arch"):
        if getattr(request, field):
            query[field] = getattr(request, field)
    fields = {"locked": True, "locked_by": request.locked_by,
              "description": request.description, "locked_since": now}
    for attempt in range(WRITE_ATTEMPTS):
        # Nodes another request is changing are not offered.
        candidates = list(database.nodes.find({**query, **_unclaimed(now)}).sort(CREATION_ORDER)
                          .hint(node_index_name("machine_type")).limit(request.count))
        if len(candidates) < request.count:
            raise Unavailable(f"only {len(candidates)} nodes available")
        locked = _apply_all_or_none(database, candidates, fields, now)
        if locked is not None:
            return locked
        _pause(attempt)
    raise Unavailable("nodes are busy; please retry")


def unlock_many(database, names, locked_by, now):
    """Unlock every named node for its owner: all, or none (the first refusal is answered)."""
    for attempt in range(WRITE_ATTEMPTS):
        nodes = list(database.nodes.find({"name": {"$in": names}}).sort(CREATION_ORDER))
        if len(nodes) != len(names):
            raise InvalidInput("Could not find all nodes!")
        for node in nodes:
            check_lock_rules(node, {"locked": False, "locked_by": locked_by})
        unlocked = _apply_all_or_none(
            database, nodes, {"locked": False, "locked_by": None, "locked_since": None}, now)
        if unlocked is not None:
            return unlocked
        _pause(attempt)
    raise Unavailable("nodes are busy; please retry")


def machine_types(database):
    types = database.nodes.distinct("machine_type", {"machine_type": {"$gt": ""}})
    return sorted(t for t in types if isinstance(t, str) and t)


def job_stats(database, machine_type, since_days, now):
    """{node: {status: count}} over jobs posted in the last `since_days` days, only statuses
    that occur, nodes ordered by their total, fewest first. With `machine_type`: only nodes of
    that type and only jobs of that type or `multi` (the original's trade-off).

    Read from the runs, not the jobs: each run counts its jobs per node, machine type and
    status (`node_counts`, kept exact by every job write, run_summary.py) and bounds their
    `posted` (`jobs_posted`). A run whose jobs were all posted in the period counts whole; only
    the jobs of runs that straddle its start are read. The cost is the runs of the period,
    whatever the number of jobs in the database or in the period."""
    since = now - timedelta(days=since_days)
    job_types = {machine_type, "multi"} if machine_type else None
    names = (set(database.nodes.distinct("name", {"machine_type": machine_type}))
             if machine_type else None)
    stats, straddling = {}, []

    def count(node, job_type, status, number):
        if (job_types is None or job_type in job_types) and (names is None or node in names):
            counts = stats.setdefault(node, {})
            counts[status] = counts.get(status, 0) + number

    for run in runs_of_period(database, since, ("name", "jobs_posted", "node_counts")):
        if run["jobs_posted"]["first"] < since:
            straddling.append(run["name"])
            continue
        for entry in run.get("node_counts") or []:
            count(entry["node"], entry["machine_type"], entry["status"], entry["count"])
    if straddling:
        query = {"run": {"$in": straddling}, "posted": {"$gte": since}}
        jobs = database.policy.matching(database.jobs, query, RUN_JOB_ID_INDEX,
                                        NODE_COUNT_JOB_FIELDS + ("status",))
        for job in jobs:
            for node, job_type, status in node_count_keys(job):
                count(node, job_type, status, 1)
    return dict(sorted(stats.items(), key=lambda item: (sum(item[1].values()), item[0])))


def node_jobs(database, name, now, skip, limit, job_name=None, status=None, after=None):
    """The node's jobs, newest `posted` first, `limit` of them (None: all) after `skip` (or
    after the position of cursor `after`, paging.py)."""
    query = {"target_nodes": name}
    if job_name:
        query["name"] = job_name
    if status:
        query["status"] = status
    return database.policy.newest(database.jobs, paging.after(query, POSTED_ORDER, after),
                                  node_jobs_index_name("posted"), POSTED_ORDER, skip,
                                  limit or 0, now)


def node_job_stats(database, name):
    counts = dict.fromkeys(JOB_STATUSES, 0)
    pipeline = [{"$match": {"target_nodes": name}},
                {"$group": {"_id": "$status", "count": {"$sum": 1}}}]
    for row in database.jobs.aggregate(pipeline):
        counts[row["_id"] or "unknown"] += row["count"]
    return counts
