"""Copy a whole lab from a running paddles (the original, or another paddles-mongo) through
its public HTTP API: runs with every job and all their metadata, nodes with their lock state,
and queues. Dates and job ids are kept as the source has them (to the millisecond, MongoDB's
precision). Idempotent and resumable: a run whose copy is complete (same `updated`, same
number of jobs) is not fetched again, and a run's document is written after its jobs, so an
interrupted copy is redone on the next pass."""
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from urllib.parse import quote

import requests
from pymongo import ReplaceOne, UpdateOne
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .db import SEQ
from .documents import METADATA_FIELDS, RUN_TIME_FIELDS, SETTABLE_FIELDS, TIME_FIELDS
from .domain.jobs import derived_job_fields, target_hostname
from .domain.nodes import NODE_FIELDS
from .domain.runnames import PARSED_ATTRIBUTES, parse_run_name
from .domain.runs import RESULT_STATUSES, result_key
from .services import run_summary, run_values
from .services import runs as run_service
from .storage import encode_keys

log = logging.getLogger(__name__)
LAST_DAY = "9999-12-31"
# On an imported run: the results of the source's half-made jobs the copy skipped.
SKIPPED_JOBS = "import_skipped_jobs"


def parse_wire_date(text):
    """`YYYY-MM-DD HH:MM:SS[.ffffff]` (naive UTC) as MongoDB stores it: milliseconds."""
    if text is None:
        return None
    value = datetime.fromisoformat(text).replace(tzinfo=None)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


class Source:
    """The paddles being copied. GETs are retried on connection errors and 5xx answers."""

    def __init__(self, base_url, retries=5, timeout=120):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        retry = Retry(total=retries, backoff_factor=0.5, status_forcelist=(500, 502, 503, 504),
                      allowed_methods=frozenset({"GET"}))
        self.session.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=32))
        self.session.mount("https://", HTTPAdapter(max_retries=retry, pool_maxsize=32))

    def get(self, path, **params):
        response = self.session.get(self.base_url + path, params=params, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def runs(self, since=None, page_size=200):
        """Run summaries (the run-list JSON), each once: newest posted first through the
        paged /runs/, or, with `since`, those scheduled from that day on."""
        if since:
            yield from self.get(f"/runs/date/from/{since}/to/{LAST_DAY}/")
            return
        seen = set()
        page = 1
        while True:
            batch = self.get("/runs/", count=page_size, page=page)
            if not batch:
                return
            for run in batch:
                if run["name"] not in seen:
                    seen.add(run["name"])
                    yield run
            page += 1

    def run(self, name):
        return self.get(f"/runs/{quote(name, safe='')}/")


def job_document(run_name, job, node_names):
    document = {"run": run_name, "job_id": str(job["job_id"]), "rev": 0}
    for name in SETTABLE_FIELDS:
        value = job.get(name)
        if name in TIME_FIELDS:
            value = parse_wire_date(value)
        elif name in METADATA_FIELDS:
            value = encode_keys(value)
        document[name] = value
    document["job_id"] = str(job["job_id"])  # the original returned them as strings already
    document.update(derived_job_fields(document, parse_run_name(run_name)["suite"] or None))
    for name in ("posted", "started", "updated"):
        document[name] = parse_wire_date(job.get(name))
    # Links to the source's nodes; a node deleted at the source has lost its links there too.
    targets = job.get("targets") if isinstance(job.get("targets"), dict) else {}
    document["target_nodes"] = [host for host in dict.fromkeys(map(target_hostname, targets))
                                if host in node_names]
    return document


def run_is_copied(database, summary):
    """A run copy is complete when its document exists (written last) with the source's
    `updated` and the same number of jobs (those copied, and those skipped)."""
    ours = database.runs.find_one({"name": summary["name"]}, {"updated": 1, SKIPPED_JOBS: 1})
    if ours is None or ours.get("updated") != parse_wire_date(summary.get("updated")):
        return False
    count = database.jobs.count_documents({"run": summary["name"]})
    skipped = (ours.get(SKIPPED_JOBS) or {}).get("total", 0)
    return count + skipped == summary.get("jobs_count", summary["results"]["total"])


def skipped_results(jobs):
    """The results the skipped `jobs` count for in their run at the source."""
    results = dict.fromkeys((*RESULT_STATUSES, "total"), 0)
    for job in jobs:
        results["total"] += 1
        key = result_key(job.get("status"))
        if key:
            results[key] += 1
    return results


def copy_run(source, database, name, node_names):
    """Returns (jobs copied, jobs skipped)."""
    run = source.run(name)
    # The original's job creation race leaves half-made rows without a job_id behind: they
    # are no job of the run (a copy would be a job named "None"), so they are skipped, and
    # remembered on the run so a rerun and the results check know they were.
    half_made = [job for job in run.get("jobs", []) if job.get("job_id") is None]
    jobs = [job_document(name, job, node_names) for job in run.get("jobs", [])
            if job.get("job_id") is not None]
    if jobs:
        database.jobs.bulk_write([ReplaceOne({"run": name, "job_id": job["job_id"]}, job,
                                             upsert=True) for job in jobs], ordered=False)
    database.jobs.delete_many({"run": name, "job_id": {"$nin": [job["job_id"] for job in jobs]}})
    fields = {key: run.get(key) for key in PARSED_ATTRIBUTES}
    fields.update({key: parse_wire_date(run.get(key)) for key in RUN_TIME_FIELDS})
    fields[SKIPPED_JOBS] = skipped_results(half_made) if half_made else None
    fields.update(run_values.mark())  # the copy's values may be new among the runs'
    database.runs.update_one(
        {"name": name},
        {"$set": fields, "$inc": {"writes": 1}, "$setOnInsert": {
            key: value for key, value in run_service.new_run(name, None, "UTC").items()
            # A copy records no event: its runs' changes were the source's.
            if key not in fields and key not in ("name", "writes", "outbox")}},
        upsert=True)
    run_summary.refresh_run(database, name)  # `started` stays the source's
    return len(jobs), len(half_made)


def node_document(node):
    document = {key: node.get(key) for key in NODE_FIELDS}
    host = node.get("vm_host")
    document["vm_host"] = host.get("name") if isinstance(host, dict) else host
    document["locked_since"] = parse_wire_date(node.get("locked_since"))
    document["locked"] = bool(node.get("locked"))
    document["is_vm"] = bool(node.get("is_vm"))
    return document


def copy_nodes(source, database):
    """Returns the names of the source's nodes."""
    nodes = [node_document(node) for node in source.get("/nodes/")]
    if nodes:
        # Numbered in the source's order (the original lists nodes as they were created);
        # the numbers of nodes already here go unused.
        first = database.take_numbers("nodes", len(nodes))
        database.nodes.bulk_write([UpdateOne(
            {"name": node["name"]},
            {"$set": node, "$setOnInsert": {"rev": 0, SEQ: first + offset}},
            upsert=True) for offset, node in enumerate(nodes)], ordered=False)
    return {node["name"] for node in nodes}


def copy_queues(source, database):
    queues = source.get("/queue/")
    first = database.take_numbers("queues", len(queues)) if queues else None
    for offset, queue in enumerate(queues):
        database.queues.update_one(
            {"queue": queue["queue"]},
            {"$set": {"paused_by": queue.get("paused_by"),
                      "paused_since": parse_wire_date(queue.get("paused_since")),
                      "paused_until": parse_wire_date(queue.get("paused_until"))},
             "$setOnInsert": {"rev": 0, SEQ: first + offset}}, upsert=True)
    return len(queues)


def results_differ(database, summaries):
    """Runs whose results here differ from the source's: {name: (source, here)}."""
    names = [s["name"] for s in summaries]
    ours = run_summary.summarize_runs(database, names)
    skipped = {run["name"]: run.get(SKIPPED_JOBS) or {} for run in database.runs.find(
        {"name": {"$in": names}}, {"name": 1, SKIPPED_JOBS: 1})}
    keys = (*RESULT_STATUSES, "total")
    differing = {}
    for summary in summaries:
        theirs = {key: summary["results"][key] for key in keys}
        mine = {key: ours[summary["name"]][key] + skipped.get(summary["name"], {}).get(key, 0)
                for key in keys}
        if theirs != mine:
            differing[summary["name"]] = (theirs, mine)
    return differing


def import_lab(source, database, summaries, concurrency=4, progress=None):
    """Copy the source's nodes, the runs of `summaries` (from Source.runs) and the queues;
    returns a report dict. `progress(n)` is called as runs are handled."""
    node_names = copy_nodes(source, database)
    pending = [s for s in summaries if not run_is_copied(database, s)]
    if progress:
        progress(len(summaries) - len(pending))
    jobs = skipped = 0

    def copy(summary):
        return copy_run(source, database, summary["name"], node_names)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for copied, half_made in pool.map(copy, pending):
            jobs += copied
            skipped += half_made
            if progress:
                progress(1)
    return {"runs": len(summaries), "runs_copied": len(pending), "jobs_copied": jobs,
            "jobs_skipped": skipped,
            "nodes": len(node_names), "queues": copy_queues(source, database),
            "differing": results_differ(database, summaries)}
