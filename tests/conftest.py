"""Shared fixtures. Tests run on one of two backends (`--backend`):

- `wire` (the default, the proof): a real MongoDB wire server, the one at
  $PADDLES_TEST_MONGO_URI if set, otherwise a SecantusDB daemon this session starts on a free
  port. Every test runs.
- `mongomock` (the fast tier, `make test-fast`): the app's database is mongomock, in this
  process. Tests that depend on the wire (the `wire` marker says why; any test asking for
  `mongo_server_uri`, whose address other processes reach) are deselected.
"""
import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import mongomock_ng
import pymongo
import pytest
import requests
from pymongo import MongoClient

from paddles_mongo import assemble_app, bind_app, create_app
from paddles_mongo.commands.serve import start_local_mongo, stop, wait_for_mongo
from paddles_mongo.config import load_settings
from paddles_mongo.db import Database, create_indexes


BACKENDS = ("wire", "mongomock")


def pytest_addoption(parser):
    parser.addoption("--backend", choices=BACKENDS, default="wire",
                     help="the database the app's tests run on: a real wire server (default) "
                          "or mongomock in-process (the fast tier; wire-only tests deselected)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "wire(reason): depends on a real MongoDB wire server (reason: what of it); "
                   "deselected under --backend=mongomock")
    if config.getoption("backend") == "mongomock":
        # mongomock-ng warns at every option it accepts and ignores (hint, batch sizes).
        config.addinivalue_line("filterwarnings", "ignore:.*mongomock-ng:UserWarning")


def needs_wire(item):
    return (item.get_closest_marker("wire") is not None
            or "mongo_server_uri" in getattr(item, "fixturenames", ()))


def pytest_collection_modifyitems(config, items):
    for item in items:
        marker = item.get_closest_marker("wire")
        if marker is not None and not marker.kwargs.get("reason"):
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.wire needs reason=...")
    if config.getoption("backend") == "mongomock":
        deselected = [item for item in items if needs_wire(item)]
        items[:] = [item for item in items if not needs_wire(item)]
        config.hook.pytest_deselected(items=deselected)


# Why tests need the wire server: the reasons several modules share.
COUNTS_COMMANDS = pytest.mark.wire(reason="counts the commands sent, with a CommandListener")
RUNS_SCRIPTS = pytest.mark.wire(
    reason="runs the scripts in subprocesses, which reach the database over the wire")
OUTAGE = pytest.mark.wire(reason="a database outage: pymongo's wait for an unreachable server")
FIRST_OF_MISSING = pytest.mark.wire(
    reason="mongomock's $first skips documents without the field (MongoDB's answers null): "
           "the recount of a run whose first job has no sha1 or flavor differs")


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


@dataclasses.dataclass(frozen=True)
class Backend:
    """Where the app's databases live: `server_uri` (mongodb://host:port/, no database name),
    `client_factory` (builds a client from a URI and MongoClient's options: Database's
    `client_factory`), and the `query_policy` the app uses unless a test picks one."""
    server_uri: str
    client_factory: object
    query_policy: str
    # The fast tier binds one app to each test (bind_app): assembling one costs more than most
    # tests. The wire tier assembles each test its own, as a server starts.
    reused_app: object = None

    def app(self, settings, database):
        if self.reused_app is None:
            return create_app(settings, database)
        bind_app(self.reused_app, settings, database)
        return self.reused_app

    def database(self, settings, event_listeners=()):
        return Database(settings, event_listeners, client_factory=self.client_factory)

    def drop_database(self, name):
        with self.client_factory(self.server_uri) as client:
            drop_test_database(client, name)


# A test's database dropped after it: SecantusDB deletes every key of the database in one
# pass under its global lock, and was seen blocked inside WiredTiger for over 30 s (the
# clients' socket timeout) right after its TTL sweeper ran. Cleanup, so it may take longer.
DROP_SECONDS = 300


def drop_test_database(client, name):
    with pymongo.timeout(DROP_SECONDS):
        client.drop_database(name)


@pytest.fixture(scope="session")
def mongo_backend(request):
    if request.config.getoption("backend") == "wire":
        return Backend(request.getfixturevalue("mongo_server_uri"), MongoClient, "auto")
    # Each mongomock client holds its own databases, freed with it: a test's database lives in
    # its app's client. mongomock answers no buildInfo, which `auto` asks; it stands in for
    # MongoDB, so the plain policy.
    return Backend("mongodb://mongomock.invalid/", mongomock_ng.MongoClient, "mongodb",
                   reused_app=assemble_app())


@pytest.fixture
def database_uri(mongo_backend):
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield f"{mongo_backend.server_uri}{name}"
    mongo_backend.drop_database(name)


# Test modules whose routes the query policy shapes run under both (parametrize this name).
QUERY_POLICIES = ("mongodb", "secantusdb")


@pytest.fixture
def query_policy(mongo_backend):
    """The query_policy setting of the `settings` fixture: the backend's default."""
    return mongo_backend.query_policy


@pytest.fixture
def settings(database_uri, query_policy):
    return load_settings(path=os.devnull, environ={}, mongo_uri=database_uri,
                         address="http://paddles.test", query_policy=query_policy)


@pytest.fixture
def database(settings, mongo_backend):
    database = mongo_backend.database(settings)
    create_indexes(database)
    yield database
    database.close()


@pytest.fixture
def app(settings, database, mongo_backend):
    return mongo_backend.app(settings, database)


@pytest.fixture
def client(app):
    return app.test_client()
