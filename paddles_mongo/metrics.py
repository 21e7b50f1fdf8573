"""Counting jobs that enter a final status, to statsd as the original did
(`{prefix}.jobs.status.{pass|fail|dead}`), when `statsd_host` is set."""
import logging

from statsd import StatsClient

from .domain.jobs import COUNTED_STATUSES

log = logging.getLogger(__name__)


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
        if self.statsd is not None and status in COUNTED_STATUSES:
            self.statsd.incr(f"jobs.status.{status}")
