"""Shared fixtures. Integration and end-to-end tests run against a real MongoDB wire server:
the one at $PADDLES_TEST_MONGO_URI if set (CI starts one), otherwise a SecantusDB daemon this
session starts on a free port."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests
from pymongo import MongoClient

from paddles_mongo import create_app
from paddles_mongo.commands.serve import start_local_mongo, stop, wait_for_mongo
from paddles_mongo.config import load_settings
from paddles_mongo.db import Database, create_indexes


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url, process, timeout=60):
    """Wait until GET url answers 200 while `process` (the server, or what starts it) lives."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args[0]} exited with code {process.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer 200 within {timeout} s")


SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def script_env(uri, **extra_env):
    """The environment of a script run as an operator would: none of our PADDLES_* settings,
    PADDLES_MONGO_URI=`uri`, 5 s to find the database, then `extra_env`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PADDLES_")}
    env.update({"PADDLES_MONGO_URI": uri, "PADDLES_MONGO_SERVER_SELECTION_TIMEOUT_MS": "5000",
                **extra_env})
    return env


def run_script(name, uri, *args, timeout=180, **extra_env):
    """Run scripts/`name` on the database at `uri` (see script_env); the CompletedProcess."""
    return subprocess.run([sys.executable, str(SCRIPTS / name), *map(str, args)],
                          env=script_env(uri, **extra_env), capture_output=True, text=True,
                          timeout=timeout, cwd="/", stdin=subprocess.DEVNULL)


@pytest.fixture(scope="session")
def mongo_server_uri():
    """mongodb://host:port/ of a running wire-protocol server (no database name)."""
    if os.environ.get("PADDLES_TEST_MONGO_URI"):
        yield os.environ["PADDLES_TEST_MONGO_URI"].rstrip("/") + "/"
        return
    data_dir = tempfile.mkdtemp(prefix="paddles-test-secantus-")
    port = free_port()
    process = start_local_mongo(data_dir, port, quiet=True)  # as serve-local does
    uri = f"mongodb://127.0.0.1:{port}/"
    try:
        wait_for_mongo(uri, process)
        yield uri
    finally:
        stop(process)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def database_uri(mongo_server_uri):
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield f"{mongo_server_uri}{name}"
    with MongoClient(mongo_server_uri) as client:
        client.drop_database(name)


# Test modules whose routes the query policy shapes run under both (parametrize this name).
QUERY_POLICIES = ("mongodb", "secantusdb")


@pytest.fixture
def query_policy():
    """The query_policy setting of the `settings` fixture: the server's own by default."""
    return "auto"


@pytest.fixture
def settings(database_uri, query_policy):
    return load_settings(path=os.devnull, environ={}, mongo_uri=database_uri,
                         address="http://paddles.test", query_policy=query_policy)


@pytest.fixture
def database(settings):
    database = Database(settings)
    create_indexes(database)
    yield database
    database.close()


@pytest.fixture
def app(settings, database):
    return create_app(settings, database)


@pytest.fixture
def client(app):
    return app.test_client()
