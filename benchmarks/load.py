"""Load a Lab into any paddles through its HTTP API, the way teuthology reports: each job is
POSTed queued, then PUT running, then PUT with its result (some runs are left in flight, so
queued and running lists have content)."""
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import requests

IN_FLIGHT_RUNS = 3  # the newest runs keep queued and running jobs


class LoadError(RuntimeError):
    pass


def _check(response, what):
    if response.status_code != 200:
        raise LoadError(f"{what}: {response.status_code} {response.text[:200]}")


def report_job(session, url, run, job, final):
    """POST queued, PUT running, then PUT the outcome (or leave it in flight)."""
    base = f"{url}/runs/{quote(run['name'], safe=':')}/jobs/"
    document = {key: value for key, value in job.items()
                if key not in ("final", "duration", "failure_reason")}
    _check(session.post(base, json={**document, "status": "queued"}), "POST job")
    if final == "queued":
        return
    _check(session.put(f"{base}{job['job_id']}/", json={"status": "running"}), "PUT running")
    if final == "running":
        return
    outcome = {"status": final, "success": final == "pass", "duration": job["duration"]}
    if final != "pass":
        outcome["failure_reason"] = job["failure_reason"]
    _check(session.put(f"{base}{job['job_id']}/", json=outcome), "PUT outcome")


def load_lab(url, lab, concurrency=8, progress=None):
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
        report_job(session(), url, run, job, final)
        return 1

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for done in pool.map(report, work):
            if progress:
                progress(done)
    for node in lab.nodes:  # inventory: every node up, for the lock and stats pages
        _check(session().put(f"{url}/nodes/{node}/", json={"up": True}), "PUT node")
    return len(work)
