"""/metrics under gunicorn: every worker answers with the sum over all workers."""
import re

import requests

RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi-metrics"


def metric(url, name, **labels):
    text = requests.get(f"{url}/metrics", timeout=30).text
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    match = re.search(rf"^{name}{{{re.escape(wanted)}}} (\S+)$", text, flags=re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_request_counts_are_summed_over_every_worker(server):
    url, _ = server
    labels = {"endpoint": "/health", "method": "GET", "status": "200"}
    before = metric(url, "paddles_http_requests_total", **labels)
    session = requests.Session()
    for _ in range(40):
        assert session.get(f"{url}/health").status_code == 200
    # Each scrape may be answered by any of the 4 workers; all must see all 40 requests.
    seen = {metric(url, "paddles_http_requests_total", **labels) for _ in range(8)}
    assert seen == {before + 40}


def test_jobs_entering_statuses_are_counted_over_every_worker(server):
    url, _ = server
    before = metric(url, "paddles_jobs_entered_status_total", status="queued")
    for job_id in range(12):
        response = requests.post(f"{url}/runs/{RUN}/jobs/",
                                 json={"job_id": str(job_id), "status": "queued"})
        assert response.status_code == 200
    seen = {metric(url, "paddles_jobs_entered_status_total", status="queued") for _ in range(8)}
    assert seen == {before + 12}
