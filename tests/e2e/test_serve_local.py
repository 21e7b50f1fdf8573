"""The quick start: `scripts/serve-local` with no PADDLES_MONGO_URI starts its own database
and gunicorn; Ctrl-C stops both; data persists to the next start."""
import os
import signal
import socket
import subprocess
import sys
import tempfile

import requests

from tests.conftest import free_port, wait_for_http

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"


def serve_local(data_dir, mongo_port, http_port):
    env = {key: value for key, value in os.environ.items() if not key.startswith("PADDLES_")}
    env.update(PADDLES_SERVER_PORT=str(http_port), PADDLES_WORKER_COUNT="2",
               PADDLES_DATA_DIR=data_dir, PADDLES_LOCAL_MONGO_PORT=str(mongo_port))
    return subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts", "serve-local")],
                            env=env, cwd=data_dir)


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
