"""The quick start: `scripts/serve-local` with no PADDLES_MONGO_URI starts its own database
and gunicorn; Ctrl-C stops both; data persists to the next start. A port in use stops it
before it starts anything, with one line naming the setting; gunicorn's failure is its exit
code."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
from contextlib import contextmanager

import requests

from tests.conftest import free_port, wait_for_http

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"


def serve_local_env(data_dir, mongo_port, http_port, **extra_env):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("PADDLES_") and key != "GUNICORN_CMD_ARGS"}
    env.update(PADDLES_SERVER_PORT=str(http_port), PADDLES_WORKER_COUNT="2",
               PADDLES_DATA_DIR=data_dir, PADDLES_LOCAL_MONGO_PORT=str(mongo_port), **extra_env)
    return env


SERVE_LOCAL = [sys.executable, os.path.join(ROOT, "scripts", "serve-local")]


def serve_local(data_dir, mongo_port, http_port):
    return subprocess.Popen(SERVE_LOCAL, env=serve_local_env(data_dir, mongo_port, http_port),
                            cwd=data_dir)


def serve_local_until_it_exits(data_dir, mongo_port, http_port, **extra_env):
    return subprocess.run(SERVE_LOCAL, env=serve_local_env(data_dir, mongo_port, http_port,
                                                           **extra_env),
                          cwd=data_dir, capture_output=True, text=True, timeout=120)


@contextmanager
def port_in_use():
    """A port something else listens on."""
    with socket.socket() as occupant:
        occupant.bind(("127.0.0.1", 0))
        occupant.listen()
        yield occupant.getsockname()[1]


def interrupt(process, signal_number=signal.SIGINT):
    process.send_signal(signal_number)
    return process.wait(timeout=60)


def port_is_closed(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return True
    return False


def test_serve_local_starts_database_and_server_and_keeps_data():
    with tempfile.TemporaryDirectory(prefix="paddles-serve-local-") as data_dir:
        mongo_port, http_port = free_port(), free_port()
        url = f"http://127.0.0.1:{http_port}"
        process = serve_local(data_dir, mongo_port, http_port)
        try:
            wait_for_http(url + "/", process)
            assert requests.post(f"{url}/runs/", json={"name": RUN}).status_code == 200
        finally:
            interrupt(process)
        assert port_is_closed(http_port) and port_is_closed(mongo_port)

        process = serve_local(data_dir, mongo_port, http_port)
        try:
            wait_for_http(url + "/", process)
            assert requests.get(f"{url}/runs/{RUN}/").status_code == 200
        finally:
            assert interrupt(process, signal.SIGTERM) == 0  # as a process manager stops it
        assert port_is_closed(http_port) and port_is_closed(mongo_port)


def test_server_port_in_use_stops_before_anything_starts():
    with tempfile.TemporaryDirectory(prefix="paddles-serve-local-") as data_dir, \
            port_in_use() as http_port:
        mongo_port = free_port()
        result = serve_local_until_it_exits(data_dir, mongo_port, http_port)
        assert result.returncode == 1, (result.stdout, result.stderr)
        assert result.stderr.splitlines() == [
            f"Error: port {http_port} is in use; set server_port (PADDLES_SERVER_PORT) to "
            "another port"]
        assert result.stdout == ""  # no database started, nothing served
        assert port_is_closed(mongo_port)
        assert os.listdir(data_dir) == []


def test_database_port_in_use_stops_before_anything_starts():
    with tempfile.TemporaryDirectory(prefix="paddles-serve-local-") as data_dir, \
            port_in_use() as mongo_port:
        http_port = free_port()
        result = serve_local_until_it_exits(data_dir, mongo_port, http_port)
        assert result.returncode == 1, (result.stdout, result.stderr)
        assert result.stderr.splitlines() == [
            f"Error: port {mongo_port} is in use; set local_mongo_port "
            "(PADDLES_LOCAL_MONGO_PORT) or --mongo-port to another port"]
        assert result.stdout == ""
        assert port_is_closed(http_port)
        assert os.listdir(data_dir) == []


def test_with_a_database_uri_the_local_port_is_not_checked_and_gunicorns_failure_is_the_exit_code(
        database_uri):
    """With PADDLES_MONGO_URI no local database starts, so its port does not matter; gunicorn
    stopping by itself (here refusing a bad GUNICORN_CMD_ARGS, exit 2) is serve-local's exit."""
    with tempfile.TemporaryDirectory(prefix="paddles-serve-local-") as data_dir, \
            port_in_use() as mongo_port:
        http_port = free_port()
        result = serve_local_until_it_exits(data_dir, mongo_port, http_port,
                                            PADDLES_MONGO_URI=database_uri,
                                            GUNICORN_CMD_ARGS="--timeout soon")
        assert result.returncode == 2, (result.stdout, result.stderr)
        assert result.stdout.splitlines() == [f"serving on http://127.0.0.1:{http_port}/"]
        assert "Traceback" not in result.stderr
