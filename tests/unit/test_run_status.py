"""Run results and the ten-rule run status derivation (spec §5.4, §4.1, upstream §7.11)."""
from datetime import datetime, timedelta

import pytest

from paddles_mongo.domain.jobs import plan_job_write
from paddles_mongo.domain.runs import derive_run_status, empty_results
from tests.helpers import RESULTS_KEYS


def tally(statuses):
    """The `results` of a run whose jobs have `statuses` (spec §5.4: null counts as unknown)."""
    results = empty_results()
    for status in statuses:
        results["unknown" if status is None else status] += 1
        results["total"] += 1
    return results


def status_of(*statuses):
    return derive_run_status(tally(statuses))


# --- empty results ---------------------------------------------------------------------------

def test_empty_results_has_every_key_in_emitted_order():
    assert list(empty_results()) == list(RESULTS_KEYS)


def test_empty_results_counts_are_zero():
    results = empty_results()
    assert all(results[key] == 0 for key in RESULTS_KEYS[:8])


def test_empty_results_sha1_and_flavor_are_the_string_none():
    results = empty_results()
    assert (results["sha1"], results["flavor"]) == ("none", "none")


def test_empty_results_are_fresh_each_time():
    first = empty_results()
    first["pass"] = 5
    assert empty_results()["pass"] == 0


# --- each rule of the table, hit by a case that reaches exactly that rule --------------------

RULE_CASES = [
    # rule 1: total = 0
    pytest.param([], "empty", id="rule1-no-jobs"),
    # rule 2: queued = total
    pytest.param(["queued"], "queued", id="rule2-one-queued"),
    pytest.param(["queued", "queued", "queued"], "queued", id="rule2-all-queued"),
    # rule 3: running > 0 (not all queued)
    pytest.param(["running"], "running", id="rule3-one-running"),
    pytest.param(["running", "pass"], "running", id="rule3-running-and-pass"),
    pytest.param(["running", "queued"], "running", id="rule3-running-and-queued"),
    pytest.param(["running", "waiting"], "running", id="rule3-running-beats-waiting"),
    pytest.param(["running", "dead", "dead"], "running", id="rule3-running-beats-dead"),
    pytest.param(["running", "fail"], "running", id="rule3-running-beats-fail"),
    # rule 4: waiting > 0 (no running)
    pytest.param(["waiting"], "waiting", id="rule4-one-waiting"),
    pytest.param(["waiting", "pass", "fail"], "waiting", id="rule4-waiting-beats-finished"),
    pytest.param(["waiting", "queued"], "waiting", id="rule4-waiting-and-queued"),
    # rule 5: dead = total
    pytest.param(["dead"], "finished dead", id="rule5-one-dead"),
    pytest.param(["dead", "dead", "dead"], "finished dead", id="rule5-all-dead"),
    # rule 6: fail > 0
    pytest.param(["fail"], "finished fail", id="rule6-one-fail"),
    pytest.param(["fail", "pass"], "finished fail", id="rule6-fail-and-pass"),
    pytest.param(["fail", "queued"], "finished fail", id="rule6-fail-beats-queued"),
    pytest.param(["fail", "unknown"], "finished fail", id="rule6-fail-and-unknown"),
    # rule 7: dead > 0 (not all dead, no fail)
    pytest.param(["dead", "pass"], "finished fail", id="rule7-dead-and-pass"),
    pytest.param(["dead", "queued"], "finished fail", id="rule7-dead-and-queued"),
    pytest.param(["dead", "unknown"], "finished fail", id="rule7-dead-and-unknown"),
    # rule 8: pass = total
    pytest.param(["pass"], "finished pass", id="rule8-one-pass"),
    pytest.param(["pass", "pass"], "finished pass", id="rule8-all-pass"),
    # rule 9: queued > 0 mixed with pass/unknown
    pytest.param(["queued", "pass"], "queued", id="rule9-queued-and-pass"),
    pytest.param(["queued", "unknown"], "queued", id="rule9-queued-and-unknown"),
    pytest.param(["queued", None], "queued", id="rule9-queued-and-null"),
    # rule 10: otherwise
    pytest.param(["pass", "unknown"], "unknown", id="rule10-pass-and-unknown"),
    pytest.param(["unknown"], "unknown", id="rule10-all-unknown"),
    pytest.param([None, None], "unknown", id="rule10-all-null"),
    pytest.param(["pass", None], "unknown", id="rule10-pass-and-null"),
]


@pytest.mark.parametrize("statuses,expected", RULE_CASES)
def test_run_status_rule(statuses, expected):
    assert status_of(*statuses) == expected


def test_null_job_status_counts_as_unknown():
    results = tally([None, "unknown", "pass"])
    assert results["unknown"] == 2
    assert results["total"] == 3


# --- the upstream model tests of spec §7.11 --------------------------------------------------

T0 = datetime(2024, 1, 2, 3, 4, 5)


class Run:
    """A run's jobs, written only through plan_job_write as the service does: create with
    current=None, later writes merge job_fields into the stored job."""

    def __init__(self):
        self.jobs = []
        self.clock = T0

    def tick(self):
        self.clock += timedelta(seconds=1)
        return self.clock

    def post(self, **request):
        write = plan_job_write(None, request, self.tick())
        self.jobs.append({"started": None, "target_nodes": [], **write.job_fields})
        return len(self.jobs) - 1

    def put(self, index, **request):
        write = plan_job_write(self.jobs[index], request, self.tick())
        self.jobs[index] = {**self.jobs[index], **write.job_fields}
        return write

    @property
    def results(self):
        return tally(job["status"] for job in self.jobs)

    @property
    def status(self):
        return derive_run_status(self.results)


def test_run_status_empty():
    assert Run().status == "empty"


def test_run_status_running():
    run = Run()
    run.post(status="running")
    run.post(status="pass")
    assert run.status == "running"


def test_run_status_queued():
    run = Run()
    run.post(status="queued")
    run.post(status="queued")
    assert run.status == "queued"


def test_run_status_queued_to_running():
    run = Run()
    first = run.post(status="queued")
    run.post(status="queued")
    assert run.status == "queued"
    run.put(first, status="running")
    assert run.status == "running"


def test_run_status_running_to_dead():
    run = Run()
    jobs = [run.post(status="running") for _ in range(5)]
    assert run.status == "running"
    for job in jobs:
        run.put(job, status="dead")
    assert run.status == "finished dead"


def test_run_status_dead_to_running():
    run = Run()
    jobs = [run.post(status="dead") for _ in range(5)]
    assert run.status == "finished dead"
    for job in jobs:
        run.put(job, status="running")
    assert run.status == "running"


def test_run_status_fail():
    run = Run()
    run.post(success=False)
    assert run.status == "finished fail"


def test_run_status_pass():
    run = Run()
    run.post(success=True)
    assert run.status == "finished pass"


def test_run_status_one_dead():
    run = Run()
    run.post(status="dead")
    run.post(status="pass")
    assert run.status == "finished fail"


def test_run_status_all_dead():
    run = Run()
    run.post(status="dead")
    run.post(status="dead")
    assert run.status == "finished dead"


def test_run_status_one_pass():
    run = Run()
    run.post(status="queued")
    run.post(status="pass")
    assert run.status == "queued"


def test_allows_waiting_status():
    run = Run()
    run.post(status="waiting")
    assert run.status == "waiting"


def test_running_status_with_waiting_and_running_jobs():
    run = Run()
    run.post(status="running")
    run.post(status="waiting")
    assert run.status == "running"


def test_run_results():
    run = Run()
    for status, count in (("pass", 9), ("fail", 1), ("dead", 6), ("running", 5),
                          ("waiting", 1), ("unknown", 1), ("queued", 1)):
        for _ in range(count):
            run.post(status=status)
    results = run.results
    assert {key: results[key] for key in RESULTS_KEYS[:8]} == {
        "queued": 1, "pass": 9, "running": 5, "waiting": 1, "fail": 1, "dead": 6,
        "unknown": 1, "total": 24}
    assert run.status == "running"
