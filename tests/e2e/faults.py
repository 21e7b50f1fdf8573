"""What the fault tests share: a local database of their own that they can stop, kill and start
again on the same data, and the check that every run's stored summary is exact again."""
import shutil
import tempfile
import time

from paddles_mongo.commands.serve import start_local_mongo, stop, wait_for_mongo
from paddles_mongo.services import run_summary
from tests.conftest import free_port


class LocalDatabase:
    """The local database as serve-local starts it (durable), on a data dir and port of its
    own; started on entering, stopped and its data removed on leaving."""

    def __init__(self):
        self.data_dir = tempfile.mkdtemp(prefix="paddles-faults-")
        self.port = free_port()
        self.server_uri = f"mongodb://127.0.0.1:{self.port}/"
        self.process = None

    def start(self):
        """Start it on the same data and port; return once it answers."""
        self.process = start_local_mongo(self.data_dir, self.port, quiet=True)
        wait_for_mongo(self.server_uri, self.process)

    def stop(self):
        stop(self.process)

    def kill(self):
        """SIGKILL: a crash, with no chance to flush anything."""
        self.process.kill()
        self.process.wait()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def runs_differing_from_a_recount(database, runs):
    """The runs whose stored summary is not (yet) a recount of their jobs: a run with a job
    write begun and not counted (`pending`) is not exact yet."""
    counted = run_summary.summarize_runs(database, runs)
    return sorted(run["name"] for run in database.runs.find({"name": {"$in": list(runs)}})
                  if run["pending"] or run_summary.summary_differs(run, counted[run["name"]]))


def runs_not_exact_by(database, runs, deadline):
    """Poll (until `deadline`, a time.monotonic()) for the repairs to make every run exact;
    return the runs still differing then."""
    differing = runs_differing_from_a_recount(database, runs)
    while differing and time.monotonic() < deadline:
        time.sleep(0.25)  # polling for the repairs, which run every repair_interval_seconds
        differing = runs_differing_from_a_recount(database, runs)
    return differing
