"""Shared fixtures. Integration and end-to-end tests run against a real MongoDB wire server:
the one at $PADDLES_TEST_MONGO_URI if set (CI starts one), otherwise a SecantusDB daemon this
session starts on a free port."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid

import pytest
from pymongo import MongoClient

from paddles_mongo import create_app
from paddles_mongo.commands.serve import stop, wait_for_mongo
from paddles_mongo.config import load_settings
from paddles_mongo.db import Database, create_indexes


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_secantus(data_dir, port):
    daemon = shutil.which("secantusd-py", path=os.path.dirname(sys.executable))
    return subprocess.Popen(
        [daemon, "--host", "127.0.0.1", "--port", str(port), "--storage-path", data_dir,
         "--standalone", "--log-level", "ERROR"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="session")
def mongo_server_uri():
    """mongodb://host:port/ of a running wire-protocol server (no database name)."""
    if os.environ.get("PADDLES_TEST_MONGO_URI"):
        yield os.environ["PADDLES_TEST_MONGO_URI"].rstrip("/") + "/"
        return
    data_dir = tempfile.mkdtemp(prefix="paddles-test-secantus-")
    port = free_port()
    process = start_secantus(data_dir, port)
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


@pytest.fixture
def settings(database_uri):
    return load_settings(path=os.devnull, environ={}, mongo_uri=database_uri,
                         address="http://paddles.test")


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
