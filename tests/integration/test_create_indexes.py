"""scripts/create-indexes creates every declared index, idempotently, and fails clearly."""
import os
import subprocess
import sys

import pytest
from pymongo import MongoClient

from paddles_mongo.db import INDEXES
from tests.conftest import RUNS_SCRIPTS, free_port

pytestmark = RUNS_SCRIPTS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "create-indexes")


def run_script(uri, *args):
    env = {**os.environ, "PADDLES_MONGO_URI": uri, "PADDLES_MONGO_SERVER_SELECTION_TIMEOUT_MS": "500"}
    return subprocess.run([sys.executable, SCRIPT, *args], env=env, capture_output=True,
                          text=True, timeout=120, cwd="/")


def declared():
    return {collection: {model.document["name"] for model in models}
            for collection, models in INDEXES.items()}


def present(uri):
    with MongoClient(uri) as client:
        db = client.get_default_database()
        return {collection: set(db[collection].index_information()) - {"_id_"}
                for collection in INDEXES}


def test_creates_every_declared_index_and_is_idempotent(database_uri):
    first = run_script(database_uri)
    assert first.returncode == 0, first.stderr
    assert present(database_uri) == declared()
    second = run_script(database_uri)
    assert second.returncode == 0, second.stderr
    assert present(database_uri) == declared()
    assert "jobs: run_job_id_unique" in second.stdout


def test_unique_job_index_is_unique(database_uri):
    run_script(database_uri)
    with MongoClient(database_uri) as client:
        info = client.get_default_database().jobs.index_information()
    assert info["run_job_id_unique"]["unique"] is True
    assert info["run_job_id_unique"]["key"] == [("run", 1), ("job_id", 1)]


def test_unreachable_database_exits_non_zero_with_a_message():
    result = run_script(f"mongodb://127.0.0.1:{free_port()}/paddles")
    assert result.returncode == 1
    assert "could not create indexes" in result.stderr
    assert "Traceback" not in result.stderr


def test_help():
    result = subprocess.run([sys.executable, SCRIPT, "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "Create every index" in result.stdout
