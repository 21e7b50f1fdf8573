"""The lab's questions' rules (domain/lab_questions.py): failure signatures, test identity,
outcome flips, and how two runs' jobs compare."""
import pytest

from paddles_mongo.domain.lab_questions import (SIGNATURE_LENGTH, compare_jobs,
                                                failure_signature, outcome_flips)
from paddles_mongo.domain.lab_questions import test_id as identity


@pytest.mark.parametrize("reason, signature", [
    ("Command failed on smithi012 with status 1: 'sudo ceph osd pool'",
     "Command failed on <host> with status <n>: 'sudo ceph osd pool'"),
    ("Command failed on smithi044.front.sepia.ceph.com with status 1: 'sudo ceph osd pool'",
     "Command failed on <host> with status <n>: 'sudo ceph osd pool'"),
    ("ssh to ubuntu@mira101 failed", "ssh to ubuntu@<host> failed"),
    ("no route to 172.21.15.4 port 22", "no route to <ip> port <n>"),
    ("bind 2001:db8:85a3:0:0:8a2e:370:7334 and fe80::1ff:fe23:4567:890a",
     "bind <ip> and <ip>"),
    ("pool 123e4567-e89b-12d3-a456-426614174000 missing", "pool <uuid> missing"),
    ("sha1 a1b2c3d4e5f60718293a not found", "sha<n> <hex> not found"),
    ("object 0x7f3a2b1c00 freed", "object <hex> freed"),
    ("osd.12 down after 300 seconds", "osd.<n> down after <n> seconds"),
    # words of hex letters, versions and short numbered words are not hosts or hex
    ("acceded defaced lz4 md5 v2", "acceded defaced lz<n> md<n> v<n>"),
    ("  saw\n\tthree   spaces  ", "saw three spaces"),
    ("", ""), (None, ""),
])
def test_signature_rules(reason, signature):
    assert failure_signature(reason) == signature


def test_reasons_that_differ_only_in_hosts_and_numbers_share_a_signature():
    assert (failure_signature("Command failed on smithi012 with status 1: 'x'")
            == failure_signature("Command failed on smithi044 with status 124: 'x'"))


def test_a_signature_is_replaced_first_then_cut():
    reason = "smithi001 " * 100
    assert failure_signature(reason) == ("<host> " * 100).strip()[:SIGNATURE_LENGTH]
    assert len(failure_signature("x" * 500)) == SIGNATURE_LENGTH


def test_a_test_is_its_suite_and_description():
    assert identity("rados", "rados/thrash/{a}") == identity("rados", "rados/thrash/{a}")
    assert identity("rados", "rados/thrash/{a}") != identity("fs", "rados/thrash/{a}")
    assert identity("rados", "rados/thrash/{a}") != identity("rados", "rados/thrash/{b}")
    assert identity("rados", None) is None and identity("rados", "") is None


@pytest.mark.parametrize("statuses, flips", [
    ([], 0), (["pass"], 0), (["pass", "pass"], 0), (["pass", "fail"], 1),
    (["fail", "dead"], 0), (["pass", "fail", "pass", "dead", "fail", "pass"], 4)])
def test_flips_count_changes_between_pass_and_not_pass(statuses, flips):
    assert outcome_flips(statuses) == flips


def job(job_id, status):
    return {"job_id": job_id, "status": status}


def test_compare_sorts_each_description_into_one_list():
    current = {"a": job("1", "fail"), "b": job("2", "pass"), "c": job("3", "dead"),
               "d": job("4", "pass"), "e": job("5", "running"), "f": job("6", "pass"),
               "h": job("8", "queued"), "i": job("9", "fail")}
    baseline = {"a": job("11", "pass"), "b": job("12", "fail"), "c": job("13", "fail"),
                "d": job("14", "pass"), "e": job("15", "pass"), "g": job("17", "dead"),
                "i": job("19", "waiting")}
    lists = compare_jobs(current, baseline)
    entry = lambda d, j, b, was, now: {"description": d, "job_id": j, "baseline_job_id": b,
                                       "was": was, "now": now}
    assert lists == {
        "regressions": [entry("a", "1", "11", "pass", "fail")],
        "fixes": [entry("b", "2", "12", "fail", "pass")],
        "still_failing": [entry("c", "3", "13", "fail", "dead")],
        # a baseline's unfinished job counts as absent
        "new": [entry("f", "6", None, None, "pass"), entry("i", "9", None, None, "fail")],
        "missing": [entry("g", None, "17", "dead", None)],
        "pending": [entry("e", "5", "15", "pass", "running"),
                    entry("h", "8", None, None, "queued")],
    }


def test_without_a_baseline_every_finished_job_is_new():
    lists = compare_jobs({"a": job("1", "pass"), "b": job("2", "queued")}, {})
    assert [e["description"] for e in lists["new"]] == ["a"]
    assert [e["description"] for e in lists["pending"]] == ["b"]
    assert not (lists["regressions"] or lists["fixes"] or lists["missing"])
