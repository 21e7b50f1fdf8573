"""run_summary.summarize_jobs counts what a run document keeps of its jobs, as MongoDB orders
and groups them (the recount, the importer and the scale fill use it)."""
from collections import Counter
from datetime import datetime

from paddles_mongo.services.run_summary import summarize_jobs


def job(run, job_id, status, **fields):
    return {"run": run, "job_id": job_id, "status": status, **fields}


def test_counts_each_run_of_its_jobs_and_the_named_runs_without_any():
    summaries = summarize_jobs([
        job("a", "2", "pass", sha1="s2", flavor="default", priority=5,
            target_nodes=["n1", "n2"], machine_type="smithi", posted=datetime(2026, 1, 2)),
        job("a", "10", "fail", sha1="s1", posted=datetime(2026, 1, 1)),
        job("a", "3", None, sha1="s2"),
        job("b", "1", "running"),
    ], names=["a", "b", "c"])
    a = summaries["a"]
    assert (a["total"], a["pass"], a["fail"], a["unknown"]) == (3, 1, 1, 1)
    # "10" < "2" < "3": job_ids are ordered as strings
    assert (a["first_job_id"], a["sha1"], a["flavor"], a["priority"]) == ("10", "s1", None, None)
    assert a["sha1_counts"] == Counter({"s2": 2, "s1": 1})
    assert a["node_counts"] == Counter({("n1", "smithi", "pass"): 1, ("n2", "smithi", "pass"): 1})
    assert (a["posted_first"], a["posted_last"]) == (datetime(2026, 1, 1), datetime(2026, 1, 2))
    assert a["status"] == "finished fail"
    assert summaries["b"]["status"] == "running"
    assert summaries["c"]["total"] == 0 and summaries["c"]["status"] == "empty"


def test_a_job_without_a_job_id_comes_first_as_in_mongodb():
    """A job of the original saved half-made has no job_id: MongoDB sorts null first."""
    summary = summarize_jobs([job("a", "1", "pass", sha1="one"),
                              job("a", None, "dead", sha1="none")])["a"]
    assert (summary["first_job_id"], summary["sha1"], summary["total"]) == (None, "none", 2)
