"""The lab's questions of its results (test history, flaky tests, run comparisons, failure
signatures): what identifies a test, what a failure's signature is, and how a test's outcomes
and two runs' jobs are judged. Plain functions of plain values; services/lab_questions.py
reads the jobs.

A test is a job's `description` within its suite: `test_id` hashes the two, and each job
stores it as it is written, with the `failure_signature` of its `failure_reason`, so the
questions are index lookups."""
import hashlib
import re

FINISHED_STATUSES = ("pass", "fail", "dead")
FAILED_STATUSES = ("fail", "dead")
UNFINISHED_STATUSES = ("queued", "running", "waiting")
SIGNATURE_LENGTH = 200
COMPARE_LISTS = ("regressions", "fixes", "still_failing", "new", "missing", "pending")

# A failure reason's variable parts, replaced in this order (the first rule to match a part
# wins), so reasons that differ only in them share a signature.
SIGNATURE_RULES = (
    # UUIDs: 8-4-4-4-12 hex digits
    ("<uuid>", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    # IPv6 (eight groups, or any with `::`), then IPv4
    ("<ip>", r"(?<![\w:])(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|"
             r"(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?::"
             r"(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?)(?![\w:])"),
    ("<ip>", r"\b\d{1,3}(?:\.\d{1,3}){3}\b"),
    # runs of 7 or more hex digits, at least one a digit (sha1s, addresses)
    ("<hex>", r"\b(?=[0-9a-fA-F]*\d)(?:0x)?[0-9a-fA-F]{7,}\b"),
    # test machines: letters then 3 or more digits, with or without their domain
    # (smithi012, smithi012.front.sepia.ceph.com)
    ("<host>", r"\b[A-Za-z][A-Za-z-]*\d{3,}(?:\.[A-Za-z0-9-]+)*\b"),
    # any other number
    ("<n>", r"\d+"),
)
_COMPILED_RULES = tuple((token, re.compile(pattern)) for token, pattern in SIGNATURE_RULES)
_SPACES = re.compile(r"\s+")


def failure_signature(reason):
    """The signature of a failure reason: its variable parts replaced (SIGNATURE_RULES),
    whitespace collapsed, then cut at SIGNATURE_LENGTH characters. No reason: ``""``."""
    if not isinstance(reason, str):
        return ""
    for token, pattern in _COMPILED_RULES:
        reason = pattern.sub(token, reason)
    return _SPACES.sub(" ", reason).strip()[:SIGNATURE_LENGTH]


def test_id(suite, description):
    """The identity of a test: its suite and description, hashed (None without a
    description)."""
    if not isinstance(description, str) or not description:
        return None
    key = f"{suite if isinstance(suite, str) else ''}\n{description}"
    return hashlib.sha1(key.encode()).hexdigest()[:20]


def outcome_flips(statuses):
    """How many pairs of consecutive finished outcomes (`statuses` in `posted` order) differ
    between pass and not pass."""
    passed = [status == "pass" for status in statuses]
    return sum(first != second for first, second in zip(passed, passed[1:]))


def compare_jobs(current, baseline):
    """Two runs' jobs matched by description ({description: job}: each run's newest posted job
    of the description). Returns {list name: [entries]}, each entry {description, job_id,
    baseline_job_id, was, now} (None for an absent side), sorted by description."""
    lists = {name: [] for name in COMPARE_LISTS}
    for description in sorted(set(current) | set(baseline)):
        now_job, was_job = current.get(description), baseline.get(description)
        if was_job is not None and was_job.get("status") not in FINISHED_STATUSES:
            was_job = None  # a baseline's unfinished job counts as absent
        name = _judged(now_job, was_job)
        if name is not None:
            lists[name].append({
                "description": description,
                "job_id": (now_job or {}).get("job_id"),
                "baseline_job_id": (was_job or {}).get("job_id"),
                "was": (was_job or {}).get("status"), "now": (now_job or {}).get("status")})
    return lists


def _judged(now_job, was_job):
    """The list a description goes to (None: passed in both, or in neither run)."""
    if now_job is None:
        return "missing" if was_job is not None else None
    now = now_job.get("status")
    if now not in FINISHED_STATUSES:
        return "pending"
    if was_job is None:
        return "new"
    if was_job["status"] == "pass":
        return "regressions" if now in FAILED_STATUSES else None
    return "fixes" if now == "pass" else "still_failing"
