"""The job create/update algorithm (spec §5.2), status vs success (§5.3), timestamps (§5.5),
targets -> nodes (§5.6), job ids and priority (§5.7) — all through plan_job_write."""
from datetime import datetime, timedelta

import pytest

from paddles_mongo.domain.jobs import plan_job_write, target_hostname
from paddles_mongo.exceptions import InvalidInput

T0 = datetime(2024, 3, 5, 12, 0, 0)


class Job:
    """One job written only through plan_job_write: the first write is a create
    (current=None); every later one is a PUT whose current is the stored job, i.e. the earlier
    job_fields merged in the way a $set merges them."""

    def __init__(self, **request):
        self.clock = T0
        self.writes = []
        self.stored = None
        self.write(**request)

    def tick(self):
        self.clock += timedelta(minutes=1)
        return self.clock

    def write(self, **request):
        now = self.tick()
        write = plan_job_write(None if self.stored is None else dict(self.stored), request, now)
        self.writes.append(write)
        base = {"started": None, "target_nodes": []} if self.stored is None else self.stored
        self.stored = {**base, **write.job_fields}
        return write

    put = write

    @property
    def status(self):
        return self.stored.get("status")

    @property
    def success(self):
        return self.stored.get("success")


# --- spec §5.3 truth table, one test per row --------------------------------------------------

def test_truth_post_neither_key_is_unknown():
    job = Job(user="u")
    assert (job.status, job.success) == ("unknown", None)


def test_truth_post_success_true_is_pass():
    job = Job(success=True)
    assert (job.status, job.success) == ("pass", True)


def test_truth_post_success_false_is_fail():
    job = Job(success=False)
    assert (job.status, job.success) == ("fail", False)


def test_truth_post_status_dead_leaves_success_null():
    job = Job(status="dead")
    assert (job.status, job.success) == ("dead", None)


def test_truth_post_status_dead_with_success_false_is_dead():
    job = Job(status="dead", success=False)
    assert (job.status, job.success) == ("dead", False)


def test_truth_fail_then_put_dead_is_ignored():
    job = Job(success=False, status="fail")
    job.put(status="dead")
    assert (job.status, job.success) == ("fail", False)


def test_truth_unknown_then_put_dead_is_dead():
    job = Job(user="u")
    job.put(status="dead")
    assert (job.status, job.success) == ("dead", None)


def test_truth_running_then_dead_with_success_false_twice():
    job = Job(user="u")
    job.put(status="running")
    job.put(success=False, status="dead")
    job.put(success=False, status="dead")
    assert (job.status, job.success) == ("dead", False)


def test_truth_running_then_dead_with_success_false_then_dead():
    job = Job(user="u")
    job.put(status="running")
    job.put(success=False, status="dead")
    job.put(status="dead")
    assert (job.status, job.success) == ("dead", False)


def test_truth_running_then_success_true_is_pass():
    job = Job(status="running")
    job.put(success=True)
    assert (job.status, job.success) == ("pass", True)


def test_truth_running_then_success_true_then_dead_stays_pass():
    job = Job(status="running")
    job.put(success=True)
    job.put(status="dead")
    assert (job.status, job.success) == ("pass", True)


def test_truth_pass_then_success_false_is_fail():
    job = Job(success=True)
    job.put(success=False)
    assert (job.status, job.success) == ("fail", False)


def test_truth_post_status_waiting():
    job = Job(status="waiting")
    assert (job.status, job.success) == ("waiting", None)


# --- more of the status rules of §5.2 step 3 ------------------------------------------------

def test_pass_is_sticky_against_any_status():
    for status in ("fail", "queued", "running", "dead", "unknown", "waiting"):
        job = Job(status="pass")
        job.put(status=status)
        assert job.status == "pass", status


def test_fail_is_sticky_against_any_status():
    for status in ("pass", "queued", "running", "dead", "unknown", "waiting"):
        job = Job(status="fail")
        job.put(status=status)
        assert job.status == "fail", status


def test_status_wins_over_success_in_one_request():
    job = Job(status="running", success=True)
    assert (job.status, job.success) == ("running", True)


def test_success_null_means_unknown():
    job = Job(status="running")
    job.put(success=None)
    assert (job.status, job.success) == ("unknown", None)


def test_update_without_status_or_success_keeps_status():
    job = Job(status="queued")
    job.put(description="desc")
    assert job.status == "queued"


@pytest.mark.parametrize("old,new", [
    ("queued", "running"), ("running", "queued"), ("running", "waiting"),
    ("waiting", "running"), ("dead", "running"), ("unknown", "running"), ("dead", "queued"),
])
def test_non_terminal_transitions_are_unrestricted(old, new):
    job = Job(status=old)
    job.put(status=new)
    assert job.status == new


def test_status_changed_reports_a_change():
    job = Job(status="queued")
    write = job.put(status="running")
    assert (write.old_status, write.new_status, write.status_changed) == (
        "queued", "running", True)


def test_status_changed_false_when_status_unchanged():
    job = Job(status="running")
    write = job.put(description="x")
    assert (write.old_status, write.new_status, write.status_changed) == (
        "running", "running", False)


def test_create_is_a_status_change_from_none():
    write = Job(status="queued").writes[0]
    assert (write.old_status, write.new_status, write.status_changed) == (None, "queued", True)


def test_ignored_status_on_terminal_job_is_not_a_change():
    job = Job(status="fail")
    write = job.put(status="dead")
    assert write.status_changed is False


# --- started (§5.2 step 4, §5.5) ------------------------------------------------------------

def test_job_not_started_when_queued():
    job = Job(status="queued")
    assert job.stored["started"] is None


def test_job_started_when_created_running():
    job = Job(status="running")
    assert job.stored["started"] == T0 + timedelta(minutes=1)


def test_job_started_when_queued_becomes_running():
    job = Job(status="queued")
    job.put(status="running")
    assert job.stored["started"] == T0 + timedelta(minutes=2)


def test_job_started_when_null_status_becomes_running():
    write = plan_job_write({"job_id": "1", "status": None, "success": None},
                           {"status": "running"}, T0)
    assert write.job_fields["started"] == T0


def test_waiting_to_running_does_not_set_started():
    job = Job(status="waiting")
    write = job.put(status="running")
    assert "started" not in write.job_fields
    assert job.stored["started"] is None


def test_dead_to_running_does_not_set_started():
    job = Job(status="dead")
    write = job.put(status="running")
    assert "started" not in write.job_fields
    assert job.stored["started"] is None


def test_unknown_to_running_does_not_set_started():
    job = Job(user="u")
    write = job.put(status="running")
    assert "started" not in write.job_fields


def test_running_again_does_not_move_started():
    job = Job(status="queued")
    job.put(status="running")
    started = job.stored["started"]
    write = job.put(status="running")
    assert "started" not in write.job_fields
    assert job.stored["started"] == started


def test_started_not_set_for_other_statuses_from_queued():
    for status in ("pass", "fail", "dead", "waiting", "unknown"):
        job = Job(status="queued")
        write = job.put(status=status)
        assert "started" not in write.job_fields, status


# --- updated (§5.2 steps 1 and 8, §5.5) -----------------------------------------------------

def test_every_write_stamps_updated_now_on_job_and_run():
    job = Job(status="queued")
    assert job.writes[0].job_fields["updated"] == T0 + timedelta(minutes=1)
    assert job.writes[0].run_fields["updated"] == T0 + timedelta(minutes=1)
    write = job.put(description="d")
    assert write.job_fields["updated"] == T0 + timedelta(minutes=2)
    assert write.run_fields["updated"] == T0 + timedelta(minutes=2)


def test_client_updated_is_used_for_job_and_run():
    client_time = datetime(2014, 3, 31, 21, 25, 43)
    write = plan_job_write(None, {"updated": client_time}, T0)
    assert write.job_fields["updated"] == client_time
    assert write.run_fields["updated"] == client_time


# --- run corrections (§5.2 step 8) ----------------------------------------------------------

def test_run_fields_carry_suite_branch_machine_type():
    write = plan_job_write(None, {"suite": "rados", "branch": "main", "machine_type": "smithi",
                                  "status": "queued"}, T0)
    assert write.run_fields == {"updated": T0, "suite": "rados", "branch": "main",
                                "machine_type": "smithi"}


def test_run_fields_carry_corrections_on_update_too():
    job = Job(status="queued")
    write = job.put(suite="fs", branch="squid", machine_type="plana,mira,burnupi")
    assert write.run_fields == {"updated": job.clock, "suite": "fs", "branch": "squid",
                                "machine_type": "plana,mira,burnupi"}


def test_run_fields_only_updated_without_corrections():
    write = plan_job_write(None, {"status": "queued", "description": "d", "sha1": "abc"}, T0)
    assert write.run_fields == {"updated": T0}


def test_corrected_fields_are_also_stored_on_the_job():
    write = plan_job_write(None, {"suite": "rados", "branch": "main", "machine_type": "smithi"},
                           T0)
    assert (write.job_fields["suite"], write.job_fields["branch"],
            write.job_fields["machine_type"]) == ("rados", "main", "smithi")


def test_whitelisted_fields_are_passed_through():
    request = {"description": "rados/thrash", "sha1": "abc", "flavor": "default",
               "overrides": {"ceph": {"sha1": "abc"}}, "job_id": "7", "status": "queued"}
    write = plan_job_write(None, request, T0)
    for key in ("description", "sha1", "flavor", "overrides", "job_id"):
        assert write.job_fields[key] == request[key]


def test_request_is_not_modified():
    request = {"status": "queued", "priority": 5}
    plan_job_write({"job_id": "1", "status": "running", "priority": 1}, request, T0)
    assert request == {"status": "queued", "priority": 5}


# --- job ids (§5.7, §10 #11) -----------------------------------------------------------------

def test_create_keeps_given_job_id():
    write = plan_job_write(None, {"job_id": "12345"}, T0)
    assert write.job_fields["job_id"] == "12345"


def test_update_with_same_job_id_is_accepted():
    job = Job(job_id="5", status="queued")
    job.put(job_id="5", status="running")
    assert (job.stored["job_id"], job.status) == ("5", "running")


def test_update_with_different_job_id_raises_invalid_input():
    job = Job(job_id="5", status="queued")
    with pytest.raises(InvalidInput):
        job.put(job_id="77")


def test_invalid_input_is_a_400():
    assert InvalidInput.status == 400


# --- priority (§5.7) ---------------------------------------------------------------------------

def test_priority_accepted_at_create_whatever_the_status():
    for status in ("running", "pass", "dead", "queued"):
        job = Job(status=status, priority=50)
        assert job.stored["priority"] == 50, status


def test_priority_changes_while_queued():
    job = Job(status="queued", priority=100)
    job.put(priority=10)
    assert job.stored["priority"] == 10


def test_priority_ignored_when_not_queued():
    job = Job(status="running", priority=100)
    write = job.put(priority=10)
    assert "priority" not in write.job_fields
    assert job.stored["priority"] == 100


def test_priority_ignored_but_rest_of_update_applied():
    job = Job(status="running", priority=100)
    job.put(priority=10, description="still applied", status="dead")
    assert (job.stored["priority"], job.stored["description"], job.status) == (
        100, "still applied", "dead")


def test_priority_rule_uses_status_before_the_request_queued_to_running():
    job = Job(status="queued", priority=100)
    job.put(status="running", priority=10)
    assert job.stored["priority"] == 10


def test_priority_rule_uses_status_before_the_request_running_to_queued():
    job = Job(status="running", priority=100)
    job.put(status="queued", priority=10)
    assert job.stored["priority"] == 100


def test_same_priority_on_non_queued_job_is_harmless():
    job = Job(status="running", priority=100)
    job.put(priority=100)
    assert job.stored["priority"] == 100


# --- targets -> nodes (§5.6) ---------------------------------------------------------------

def test_target_hostname_is_part_after_at():
    assert target_hostname("ubuntu@smithi001.front.sepia.ceph.com") == \
        "smithi001.front.sepia.ceph.com"


def test_target_hostname_without_at_is_the_key():
    assert target_hostname("smithi001.front.sepia.ceph.com") == "smithi001.front.sepia.ceph.com"


def test_targets_on_create_link_every_host():
    targets = {"ubuntu@t1": "ssh-rsa A", "ubuntu@t2": "ssh-rsa B", "ubuntu@t3": "ssh-rsa C"}
    write = plan_job_write(None, {"targets": targets, "machine_type": "smithi"}, T0)
    assert sorted(write.target_hostnames) == ["t1", "t2", "t3"]
    assert sorted(write.job_fields["target_nodes"]) == ["t1", "t2", "t3"]
    assert write.node_machine_type == "smithi"


def test_targets_are_stored_verbatim():
    targets = {"ubuntu@t1.front": "ssh-rsa A"}
    write = plan_job_write(None, {"targets": targets}, T0)
    assert write.job_fields["targets"] == targets


def test_new_nodes_have_no_machine_type_without_one_in_request():
    write = plan_job_write(None, {"targets": {"u@t1": ""}}, T0)
    assert write.node_machine_type is None


def test_targets_keys_without_at_are_hostnames():
    write = plan_job_write(None, {"targets": {"smithi001.front": "k"}}, T0)
    assert write.target_hostnames == ["smithi001.front"]
    assert write.job_fields["target_nodes"] == ["smithi001.front"]


def test_more_targets_than_links_extends_and_keeps_existing_links():
    current = {"job_id": "1", "status": "running", "target_nodes": ["t1"]}
    write = plan_job_write(current, {"targets": {"u@t1": "", "u@t2": ""}}, T0)
    assert "t2" in write.target_hostnames
    assert write.job_fields["target_nodes"][0] == "t1"
    assert sorted(write.job_fields["target_nodes"]) == ["t1", "t2"]


def test_more_and_different_targets_never_remove_links():
    current = {"job_id": "1", "status": "running", "target_nodes": ["t1"]}
    write = plan_job_write(current, {"targets": {"u@t2": "", "u@t3": ""}}, T0)
    assert sorted(write.target_hostnames) == ["t2", "t3"]
    assert write.job_fields["target_nodes"][0] == "t1"
    assert sorted(write.job_fields["target_nodes"]) == ["t1", "t2", "t3"]


def test_host_already_linked_is_not_linked_twice():
    current = {"job_id": "1", "status": "running", "target_nodes": ["t1", "t2"]}
    write = plan_job_write(current, {"targets": {"u@t1": "", "u@t2": "", "u@t3": ""}}, T0)
    assert sorted(write.job_fields["target_nodes"]) == ["t1", "t2", "t3"]


def test_smaller_targets_adds_nothing():
    current = {"job_id": "1", "status": "running", "target_nodes": ["t1", "t2"]}
    write = plan_job_write(current, {"targets": {"u@t9": ""}}, T0)
    assert write.target_hostnames == []
    assert "target_nodes" not in write.job_fields


def test_same_size_targets_adds_nothing():
    current = {"job_id": "1", "status": "running", "target_nodes": ["t1", "t2"]}
    write = plan_job_write(current, {"targets": {"u@t8": "", "u@t9": ""}}, T0)
    assert write.target_hostnames == []
    assert "target_nodes" not in write.job_fields


def test_smaller_targets_still_stores_the_targets_json():
    current = {"job_id": "1", "status": "running", "target_nodes": ["t1", "t2"]}
    write = plan_job_write(current, {"targets": {"u@t9": ""}}, T0)
    assert write.job_fields["targets"] == {"u@t9": ""}


def test_null_or_empty_targets_link_nothing():
    for targets in (None, {}):
        write = plan_job_write(None, {"targets": targets}, T0)
        assert write.target_hostnames == []
        assert "target_nodes" not in write.job_fields


def test_no_targets_link_nothing():
    write = plan_job_write(None, {"status": "queued"}, T0)
    assert write.target_hostnames == []
    assert "target_nodes" not in write.job_fields


def test_targets_sequence_through_puts():
    job = Job(status="queued", targets={"u@t1": ""})
    assert job.stored["target_nodes"] == ["t1"]
    job.put(targets={"u@t1": "", "u@t2": ""})
    assert sorted(job.stored["target_nodes"]) == ["t1", "t2"]
    job.put(targets={"u@t3": ""})
    assert sorted(job.stored["target_nodes"]) == ["t1", "t2"]


# --- a realistic teuthology report, through the schema and the algorithm -------------------

def test_realistic_teuthology_report_creates_a_failed_job_and_corrects_the_run():
    from paddles_mongo.schemas.jobs import JobSchema

    from .test_storage import realistic_job

    request = JobSchema().load(realistic_job())
    write = plan_job_write(None, request, T0)
    assert (write.job_fields["status"], write.job_fields["success"]) == ("fail", False)
    assert write.job_fields["job_id"] == "7891234"
    assert write.job_fields["nuke_on_error"] is True
    assert "started" not in write.job_fields
    assert write.run_fields == {"updated": T0, "suite": "rados", "branch": "main",
                                "machine_type": "smithi"}
    assert sorted(write.target_hostnames) == ["smithi001.front.sepia.ceph.com",
                                              "smithi002.front.sepia.ceph.com"]
    assert write.node_machine_type == "smithi"
    assert (write.old_status, write.new_status, write.status_changed) == (None, "fail", True)


def test_teuthology_lifecycle_queued_running_pass():
    job = Job(job_id="42", status="queued", priority=100, machine_type="smithi")
    job.put(job_id="42", status="running", targets={"ubuntu@s1": "k", "ubuntu@s2": "k"})
    started = job.stored["started"]
    assert started == T0 + timedelta(minutes=2)
    job.put(job_id="42", status="pass", success=True, duration=100)
    job.put(job_id="42", status="dead")  # teuthology's mark-dead sweep must not undo a pass
    assert (job.status, job.success, job.stored["started"]) == ("pass", True, started)
    assert sorted(job.stored["target_nodes"]) == ["s1", "s2"]
