"""The deployment tests run the files in deploy/ and paddles_mongo/gunicorn_config.py for real
(supervisord, the systemd unit's command lines, gunicorn) against a SecantusDB."""
import os

import pytest

from tests.conftest import free_port


@pytest.fixture
def service_env(database_uri):
    """PADDLES_* settings for a service on a free port and a fresh database; no config file."""
    port = free_port()
    return {
        "PADDLES_MONGO_URI": database_uri,
        "PADDLES_SERVER_HOST": "127.0.0.1",
        "PADDLES_SERVER_PORT": str(port),
        "PADDLES_ADDRESS": f"http://127.0.0.1:{port}",
        "PADDLES_WORKER_COUNT": "2",
        "PADDLES_CONFIG": os.devnull,
        "PADDLES_LOG_LEVEL": "WARNING",
    }
