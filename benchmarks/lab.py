"""A deterministic, realistic lab: teuthology-like runs and jobs, generated from a seed.

Job documents are 4-8 KB with nested `overrides`, `tasks`, `roles` and `targets` (hostnames
with dots), as teuthology reports them; runs have mixed sizes, one of 300+ jobs per 50 runs;
statuses follow teuthology's lifecycle (queued, running, then pass/fail/dead)."""
import random
from datetime import datetime, timedelta

SUITES = ("rados", "rbd", "fs", "rgw", "orch", "krbd", "upgrade", "smoke")
BRANCHES = ("main", "squid", "reef", "wip-foo-testing", "wip-bar-fix")
MACHINE_TYPES = ("smithi", "mira")
FINAL = ("pass", "pass", "pass", "pass", "fail", "dead")
RUN_INTERVAL = timedelta(hours=3)  # between two runs' schedules: 8 runs, ~800 jobs, a day
CONF_WORDS = ("debug ms", "debug osd", "osd op queue", "mon warn on pool no app",
              "bluestore fsck on mount", "osd shutdown pgref assert", "mon osd down out interval",
              "osd debug verify cached snaps", "osd max markdown count", "mon min osdmap epochs",
              "bluestore zero block detection", "osd op complaint time", "debug bluestore")
INTERNAL_TASKS = ("internal.check_packages", "internal.buildpackages_prep",
                  "internal.save_config", "internal.check_lock", "internal.add_remotes",
                  "console_log", "internal.connect", "internal.push_inventory",
                  "internal.serialize_remote_roles", "internal.check_conflict",
                  "internal.check_ceph_data", "internal.vm_setup", "internal.base",
                  "internal.archive_upload", "internal.archive", "internal.coredump",
                  "internal.sudo", "internal.syslog", "internal.timer", "pcp", "selinux",
                  "ansible.cephlab", "clock")


def _hex(rng, length):
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


class Lab:
    def __init__(self, seed=1, runs=200, jobs_per_run=100, big_run_jobs=320, nodes=40,
                 first_run=0, start=datetime(2026, 1, 5, 3, 0, 0)):
        self.rng = random.Random(seed)
        self.nodes = [f"{MACHINE_TYPES[i % 2]}{i:03d}.front.sepia.ceph.com" for i in range(nodes)]
        self.start = start  # run `index` is scheduled RUN_INTERVAL * index after it
        self.runs = [self._run(index, big_run_jobs if index % 50 == 0 else
                               self.rng.randint(jobs_per_run // 4, jobs_per_run * 7 // 4))
                     for index in range(first_run, first_run + runs)]

    def _run(self, index, job_count):
        rng = self.rng
        suite, branch = rng.choice(SUITES), rng.choice(BRANCHES)
        machine_type = rng.choice(MACHINE_TYPES)
        scheduled = self.start + RUN_INTERVAL * index + timedelta(seconds=rng.randint(0, 59))
        name = (f"teuthology-{scheduled:%Y-%m-%d_%H:%M:%S}-{suite}-{branch}-distro-default-"
                f"{machine_type}")
        sha1 = _hex(rng, 40)
        return {"name": name, "scheduled": scheduled, "suite": suite, "branch": branch,
                "machine_type": machine_type,
                "sha1": sha1, "jobs": [self._job(name, suite, branch, machine_type, sha1, n)
                                       for n in range(1, job_count + 1)]}

    def _job(self, run, suite, branch, machine_type, sha1, number):
        rng = self.rng
        targets = {f"ubuntu@{host}": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + _hex(rng, 40)
                   for host in rng.sample(self.nodes, rng.choice((1, 2, 3)))}
        conf = {section: {word: rng.choice((1, 5, 10, 20, True, "false"))
                          for word in rng.sample(CONF_WORDS, 9)}
                for section in ("global", "mon", "osd", "mgr", "client", "mds")}
        tasks = ([{task: None} for task in INTERNAL_TASKS]
                 + [{"internal.lock_machines": [len(targets), machine_type]},
                  {"install": {"ceph": {"sha1": sha1, "flavor": "default"}}},
                  {"ceph": {"log-ignorelist": [r"\(MDS_ALL_DOWN\)", r"\(OSD_DOWN\)",
                                               r"overall HEALTH_"]}}]
                 + [{"workunit": {"clients": {f"client.{i}": [f"{suite}/test_{rng.randint(1, 99)}.sh"]
                                              for i in range(3)}}} for _ in range(4)])
        description = (f"{suite}/{rng.choice(('thrash', 'basic', 'singleton', 'verify'))}/"
                       f"{{clusters/{{fixed-2}} msgr/{rng.choice(('async', 'async-v2'))} "
                       f"objectstore/bluestore-{rng.choice(('lz4', 'zstd'))} "
                       f"workloads/{rng.choice(('radosbench', 'snaps', 'cache'))}}}")
        return {
            "name": run, "job_id": str(number), "description": description,
            "owner": "scheduled_teuthology@teuthology", "user": "teuthology",
            "machine_type": machine_type, "os_type": "ubuntu", "os_version": "22.04",
            "branch": branch, "sha1": sha1, "suite": suite, "suite_branch": branch,
            "suite_sha1": _hex(rng, 40), "suite_repo": "https://github.com/ceph/ceph-ci.git",
            "suite_relpath": "qa", "teuthology_branch": "main", "flavor": "default",
            "priority": rng.choice((50, 100, 200)), "seed": rng.randint(0, 9999),
            "subset": f"{rng.randint(0, 63)}/64", "timestamp": run.split("-", 1)[1][:19],
            "archive_path": f"/home/teuthworker/archive/{run}/{number}",
            "kernel": {"kdb": True, "sha1": "distro"},
            "roles": [["mon.a", "mgr.x", "osd.0", "osd.1", "client.0"],
                      ["mon.b", "osd.2", "osd.3", "client.1"]],
            "targets": targets,
            "overrides": {"admin_socket": {"branch": branch},
                          "ceph": {"conf": conf, "flavor": "default", "sha1": sha1,
                                   "log-ignorelist": [r"\(POOL_APP_NOT_ENABLED\)",
                                                      r"\(SLOW_OPS\)", "slow request"]},
                          "install": {"ceph": {"flavor": "default", "sha1": sha1}},
                          "workunit": {"branch": branch, "sha1": _hex(rng, 40)},
                          "selinux": {"allowlist": [f"scontext=system_u:system_r:{w}_t:s0"
                                                    for w in ("logrotate", "getty", "chronyd")]}},
            "tasks": tasks,
            "final": rng.choice(FINAL),
            "duration": rng.randint(600, 9000),
            "failure_reason": f"Command failed on {next(iter(targets)).split('@')[1]} with "
                              f"status {rng.randint(1, 125)}: 'sudo ceph osd pool ...'",
        }
