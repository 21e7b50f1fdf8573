"""The integration tests' fixtures; what they share by import is in support.py."""
import dataclasses

import pytest

from paddles_mongo import create_app
from tests.integration.support import FrozenClock, create_run, unique_name


@pytest.fixture
def make_client(settings, database):
    """A test client of an app built with some settings changed (same database)."""
    def make(**changes):
        return create_app(dataclasses.replace(settings, **changes), database).test_client()
    return make


@pytest.fixture
def run(client):
    """A new, empty run's name."""
    return create_run(client, unique_name())


@pytest.fixture
def frozen_clock(monkeypatch):
    return FrozenClock(monkeypatch)


@pytest.fixture
def update_and_read(query_policy):
    """The commands of an update answering the document it changed (a run's, a node's): a
    findAndModify on MongoDB; an update, then a find by the document's key, on the local
    database (query_policy's update_and_read)."""
    return ["findAndModify"] if query_policy == "mongodb" else ["update", "find"]
