"""Load a Lab into any paddles through its HTTP API, the way teuthology reports: each job is
POSTed queued, then PUT with its result (with `lifecycle`, PUT running in between); the newest
runs are left in flight, so queued and running lists have content.

A server that takes batches of jobs (paddles-mongo: POST /runs/{run}/jobs/ with an array) is
sent each run's jobs as batches instead, step by step (all queued, [all running,] all
results): the same writes, in a few requests per run."""
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import requests

IN_FLIGHT_RUNS = 3  # the newest runs keep queued and running jobs
TRIES = 10  # as teuthology's reporter: a failed request is retried, ten times at most
BATCH_JOBS = 500  # the most jobs paddles-mongo takes in one batch (docs/api.md)


class LoadError(RuntimeError):
    pass


def _send(session, method, url, body, what):
    """One request as teuthology sends it: retried on a server error, with a growing pause."""
    for attempt in range(TRIES):
        response = session.request(method, url, json=body, timeout=300)
        if response.status_code < 500:
            return response
        time.sleep(0.5 * (attempt + 1))
    raise LoadError(f"{what}: {response.status_code} after {TRIES} tries")


def _check(response, what):
    if response.status_code != 200:
        raise LoadError(f"{what}: {response.status_code} {response.text[:200]}")


def _post_or_put(session, base, body):
    """teuthology's report_job: POST, and on `... already exists` PUT the same body."""
    response = _send(session, "POST", base, body, "POST job")
    if response.status_code != 200 and response.json().get("message", "").endswith(
            "already exists"):
        response = _send(session, "PUT", f"{base}{body['job_id']}/", body, "PUT job")
    _check(response, "report job")


def _jobs_url(url, run):
    return f"{url}/runs/{quote(run['name'], safe=':')}/jobs/"


def _steps(job, final, lifecycle):
    """The bodies teuthology reports for `job` ending `final`, in order: queued (the whole
    document), [running,] then the outcome (unless left in flight)."""
    document = {key: value for key, value in job.items()
                if key not in ("final", "duration", "failure_reason")}
    steps = [{**document, "status": "queued"}]
    if final == "queued":
        return steps
    if lifecycle or final == "running":
        steps.append({"status": "running"})
    if final == "running":
        return steps
    outcome = {"status": final, "success": final == "pass", "duration": job["duration"]}
    if final != "pass":
        outcome["failure_reason"] = job["failure_reason"]
    return steps + [outcome]


def report_job(session, url, run, job, final, lifecycle=False):
    """POST queued, [PUT running,] then PUT the outcome (or leave it in flight)."""
    base = _jobs_url(url, run)
    first, *updates = _steps(job, final, lifecycle)
    _post_or_put(session, base, first)
    for body in updates:
        what = "PUT running" if body["status"] == "running" else "PUT outcome"
        _check(_send(session, "PUT", f"{base}{job['job_id']}/", body, what), what)


def takes_batches(session, url, run):
    """Whether the server takes batches of jobs: paddles-mongo answers an empty batch (on
    the run about to be loaded) 200 `[]` and writes nothing; the original refuses it."""
    response = session.post(_jobs_url(url, run), json=[], timeout=300)
    try:
        return response.status_code == 200 and response.json() == []
    except ValueError:  # an HTML error page
        return False


def report_run(session, url, run, jobs, lifecycle=False):
    """Report the run's `jobs` ([(job, final)]) as report_job would, in batches: every job's
    first step, then every job's second step, ..."""
    steps = [[{**body, "job_id": job["job_id"]} for body in _steps(job, final, lifecycle)]
             for job, final in jobs]
    for step in range(max(map(len, steps), default=0)):
        bodies = [job_steps[step] for job_steps in steps if step < len(job_steps)]
        for start in range(0, len(bodies), BATCH_JOBS):
            response = _send(session, "POST", _jobs_url(url, run),
                             bodies[start:start + BATCH_JOBS], "POST batch")
            _check(response, "POST batch")
            refused = [o for o in response.json() if o["status"] != 200]
            if refused:
                raise LoadError(f"POST batch: {len(refused)} jobs refused, as {refused[0]}")


def lab_reports(lab):
    """[(run, [(job, the status it is left in)])] of the lab: the newest runs in flight."""
    runs = []
    for index, run in enumerate(lab.runs):
        in_flight = index >= len(lab.runs) - IN_FLIGHT_RUNS
        runs.append((run, [(job, ("queued", "running")[number % 2]
                            if in_flight and number % 3 else job["final"])
                           for number, job in enumerate(run["jobs"])]))
    return runs


def load_lab(url, lab, concurrency=8, progress=None, lifecycle=False, batches=None):
    """Report every job of `lab` to the paddles at `url`; `batches`: send batches of jobs
    (True), single requests (False), or batches if the server takes them (None). Returns the
    number of jobs."""
    url = url.rstrip("/")
    sessions = {}

    def session():
        import threading
        key = threading.get_ident()
        if key not in sessions:
            sessions[key] = requests.Session()
        return sessions[key]

    runs = lab_reports(lab)
    if batches is None:
        batches = bool(lab.runs) and takes_batches(session(), url, lab.runs[0])
    if batches:
        work = runs

        def report(item):
            run, jobs = item
            report_run(session(), url, run, jobs, lifecycle)
            return len(jobs)
    else:
        work = [(run, job, final) for run, jobs in runs for job, final in jobs]

        def report(item):
            run, job, final = item
            report_job(session(), url, run, job, final, lifecycle)
            return 1

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for done in pool.map(report, work):
            if progress:
                progress(done)
    for node in lab.nodes:  # inventory: every node up, for the lock and stats pages
        _check(_send(session(), "PUT", f"{url}/nodes/{node}/", {"up": True}, "PUT node"),
               "PUT node")
    return sum(len(jobs) for _run, jobs in runs)
