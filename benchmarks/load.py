"""Load a Lab into any paddles through its HTTP API, the way teuthology reports: each job is
POSTed queued, then PUT with its result (with `lifecycle`, PUT running in between); the newest
runs are left in flight, so queued and running lists have content."""
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import requests

IN_FLIGHT_RUNS = 3  # the newest runs keep queued and running jobs
TRIES = 10  # as teuthology's reporter: a failed request is retried, ten times at most


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


def report_job(session, url, run, job, final, lifecycle=False):
    """POST queued, [PUT running,] then PUT the outcome (or leave it in flight)."""
    base = f"{url}/runs/{quote(run['name'], safe=':')}/jobs/"
    document = {key: value for key, value in job.items()
                if key not in ("final", "duration", "failure_reason")}
    _post_or_put(session, base, {**document, "status": "queued"})
    if final == "queued":
        return
    if lifecycle or final == "running":
        _check(_send(session, "PUT", f"{base}{job['job_id']}/", {"status": "running"},
                     "PUT running"), "PUT running")
    if final == "running":
        return
    outcome = {"status": final, "success": final == "pass", "duration": job["duration"]}
    if final != "pass":
        outcome["failure_reason"] = job["failure_reason"]
    _check(_send(session, "PUT", f"{base}{job['job_id']}/", outcome, "PUT outcome"),
           "PUT outcome")


def load_lab(url, lab, concurrency=8, progress=None, lifecycle=False):
    url = url.rstrip("/")
    sessions = {}

    def session():
        import threading
        key = threading.get_ident()
        if key not in sessions:
            sessions[key] = requests.Session()
        return sessions[key]

    work = []
    for index, run in enumerate(lab.runs):
        in_flight = index >= len(lab.runs) - IN_FLIGHT_RUNS
        for number, job in enumerate(run["jobs"]):
            final = (("queued", "running")[number % 2] if in_flight and number % 3 else
                     job["final"])
            work.append((run, job, final))

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
    return len(work)
