"""Metrics: Prometheus (at /metrics, summed across gunicorn workers when
PROMETHEUS_MULTIPROC_DIR is set, as paddles_mongo/gunicorn_config.py does), and the original's
statsd counters `{prefix}.jobs.status.{pass|fail|dead}` when `statsd_host` is set."""
import logging
import os

from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter,
                               Histogram, generate_latest, multiprocess)
from statsd import StatsClient

from .domain.jobs import COUNTED_STATUSES

log = logging.getLogger(__name__)

REQUESTS = Counter("paddles_http_requests_total", "HTTP requests answered",
                   ["method", "endpoint", "status"])
LATENCY = Histogram("paddles_http_request_duration_seconds", "Time to answer a request",
                    ["method", "endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
JOBS_ENTERED = Counter("paddles_jobs_entered_status_total", "Jobs that entered a status",
                       ["status"])
DATABASE_ERRORS = Counter("paddles_database_errors_total", "Database operations that failed",
                          ["kind"])


def observe_request(method, endpoint, status, seconds):
    REQUESTS.labels(method, endpoint, str(status)).inc()
    LATENCY.labels(method, endpoint).observe(seconds)


def exposition():
    """(body, content type) of every metric, from all workers when they share a directory."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST


class JobStatusCounter:
    def __init__(self, settings):
        self.statsd = None
        if settings.statsd_host:
            try:
                self.statsd = StatsClient(settings.statsd_host, settings.statsd_port,
                                          prefix=settings.statsd_prefix)
            except OSError as error:
                log.warning("statsd disabled: cannot resolve %s: %s", settings.statsd_host, error)

    def job_entered(self, status):
        JOBS_ENTERED.labels(status or "unknown").inc()
        if self.statsd is not None and status in COUNTED_STATUSES:
            self.statsd.incr(f"jobs.status.{status}")
