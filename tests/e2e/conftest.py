"""A real deployment: gunicorn with 4 workers serving the app on a throw-away database."""
import contextlib
import os
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from pymongo import MongoClient

from paddles_mongo.commands.serve import GUNICORN_CONFIG, stop
from paddles_mongo.config import load_settings
from paddles_mongo.db import Database, create_indexes
from tests.conftest import drop_test_database, free_port, wait_for_http

WORKERS = 4


def start_gunicorn(mongo_uri, port, workers=WORKERS, extra_env=None,
                   app="paddles_mongo:create_app()"):
    env = {**os.environ, "PADDLES_MONGO_URI": mongo_uri, "PADDLES_SERVER_HOST": "127.0.0.1",
           "PADDLES_SERVER_PORT": str(port), "PADDLES_WORKER_COUNT": str(workers),
           "PADDLES_ADDRESS": f"http://127.0.0.1:{port}", "PADDLES_LOG_LEVEL": "WARNING",
           **(extra_env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG, "--access-logfile", "/dev/null",
         app], env=env)


@contextlib.contextmanager
def gunicorn_server(mongo_server_uri, prefix, **gunicorn_options):
    """A 4-worker gunicorn serving a fresh database `<prefix>_<hex>` (indexes created); yields
    (base URL, database) once it answers, then stops it and drops the database.
    `gunicorn_options`: start_gunicorn's `workers`, `extra_env` and `app`."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    uri = f"{mongo_server_uri}{name}"
    database = Database(load_settings(path=os.devnull, environ={}, mongo_uri=uri))
    create_indexes(database)
    port = free_port()
    process = start_gunicorn(uri, port, **gunicorn_options)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/", process)
        yield url, database
    finally:
        stop(process)
        with MongoClient(mongo_server_uri) as client:
            drop_test_database(client, name)
        database.close()


@pytest.fixture(scope="module")
def server(mongo_server_uri):
    """Base URL of a 4-worker gunicorn serving a fresh database; yields (url, database)."""
    with gunicorn_server(mongo_server_uri, "e2e") as served:
        yield served


def run_together(tasks, workers):
    """Run callables in threads released at the same moment; return their results."""
    barrier = threading.Barrier(len(tasks))

    def start(task):
        barrier.wait()
        return task()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(start, tasks))
