"""The job create/update algorithm (spec §5.2, §5.3, §5.6, §5.7).

`plan_job_write` takes the stored job (None when creating) and a validated request and returns
what to write; it never touches a database, so every rule here is testable on plain dicts.
"""
from dataclasses import dataclass, field

from ..exceptions import InvalidInput
from ..text_search import GRAMS_FIELD, grams
from .lab_questions import failure_signature, test_id

TERMINAL_STATUSES = ("pass", "fail")  # `status` cannot move a job out of these
STATUS_FROM_SUCCESS = {True: "pass", False: "fail", None: "unknown"}
STARTABLE_STATUSES = (None, "queued")  # running from these stamps `started`
COUNTED_STATUSES = ("pass", "fail", "dead")  # entering these is reported to statsd/metrics
RUN_CORRECTED_FIELDS = ("suite", "branch", "machine_type")
# Job fields whose change changes what the run keeps from its jobs (services.run_summary.stored_summary).
RUN_SUMMARY_FIELDS = ("status", "sha1", "flavor", "priority")
# Fields the service stores beside a job's own, derived from them (derived_job_fields), and
# the fields each is derived from.
DERIVED_FROM = {GRAMS_FIELD: ("description",), "test_id": ("suite", "description"),
                "failure_signature": ("failure_reason",)}
# What a write must know of the stored job to derive them again.
DERIVED_INPUTS = tuple(sorted({field for fields in DERIVED_FROM.values() for field in fields}))


@dataclass
class JobWrite:
    job_fields: dict                                   # to $set on the job
    run_fields: dict                                   # to $set on its run
    old_status: str = None
    new_status: str = None
    target_hostnames: list = field(default_factory=list)  # nodes to create if absent
    node_machine_type: str = None

    changed_fields: tuple = ()                         # of RUN_SUMMARY_FIELDS
    started: object = None                             # the job's `started` after the write

    @property
    def status_changed(self):
        return "status" in self.changed_fields


def target_hostname(target):
    """`ubuntu@smithi001.front.sepia.ceph.com` -> `smithi001.front.sepia.ceph.com`."""
    return target.split("@", 1)[1] if "@" in target else target


def _next_status(current, request):
    old_status = current.get("status")
    if "status" in request:
        return old_status if old_status in TERMINAL_STATUSES else request["status"]
    if "success" in request:
        return STATUS_FROM_SUCCESS[request["success"]]
    if old_status is None and current.get("success") is None:
        return "unknown"
    return old_status


def derived_job_fields(job, run_suite=None):
    """What the service stores beside a job's own fields (DERIVED_FROM): the grams of its
    description (search), its test's id (its suite, else its run's, and its description) and
    the signature of its failure reason."""
    return {GRAMS_FIELD: grams(job.get("description")),
            "test_id": test_id(job.get("suite") or run_suite, job.get("description")),
            "failure_signature": failure_signature(job.get("failure_reason"))}


def plan_job_write(current, request, now, run_suite=None):
    """`current`: the stored job, or None to create one. `request`: validated fields, with
    `updated` (if given) already a UTC datetime. `run_suite`: the suite the run's name gives.
    Returns a JobWrite."""
    creating = current is None
    current = current or {}
    request = dict(request)
    old_status = current.get("status")

    if not creating and "job_id" in request and request["job_id"] != current.get("job_id"):
        raise InvalidInput("job_id cannot be changed")
    if (not creating and "priority" in request and old_status != "queued"
            and request["priority"] != current.get("priority")):
        del request["priority"]  # priority only moves while queued; ignored otherwise

    new_status = _next_status(current, request)
    request.pop("status", None)
    job_fields = {**request, "status": new_status, "updated": request.get("updated") or now}
    for name, value in derived_job_fields({**current, **request}, run_suite).items():
        if creating or any(source in request for source in DERIVED_FROM[name]):
            job_fields[name] = value
    if old_status in STARTABLE_STATUSES and new_status == "running":
        job_fields["started"] = now

    run_fields = {"updated": job_fields["updated"]}
    for name in RUN_CORRECTED_FIELDS:
        if request.get(name) is not None:
            run_fields[name] = request[name]

    changed = tuple(name for name in RUN_SUMMARY_FIELDS if creating or (
        name in job_fields and job_fields[name] != current.get(name)))
    write = JobWrite(job_fields, run_fields, old_status=old_status, new_status=new_status,
                     changed_fields=changed,
                     started=job_fields.get("started", current.get("started")))
    targets = request.get("targets")
    linked = list(current.get("target_nodes") or [])
    if targets and len(targets) > len(linked):
        write.target_hostnames = list(dict.fromkeys(target_hostname(t) for t in targets))
        write.node_machine_type = request.get("machine_type")
        job_fields["target_nodes"] = linked + [
            h for h in write.target_hostnames if h not in linked]
    return write
