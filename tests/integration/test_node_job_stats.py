"""`GET /nodes/job_stats/` (pulpito's stats page) is counted from what each run keeps of its jobs
(`node_counts`, `jobs_posted`: services/run_summary.py), not from the jobs: it must answer
exactly what a count of the jobs gives, after any mix of job writes, for any period, and read
only the jobs of runs that straddle the period's start."""
import random
from collections import Counter
from datetime import datetime, timedelta

import pytest

from paddles_mongo import create_app
from paddles_mongo.db import Database, create_indexes
from paddles_mongo.services import maintenance
from tests.conftest import COUNTS_COMMANDS, QUERY_POLICIES
from tests.integration.support import CommandRecorder, create_node, post_job, put_job

NOW = datetime(2024, 3, 20, 12)
HOSTS = [f"{kind}{number:03d}" for kind in ("smithi", "mira") for number in range(4)]
STATUSES = ("queued", "running", "pass", "fail", "dead", "waiting", "unknown")


def targets(*hosts):
    return {f"ubuntu@{host}": f"ssh-ed25519 AAAA{host}" for host in hosts}


def counted_from_jobs(database, since, machine_type=None):
    """The stats as the original counts them: every job posted since `since`, joined to its
    nodes (with `machine_type`: nodes of that type, jobs of that type or `multi`)."""
    names = ({node["name"] for node in database.nodes.find({"machine_type": machine_type})}
             if machine_type else None)
    stats = {}
    for job in database.jobs.find({"posted": {"$gte": since}}):
        if machine_type and job.get("machine_type") not in (machine_type, "multi"):
            continue
        for node in dict.fromkeys(job.get("target_nodes") or []):
            if names is None or node in names:
                counts = stats.setdefault(node, Counter())
                counts[job.get("status") or "unknown"] += 1
    return {node: dict(counts) for node, counts in stats.items()}


def stats(client, query=""):
    response = client.get(f"/nodes/job_stats/{query}")
    assert response.status_code == 200, response.data
    return response.get_json()


def random_lab(client, frozen_clock, seed):
    """Runs whose jobs are posted over three weeks, then written at random: status changes,
    new targets, machine types (`multi` too), deletions, a node deleted."""
    rng = random.Random(seed)
    for host in HOSTS:
        create_node(client, host, machine_type=host[:-3])
    jobs = []
    for run_number in range(6):
        run = f"teuthology-2024-03-{run_number + 1:02d}_00:00:00-rados-main-distro-default-smithi"
        start = NOW - timedelta(days=rng.choice((1, 5, 13, 15, 20)), hours=rng.randint(0, 23))
        for job_number in range(rng.randint(3, 8)):
            # A run's jobs are posted over a few days: some runs straddle a period's start.
            frozen_clock.utc = start + timedelta(hours=17 * job_number)
            body = {"status": rng.choice(STATUSES[:2]),
                    "machine_type": rng.choice(("smithi", "mira", "multi", None))}
            if rng.random() < 0.7:
                body["targets"] = targets(*rng.sample(HOSTS, rng.randint(1, 3)))
            jobs.append((run, post_job(client, run, body)))
    frozen_clock.utc = NOW
    for run, job_id in rng.sample(jobs, len(jobs) // 2):
        body = {"status": rng.choice(STATUSES)}
        if rng.random() < 0.3:
            body["targets"] = targets(*rng.sample(HOSTS, 3))
        if rng.random() < 0.2:
            body["machine_type"] = rng.choice(("smithi", "mira", "multi"))
        put_job(client, run, job_id, body)
    for run, job_id in rng.sample(jobs, 4):
        assert client.delete(f"/runs/{run}/jobs/{job_id}/").status_code in (200, 404)
    assert client.delete(f"/nodes/{rng.choice(HOSTS)}/").status_code == 200


@pytest.mark.parametrize("seed", range(4))
def test_stats_equal_a_count_of_the_jobs_after_any_writes(client, database, frozen_clock,
                                                          seed):
    random_lab(client, frozen_clock, seed)
    for days in (1, 3, 14, 16, 30):
        since = NOW - timedelta(days=days)
        assert stats(client, f"?since_days={days}") == counted_from_jobs(database, since), days
        for machine_type in ("smithi", "mira"):
            assert (stats(client, f"?since_days={days}&machine_type={machine_type}")
                    == counted_from_jobs(database, since, machine_type)), (days, machine_type)


def test_a_run_straddling_the_start_counts_only_its_jobs_posted_since(client, frozen_clock):
    run = "teuthology-2024-03-01_00:00:00-rados-main-distro-default-smithi"
    for days, status in ((16, "fail"), (15, "dead"), (13, "pass"), (1, "pass")):
        frozen_clock.utc = NOW - timedelta(days=days)
        post_job(client, run, {"status": status, "targets": targets("smithi001")})
    frozen_clock.utc = NOW
    assert stats(client) == {"smithi001": {"pass": 2}}
    assert stats(client, "?since_days=16") == {"smithi001": {"pass": 2, "dead": 1, "fail": 1}}


def test_recount_restores_the_node_counts_of_a_run(client, database, frozen_clock):
    frozen_clock.utc = NOW
    run = "teuthology-2024-03-01_00:00:00-rados-main-distro-default-smithi"
    post_job(client, run, {"status": "pass", "targets": targets("smithi001", "mira001")})
    expected = stats(client)
    # An edit behind the API (or a run stored by an earlier version) loses them ...
    database.runs.update_one({"name": run}, {"$unset": {"node_counts": "", "jobs_posted": ""}})
    assert stats(client) == {}
    differing = maintenance.recount(database, dry_run=True)
    assert set(differing[run]) == {"node_counts", "jobs_posted"}
    # ... and a recount counts them again.
    maintenance.recount(database)
    assert stats(client) == expected == {"mira001": {"pass": 1}, "smithi001": {"pass": 1}}


@pytest.fixture
def commands_of(settings):
    recorder = CommandRecorder()
    recorder.record = lambda event: (event.command_name, event.command.get(event.command_name))
    database = Database(settings, event_listeners=[recorder])
    create_indexes(database)
    client = create_app(settings, database).test_client()

    def commands(url):
        recorder.commands.clear()
        assert client.get(url).status_code == 200
        return list(recorder.commands)

    yield client, commands
    database.close()


@COUNTS_COMMANDS
@pytest.mark.parametrize("query_policy", QUERY_POLICIES)
def test_stats_read_the_runs_and_only_the_jobs_of_straddling_runs(commands_of, frozen_clock):
    client, commands = commands_of
    for number in range(20):  # many runs inside the period: still one command
        frozen_clock.utc = NOW - timedelta(days=1)
        post_job(client, f"teuthology-2024-03-01_00:00:{number:02d}-rados-main-distro-default-"
                         f"smithi", {"status": "pass", "targets": targets("smithi001")})
    frozen_clock.utc = NOW
    assert commands("/nodes/job_stats/") == [("find", "runs")]
    assert commands("/nodes/job_stats/?machine_type=smithi") == [("distinct", "nodes"),
                                                                  ("find", "runs")]
    frozen_clock.utc = NOW - timedelta(days=20)
    post_job(client, "teuthology-2024-03-01_00:00:00-rados-main-distro-default-smithi",
             {"status": "fail", "targets": targets("smithi001")})
    frozen_clock.utc = NOW
    assert commands("/nodes/job_stats/") == [("find", "runs"), ("find", "jobs")]
