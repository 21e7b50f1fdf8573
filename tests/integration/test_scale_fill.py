"""The scale benchmark's fill writes what the API would store: every run's summary equals a
recount of its jobs."""
from benchmarks.scale import fill
from paddles_mongo.services import run_summary


def test_a_fill_stores_runs_whose_summaries_are_their_jobs_counted(database):
    filled = fill(database, runs=3, jobs_per_run=8)
    assert filled == database.jobs.count_documents({}) > 0
    runs = list(database.runs.find({}, {"name": 1, "writes": 1, "pending": 1,
                                        **run_summary.SUMMARY_PROJECTION}))
    assert len(runs) == 3
    counted = run_summary.summarize_runs(database, [run["name"] for run in runs])
    for run in runs:
        assert run_summary.summary_changes(run, counted[run["name"]]) == {}
        assert run["results"]["total"] == database.jobs.count_documents({"run": run["name"]})
        assert run["pending"] == []
