"""What the benchmark measures: the requests pulpito and teuthology make most, each as a
scenario that yields requests (method, path, body[, headers]) to send."""
import itertools
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlencode


def q(name):
    return quote(name, safe=":")


def newest_runs(session, url):
    return session.get(f"{url}/runs/", params={"count": 10000}).json()


def last_full_page(runs):
    """The number of the last full page of 25 of `runs`."""
    return max(2, len(runs) // 25)


class Targets:
    """Names to request, discovered once from a loaded server (identical on any server loaded
    with the same lab, but for the runs the write scenarios added: see `deep_page`)."""

    def __init__(self, session, url):
        self.session, self.url = session, url
        runs = newest_runs(session, url)
        self.deep_page = last_full_page(runs)
        # Runs of the lab (not those the write scenarios make), finished ones for stable pages.
        runs = [run for run in runs if run["branch"] and run["suite"]] or runs
        finished = [run for run in runs if run["status"].startswith("finished")] or runs
        self.big_run = max(runs, key=lambda run: run["results"]["total"])["name"]
        self.run = finished[len(finished) // 2]["name"]
        self.branch, self.suite = finished[0]["branch"], finished[0]["suite"]
        self.run_suite = finished[len(finished) // 2]["suite"]
        jobs = session.get(f"{url}/runs/{q(self.run)}/jobs/",
                           params={"fields": "job_id,sha1,description,targets"}).json()
        job = min(jobs, key=lambda job: job["job_id"])
        self.job_id = job["job_id"]
        self.description = job.get("description") or ""
        self.sha1_prefix = (job.get("sha1") or "0")[:7]
        # A word of the job's description, as people search them: `thrash`, `radosbench`.
        self.description_word = (job.get("description") or "rados").split("/")[1]
        self.node = next(iter(job.get("targets") or {"x@nonode": ""})).split("@")[1]


def run_list(t):
    return itertools.repeat(("GET", "/runs/?count=25", None))


def run_list_deep(t):
    return itertools.repeat(("GET", f"/runs/?count=25&page={t.deep_page}", None))


def filter_route(t):
    return itertools.repeat(("GET", f"/runs/branch/{t.branch}/suite/{t.suite}/?count=25", None))


def filter_route_10_days(t):
    """filter_route since 10 days ago: a window every lab of the scale mode fills (about 8 runs
    a day at any size), so only the database's size differs (a pair's runs at 10k fit in one
    page, at 1M they fill many)."""
    since = datetime.now(timezone.utc) - timedelta(days=10)
    method, path, body = next(filter_route(t))
    return itertools.repeat((method, f"{path}&since={since:%Y-%m-%d}", body))


def filter_values(t):
    return itertools.repeat(("GET", f"/runs/branch/{t.branch}/suite/", None))


def run_page_big(t):
    return itertools.repeat(("GET", f"/runs/{q(t.big_run)}/", None))


# Lean reads (paddles-mongo only): a 304, a run without its jobs, a page 50 by cursor.
DEEP_PAGE = 50
RUN_KEYS_BUT_JOBS = ("name,href,user,status,results,jobs_count,posted,scheduled,started,"
                     "updated,branch,suite,machine_type,sha1,priority,flavor")


def run_page_big_304(t):
    """A poller of the biggest run's page that has it already: If-None-Match, 304."""
    path = f"/runs/{q(t.big_run)}/"
    tag = t.session.get(t.url + path).headers["ETag"]
    return itertools.repeat(("GET", path, None, {"If-None-Match": tag}))


def run_page_no_jobs(t):
    """The biggest run's page without its jobs (every other key of it)."""
    return itertools.repeat(("GET", f"/runs/{q(t.big_run)}/?fields={RUN_KEYS_BUT_JOBS}", None))


def run_list_page_50(t):
    return itertools.repeat(("GET", f"/runs/?count=25&page={DEEP_PAGE}", None))


def run_list_cursor_50(t):
    """Page 50 of the run list by cursor: the cursor of page 49 found by walking there."""
    path = "/runs/?count=25"
    cursor = None
    for _page in range(DEEP_PAGE - 1):
        cursor = t.session.get(t.url + path + (f"&after={cursor}" if cursor else "")).headers[
            "X-Next-Cursor"]
    return itertools.repeat(("GET", f"{path}&after={cursor}", None))


def run_head(t):
    return itertools.repeat(("HEAD", f"/runs/{q(t.run)}/", None))


def jobs_fields(t):
    return itertools.repeat(("GET", f"/runs/{q(t.run)}/jobs/"
                             "?fields=job_id,description,status,log_href,failure_reason", None))


def one_job(t):
    return itertools.repeat(("GET", f"/runs/{q(t.run)}/jobs/{t.job_id}/", None))


def node_jobs(t):
    """pulpito's node page: the node's 20 newest jobs."""
    return itertools.repeat(("GET", f"/nodes/{q(t.node)}/jobs/?count=20&page=1", None))


def sha1_prefix(t):
    """Runs holding a job of a sha1, searched by its first 7 characters."""
    return itertools.repeat(("GET", f"/runs/sha1/{t.sha1_prefix}/?count=25", None))


def job_description(t):
    return itertools.repeat(("GET", f"/jobs/?description={q(t.description_word)}&count=25",
                             None))


def test_history(t):
    """A test's history (pulpito-ng's past jobs of a description)."""
    return itertools.repeat(("GET", "/tests/history/?" + urlencode(
        {"suite": t.run_suite, "description": t.description}), None))


def flaky_tests(t):
    return itertools.repeat(("GET", f"/tests/flaky/?suite={q(t.run_suite)}", None))


def run_compare(t):
    return itertools.repeat(("GET", f"/runs/{q(t.run)}/compare/", None))


def failures(t):
    return itertools.repeat(("GET", "/failures/?since_days=7", None))


def trends(t):
    return itertools.repeat(("GET", f"/trends/?suite={q(t.run_suite)}&days=30", None))


def trends_10_days(t):
    """trends over a window every lab of the scale mode fills (the 10k lab spans 12 days):
    the same runs a day at any size, so only the database's size differs."""
    return itertools.repeat(("GET", f"/trends/?suite={q(t.run_suite)}&days=10", None))


def node_job_stats(t):
    return itertools.repeat(("GET", "/nodes/job_stats/?since_days=14", None))


def queued_runs(t):
    return itertools.repeat(("GET", "/runs/queued/", None))


# The web pages (/ui/): people's views of the same answers, rendered as HTML.

def ui_runs(t):
    return itertools.repeat(("GET", "/ui/", None))


def ui_run_page_big(t):
    """The biggest run's page: its job table (the JSON twin is run_page_big)."""
    return itertools.repeat(("GET", f"/ui/runs/{q(t.big_run)}", None))


def ui_job(t):
    return itertools.repeat(("GET", f"/ui/runs/{q(t.run)}/jobs/{t.job_id}", None))


def ui_compare(t):
    return itertools.repeat(("GET", f"/ui/runs/{q(t.run)}/compare", None))


def ui_history(t):
    return itertools.repeat(("GET", "/ui/tests/history?" + urlencode(
        {"suite": t.run_suite, "description": t.description}), None))


def ui_flaky(t):
    return itertools.repeat(("GET", f"/ui/flaky?suite={q(t.run_suite)}", None))


def ui_failures(t):
    return itertools.repeat(("GET", "/ui/failures?since_days=7", None))


def ui_trends(t):
    return itertools.repeat(("GET", f"/ui/trends?suite={q(t.run_suite)}&days=30", None))


def ui_nodes(t):
    return itertools.repeat(("GET", "/ui/nodes/", None))


def ui_node(t):
    return itertools.repeat(("GET", f"/ui/nodes/{q(t.node)}", None))


def ui_queue(t):
    return itertools.repeat(("GET", "/ui/queue", None))


def _bench_run():
    return f"bench-{uuid.uuid4().hex[:12]}"


def _bench_job(run, n):
    return {"job_id": str(n), "status": "queued", "description": "bench/create", "name": run}


def job_create(t):
    run = _bench_run()
    return (("POST", f"/runs/{run}/jobs/", _bench_job(run, n)) for n in itertools.count(1))


BATCH_JOBS = 300  # jobs of a new run, reported by job_batch_300 and job_single_300


def job_batch_300(t):
    """A batch of 300 new jobs, each batch into a new run (as an archive import sends them);
    paddles-mongo only."""
    while True:
        run = _bench_run()
        yield "POST", f"/runs/{run}/jobs/", [_bench_job(run, n) for n in range(1, BATCH_JOBS + 1)]


def job_single_300(t):
    """The same 300 jobs of each new run as single POSTs: job_batch_300's baseline."""
    while True:
        run = _bench_run()
        for n in range(1, BATCH_JOBS + 1):
            yield "POST", f"/runs/{run}/jobs/", _bench_job(run, n)


def job_update(t):
    """PUTs of one job moving between running and waiting: each a status change."""
    run = _bench_run()
    yield "POST", f"/runs/{run}/jobs/", {"job_id": "1", "status": "running", "name": run}
    for status in itertools.cycle(("waiting", "running")):
        yield "PUT", f"/runs/{run}/jobs/1/", {"status": status, "name": run}


def lifecycle(t):
    """teuthology's life of a job: POST queued, PUT running, PUT pass (three requests)."""
    run = _bench_run()
    for n in itertools.count(1):
        base = f"/runs/{run}/jobs/"
        yield "POST", base, {"job_id": str(n), "status": "queued", "name": run}
        yield "PUT", f"{base}{n}/", {"status": "running"}
        yield "PUT", f"{base}{n}/", {"status": "pass", "success": True}


SCENARIOS = {f.__name__: f for f in (
    run_list, run_list_deep, filter_route, filter_route_10_days, filter_values, run_page_big,
    run_head, jobs_fields, one_job, node_jobs, sha1_prefix, job_description, node_job_stats, queued_runs, test_history,
    flaky_tests, run_compare, failures, trends, trends_10_days, job_create, job_update, lifecycle,
    job_batch_300, job_single_300,
    ui_runs, ui_run_page_big, ui_job, ui_compare, ui_history, ui_flaky, ui_failures, ui_trends,
    ui_nodes, ui_node, ui_queue, run_page_big_304, run_page_no_jobs, run_list_page_50,
    run_list_cursor_50)}
# Measured on paddles-mongo only (the original has none of them): the web pages, the batches
# of jobs, and the lean reads (each beside its plain twin: run_page_big, run_list_page_50).
OWN_SCENARIOS = (*(name for name in SCENARIOS if name.startswith("ui_")), "job_batch_300",
                 "run_page_big_304", "run_page_no_jobs", "run_list_cursor_50")
# Jobs each request of a scenario writes, where it writes some: its jobs/s.
JOBS_PER_REQUEST = {"job_create": 1, "job_batch_300": BATCH_JOBS, "job_single_300": 1}
# What `scale` measures at each size: the pages that must not slow down as the database grows.
SCALE_SCENARIOS = ("run_list", "filter_route", "filter_values", "run_page_big", "one_job",
                   "node_jobs", "sha1_prefix", "job_description", "queued_runs",
                   "node_job_stats", "test_history", "flaky_tests", "run_compare", "failures",
                   "trends", "trends_10_days", "filter_route_10_days")
# Scenarios whose requests must be sent in order by one client (each builds on the last).
SEQUENTIAL = ("job_update", "lifecycle")
