"""A real deployment: gunicorn with 4 workers serving the app on a throw-away database."""
import os
import subprocess
import sys
import time
import uuid

import pytest
import requests
from pymongo import MongoClient

from paddles_mongo.commands.serve import GUNICORN_CONFIG, stop
from paddles_mongo.config import load_settings
from paddles_mongo.db import Database, create_indexes
from tests.conftest import free_port

WORKERS = 4


def wait_for_http(url, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {process.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def start_gunicorn(mongo_uri, port, workers=WORKERS, extra_env=None):
    env = {**os.environ, "PADDLES_MONGO_URI": mongo_uri, "PADDLES_SERVER_HOST": "127.0.0.1",
           "PADDLES_SERVER_PORT": str(port), "PADDLES_WORKER_COUNT": str(workers),
           "PADDLES_ADDRESS": f"http://127.0.0.1:{port}", "PADDLES_LOG_LEVEL": "WARNING",
           **(extra_env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG, "--access-logfile", "/dev/null",
         "paddles_mongo:create_app()"], env=env)


@pytest.fixture(scope="module")
def server(mongo_server_uri):
    """Base URL of a 4-worker gunicorn serving a fresh database; yields (url, database)."""
    name = f"e2e_{uuid.uuid4().hex[:12]}"
    uri = f"{mongo_server_uri}{name}"
    database = Database(load_settings(path=os.devnull, environ={}, mongo_uri=uri))
    create_indexes(database)
    port = free_port()
    process = start_gunicorn(uri, port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/", process)
        yield url, database
    finally:
        stop(process)
        with MongoClient(mongo_server_uri) as client:
            client.drop_database(name)
        database.close()
