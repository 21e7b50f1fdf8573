"""scripts/create-indexes creates every declared index, idempotently, and fails clearly."""
import os
import subprocess
import sys

import pytest
from pymongo import MongoClient

from paddles_mongo.db import INDEXES
from paddles_mongo.query_policy import SecantusDBQueries
from tests.conftest import RUNS_SCRIPTS, free_port

pytestmark = RUNS_SCRIPTS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "create-indexes")


def run_script(uri, *args, query_policy="auto"):
    env = {**os.environ, "PADDLES_MONGO_URI": uri, "PADDLES_QUERY_POLICY": query_policy,
           "PADDLES_MONGO_SERVER_SELECTION_TIMEOUT_MS": "500"}
    return subprocess.run([sys.executable, SCRIPT, *args], env=env, capture_output=True,
                          text=True, timeout=120, cwd="/")


def declared(skipped=SecantusDBQueries.skipped_indexes):
    """The declared indexes, less those the query policy goes without (by default the local
    database's, which `auto` chooses here)."""
    return {collection: {model.document["name"] for model in models} - skipped
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


def test_the_description_grams_index_is_made_for_mongodb_only(database_uri):
    assert "description_grams_posted" in SecantusDBQueries.skipped_indexes
    assert run_script(database_uri).returncode == 0
    assert "description_grams_posted" not in present(database_uri)["jobs"]
    made = run_script(database_uri, query_policy="mongodb")
    assert made.returncode == 0, made.stderr
    assert present(database_uri) == declared(skipped=frozenset())


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
