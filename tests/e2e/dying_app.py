"""The application with one fault added, for tests/e2e/test_worker_killed.py: a worker kills
itself with SIGKILL right after writing a job, before counting it on its run, whenever the
job's new status is `pass` and its job_id is listed in $PADDLES_TEST_DIE_ON_PASS
(comma-separated)."""
import os
import signal

from paddles_mongo import create_app as create_real_app
from paddles_mongo.services import run_summary


def create_app():
    dying_jobs = set(os.environ.get("PADDLES_TEST_DIE_ON_PASS", "").split(","))
    counted_job_write = run_summary.counted_job_write

    def dying_job_write(database, run_name, change, write_job, now):
        after = change.after or {}
        if after.get("status") != "pass" or after.get("job_id") not in dying_jobs:
            return counted_job_write(database, run_name, change, write_job, now)

        def write_then_die(write_id, job_seq):
            write_job(write_id, job_seq)
            os.kill(os.getpid(), signal.SIGKILL)

        return counted_job_write(database, run_name, change, write_then_die, now)

    run_summary.counted_job_write = dying_job_write
    return create_real_app()
