"""A small test lab, reported the way teuthology reports it, for the examples of docs/querying.md.

Jobs are written through the real HTTP API (POST queued, PUT running with targets, PUT the
result), then their `posted`/`started`/`updated` are moved back in time in the database, so the
data is always dated relative to *now* ("last week" keeps meaning last week) and each finished
job's `updated - started` equals its `duration`. Runs get the same treatment. Run names keep
fixed timestamps, so the outputs shown in the document never change; only the stored dates move.

The lab:

- three `rados` runs: two on `main` (sha1 aaaa…, 1 and 3 days ago) and one on `squid` (sha1
  cccc…, 10 days ago: outside "last week"); one `rbd` run on `wip-yuri-testing` (sha1 bbbb…,
  4 days ago);
- two descriptions that both passed and failed on sha1 aaaa… (flaky), and one that passed on
  aaaa… but failed on cccc… (not flaky: different sha1);
- an `fs` run whose jobs are all still queued (for 5 hours), and an `rgw` run with one job
  running and two queued (for 1 hour);
- nodes smithi001-smithi006, created from the jobs' targets; smithi001 is locked.
"""
from datetime import datetime, timedelta, timezone

DOMAIN = "front.sepia.ceph.com"
SHA_MAIN = "aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111"
SHA_RBD = "bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222"
SHA_SQUID = "cccc3333cccc3333cccc3333cccc3333cccc3333"
SHA_FS = "dddd4444dddd4444dddd4444dddd4444dddd4444"
SHA_RGW = "eeee5555eeee5555eeee5555eeee5555eeee5555"

THRASH_ASYNC = "rados/thrash/{clusters/fixed-2 msgr/async}"
THRASH_V2 = "rados/thrash/{clusters/fixed-2 msgr/async-v2}"
MON_AUTH = "rados/singleton/{all/mon-auth}"
SELINUX = "SELinux denials found on ubuntu@smithi005.front.sepia.ceph.com"
TIMEOUT = "hit max job timeout"
LIBRBD = "Command failed (workunit test rbd/test_librbd.sh) on smithi005 with status 1"
POOL = "Command failed on smithi003 with status 1: 'sudo ceph osd pool create unique_pool_0'"


def host(number):
    return f"smithi{number:03d}.{DOMAIN}"


# run name, suite, branch, sha1, age of the run's first job
RUNS = [
    ("teuthology-2026-11-20_02:00:01-rados-main-distro-default-smithi",
     "rados", "main", SHA_MAIN, timedelta(days=3, hours=2)),
    ("teuthology-2026-11-21_02:00:01-rados-main-distro-default-smithi",
     "rados", "main", SHA_MAIN, timedelta(days=1, hours=2)),
    ("yuriw-2026-11-19_15:30:12-rbd-wip-yuri-testing-distro-default-smithi",
     "rbd", "wip-yuri-testing", SHA_RBD, timedelta(days=4, hours=2)),
    ("teuthology-2026-11-13_02:00:01-rados-squid-distro-default-smithi",
     "rados", "squid", SHA_SQUID, timedelta(days=10, hours=2)),
    ("pdonnell-2026-11-22_09:12:40-fs-wip-pdonnell-testing-distro-default-smithi",
     "fs", "wip-pdonnell-testing", SHA_FS, timedelta(hours=5)),
    ("teuthology-2026-11-22_06:00:02-rgw-main-distro-default-smithi",
     "rgw", "main", SHA_RGW, timedelta(hours=1, minutes=1)),
]
RUN_NAMES = [run[0] for run in RUNS]

# run index, job_id, description, final status, duration (s), failure_reason, target nodes,
# minutes after the run's first job that this job was posted
JOBS = [
    (0, "7001", THRASH_ASYNC, "pass", 3600, None, [1, 2], 0),
    (0, "7002", THRASH_V2, "fail", 5400, POOL, [3], 1),
    (0, "7003", MON_AUTH, "pass", 1200, None, [1], 2),
    (0, "7004", "rados/upgrade/{reef-x/parallel}", "dead", 43200, TIMEOUT, [4], 3),
    (1, "7101", THRASH_V2, "pass", 5100, None, [2], 0),
    (1, "7102", MON_AUTH, "fail", 900, "Command failed on smithi001 with status 22", [1], 1),
    (2, "7201", "rbd/mirror/{base/install clients/mirror}", "fail", 2700, SELINUX, [5], 0),
    (2, "7202", "rbd/qemu/{features/defaults workloads/qemu_bonnie}", "fail", 3300, SELINUX,
     [5], 1),
    (2, "7203", "rbd/librbd/{config/none workloads/c_api_tests}", "pass", 1800, None, [6], 2),
    (2, "7204", "rbd/librbd/{config/copy-on-read workloads/c_api_tests}", "fail", 2400, LIBRBD,
     [5], 3),
    (3, "6901", THRASH_ASYNC, "fail", 4800, POOL, [2], 0),
    (3, "6902", MON_AUTH, "pass", 1100, None, [3], 1),
    (3, "6903", "rados/singleton/{all/osd-recovery}", "fail", 2000, SELINUX, [4], 2),
    (4, "7301", "fs/workload/{begin clusters/1a11s-mds-1c-client}", "queued", None, None, [], 0),
    (4, "7302", "fs/workload/{begin clusters/1a5s-mds-1c-client}", "queued", None, None, [], 1),
    (4, "7303", "fs/verify/{begin clusters/1a5s-mds-1c-client}", "queued", None, None, [], 2),
    (5, "7401", "rgw/multisite/{realms/three-zones tasks/test_multi}", "running", None, None,
     [6], 0),
    (5, "7402", "rgw/verify/{frontend/beast tasks/cls}", "queued", None, None, [], 1),
    (5, "7403", "rgw/verify/{frontend/beast tasks/s3tests}", "queued", None, None, [], 2),
]
QUEUED_WAIT = timedelta(minutes=10)  # from posted to started


def utcnow():
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _ok(response):
    assert response.status_code == 200, (response.status_code, response.get_data(as_text=True))
    return response.get_json()


def load(client, database, now=None):
    """Write the lab through the API, then date it relative to `now` (naive UTC)."""
    now = now or utcnow()
    for name, *_ in RUNS:
        _ok(client.post("/runs/", json={"name": name}))
    for run_index, job_id, description, status, duration, reason, nodes, _ in JOBS:
        name, suite, branch, sha1, _ = RUNS[run_index]
        url = f"/runs/{name}/jobs/"
        # teuthology sends the whole job config with every report
        config = {
            "job_id": job_id, "name": name, "description": description, "suite": suite,
            "branch": branch, "sha1": sha1, "machine_type": "smithi", "os_type": "ubuntu",
            "os_version": "22.04", "owner": "scheduled_teuthology@teuthology",
            "tasks": [{"internal.check_packages": None}, {"ceph": None}]}
        _ok(client.post(url, json={**config, "status": "queued"}))
        if status == "queued":
            continue
        config["targets"] = {f"ubuntu@{host(n)}": f"ssh-ed25519 AAAAC3Nz{n:03d}" for n in nodes}
        _ok(client.put(f"{url}{job_id}/", json={**config, "status": "running"}))
        if status == "running":
            continue
        result = {**config, "status": status, "duration": duration, "failure_reason": reason}
        if status in ("pass", "fail"):
            result["success"] = status == "pass"
        _ok(client.put(f"{url}{job_id}/", json=result))
    _ok(client.put(f"/nodes/{host(1)}/lock", json={
        "locked": True, "locked_by": "yuriw@teuthology", "description": "debugging mon-auth"}))
    _date_everything(database, now)


def _date_everything(database, now):
    run_times = {}
    for run_index, job_id, _, status, duration, _, _, minutes in JOBS:
        name, *_, age = RUNS[run_index]
        first = now - age
        posted = first + timedelta(minutes=minutes)
        started = updated = None
        if status != "queued":
            started = posted + QUEUED_WAIT
            updated = started + timedelta(seconds=duration or 600)
        fields = {"posted": posted, "started": started, "updated": updated or posted}
        database.jobs.update_one({"run": name, "job_id": job_id}, {"$set": fields})
        times = run_times.setdefault(name, {"scheduled": first, "posted": first, "started": None,
                                            "updated": first})
        if started and (times["started"] is None or started < times["started"]):
            times["started"] = started
        times["updated"] = max(times["updated"], fields["updated"])
    for name, times in run_times.items():
        database.runs.update_one({"name": name}, {"$set": times})
    locked = database.nodes.find_one({"name": host(1)}, {"locked_since": 1})
    assert locked and locked["locked_since"], "the lock request did not lock smithi001"
    database.nodes.update_one({"name": host(1)},
                              {"$set": {"locked_since": now - timedelta(hours=5)}})
