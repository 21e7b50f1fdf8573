"""What tests on several levels (unit and integration) check alike: the spec's key orders, its
§4.1 example run, its §5.1 run-name examples, and a walk over nested document keys."""
from datetime import datetime

# §4.2: the job whitelist, in the order the JSON emits it.
JOB_WHITELIST = (
    "archive_path", "description", "duration", "email", "failure_reason", "flavor", "job_id",
    "kernel", "last_in_suite", "machine_type", "name", "nuke_on_error", "os_type", "os_version",
    "overrides", "owner", "pid", "roles", "sentry_event", "status", "success", "branch", "seed",
    "sha1", "subset", "suite", "suite_branch", "suite_path", "suite_relpath", "suite_repo",
    "suite_sha1", "targets", "tasks", "timestamp", "teuthology_branch", "verbose",
    "pcp_grafana_url", "priority", "user", "queue", "package_source",
)
# Full job JSON: log_href first, the whitelist in order, then the server's times.
JOB_KEYS = ("log_href",) + JOB_WHITELIST + ("posted", "started", "updated")

# §4.1: full run JSON key order, and the order of `results`.
RUN_KEYS = ("name", "href", "user", "status", "results", "jobs_count", "posted", "scheduled",
            "started", "updated", "branch", "suite", "machine_type", "sha1", "priority",
            "flavor")
RESULTS_KEYS = ("queued", "pass", "running", "waiting", "fail", "dead", "unknown", "total",
                "sha1", "flavor")

# §4.1's example: a vps run with two jobs (one queued, one pass) of sha1 deadbeef01.
SPEC_EXAMPLE_RUN = "teuthology-2013-01-02_00:00:00-big-master-testing-basic-vps"


def spec_example_run_json(address):
    """§4.1's example run as a server at `address` renders it, but for the times it chose
    (posted, updated) and its `jobs`."""
    return {
        "name": SPEC_EXAMPLE_RUN,
        "href": [f"{address}/runs/{SPEC_EXAMPLE_RUN}/"],
        "user": "teuthology",
        "status": "queued",
        "results": {"queued": 1, "pass": 1, "running": 0, "waiting": 0, "fail": 0,
                    "dead": 0, "unknown": 0, "total": 2, "sha1": "deadbeef01",
                    "flavor": "default"},
        "jobs_count": 2,
        "scheduled": "2013-01-02 00:00:00",
        "started": None,
        "branch": "master",
        "suite": "big",
        "machine_type": "vps",
        "sha1": "deadbeef01",
        "priority": 100,
        "flavor": "default",
    }


# Every row of the worked-examples table of spec §5.1:
# (run name, user, suite, branch, machine_type, scheduled)
SPEC_NAME_TABLE = [
    ("teuthology-2013-10-22_03:00:02-big-next-testing-basic-plana",
     "teuthology", "big", "next", "plana", datetime(2013, 10, 22, 3, 0, 2)),
    ("teuthology-2013-10-22_03:00:02-ceph-deploy-next-testing-basic-plana",
     "teuthology", "ceph-deploy", "next", "plana", datetime(2013, 10, 22, 3, 0, 2)),
    ("teuthology-2013-10-22_03:00:02-big-wip-9999-testing-basic-plana",
     "teuthology", "big", "wip-9999", "plana", datetime(2013, 10, 22, 3, 0, 2)),
    ("teuthology-2013-10-22_03:00:02-ceph-deploy-wip-9999-testing-basic-plana",
     "teuthology", "ceph-deploy", "wip-9999", "plana", datetime(2013, 10, 22, 3, 0, 2)),
    ("teuthology-2013-10-23_00:30:38-rgw-next---basic-saya",
     "teuthology", "rgw", "next", "saya", datetime(2013, 10, 23, 0, 30, 38)),
    ("u-2013-01-01_00:00:00-rados-main-testing-default-plana-ubuntu",
     "u", "rados", "main", "plana", datetime(2013, 1, 1, 0, 0, 0)),
    ("alice-2013-01-03_10:00:00-rados:thrash-wip-foo-bar-testing-default-smithi",
     "alice", "rados:thrash", "wip-foo-bar-testing", "", datetime(2013, 1, 3, 10, 0, 0)),
    ("zack-2024-03-05_12:34:56-fs-squid-distro-default-smithi",
     "zack", "fs", "squid-distro", "", datetime(2024, 3, 5, 12, 34, 56)),
    ("teuthology-2014-10-06_19:30:01-upgrade:dumpling-firefly-x:stress-split-giant-distro"
     "-basic-multi",
     "teuthology", "upgrade:dumpling", "firefly-x:stress-split-giant-distro", "",
     datetime(2014, 10, 6, 19, 30, 1)),
    ("teuthology-2013-10-22_03:00:02-kittens-next-testing-basic-plana",
     "teuthology", "kittens", "next", "", datetime(2013, 10, 22, 3, 0, 2)),
    ("teuthology-2013-12-22_01:00:02-x-x-x-x-x",
     "teuthology", "x", "x", "", datetime(2013, 12, 22, 1, 0, 2)),
    ("a-b-2013-01-01_00:00:00-x-y-z-w-q",
     "a-b", "x", "y", "", datetime(2013, 1, 1, 0, 0, 0)),
    ("x-2013-12-22_01:00:02-big-x-x-x-plana",
     "x", "big", "x", "plana", datetime(2013, 12, 22, 1, 0, 2)),
]


def all_keys(value):
    """Every key of every dict nested (through dicts and lists) in `value`."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield key
            yield from all_keys(child)
    elif isinstance(value, list):
        for child in value:
            yield from all_keys(child)
