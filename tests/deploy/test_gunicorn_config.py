"""paddles_mongo/gunicorn_config.py: its settings, their overrides, and a real gunicorn on it."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest
import requests

from paddles_mongo.config import ConfigError
from tests.conftest import wait_for_http
from tests.deploy.support import (
    BASE_PATH, ROOT, RUN_NAME, VENV_BIN, child_pids, load_config, port_is_open,
    stored_run_names, wait_until)


def cpus_available():
    return len(os.sched_getaffinity(0))


def test_workers_come_from_paddles_worker_count(monkeypatch):
    assert load_config(monkeypatch, PADDLES_WORKER_COUNT="3")["workers"] == 3


def test_workers_default_to_one_per_available_cpu(monkeypatch):
    assert load_config(monkeypatch)["workers"] == cpus_available()
    assert load_config(monkeypatch, PADDLES_WORKER_COUNT="0")["workers"] == cpus_available()


def test_negative_worker_count_is_refused(monkeypatch):
    # The config file raises config.py's ConfigError, from its own copy of config.py.
    with pytest.raises(Exception, match="worker_count") as refused:
        load_config(monkeypatch, PADDLES_WORKER_COUNT="-1")
    assert type(refused.value).__name__ == ConfigError.__name__


@pytest.mark.parametrize("environ", [{}, {"PADDLES_WORKER_COUNT": "3"}])
def test_timeouts_recycling_and_access_log(monkeypatch, environ):
    config = load_config(monkeypatch, **environ)
    assert config["timeout"] == 60
    assert config["graceful_timeout"] == 30
    assert config["max_requests"] == 10000
    assert config["max_requests_jitter"] == 1000
    assert 0 < config["max_requests_jitter"] < config["max_requests"]
    assert config["accesslog"] == "-"
    assert config["preload_app"] is False
    # A stuck database call fails (socket timeout) before gunicorn kills the worker.
    from paddles_mongo.config import Settings
    assert Settings().mongo_socket_timeout_ms / 1000 < config["timeout"]


def test_threaded_workers_take_only_what_their_threads_serve(monkeypatch):
    """Event streams hold a thread each; a worker queues no connection of its own."""
    config = load_config(monkeypatch)
    assert (config["worker_class"], config["threads"]) == ("gthread", 8)
    assert (config["worker_connections"], config["keepalive"]) == (8, 0)
    config = load_config(monkeypatch, PADDLES_WORKER_THREADS="3")
    assert (config["threads"], config["worker_connections"]) == (3, 3)


def test_bind_comes_from_server_host_and_port(monkeypatch):
    assert load_config(monkeypatch)["bind"] == "127.0.0.1:8080"
    config = load_config(monkeypatch, PADDLES_SERVER_HOST="0.0.0.0", PADDLES_SERVER_PORT="9000")
    assert config["bind"] == "0.0.0.0:9000"
    assert load_config(monkeypatch, PADDLES_SERVER_HOST="::1")["bind"] == "[::1]:8080"


def printed_config(extra_args=(), gunicorn_cmd_args=None, worker_count="3"):
    """gunicorn's effective settings (--print-config) with the config file, as a dict."""
    env = {"PATH": BASE_PATH, "PADDLES_CONFIG": os.devnull, "PADDLES_WORKER_COUNT": worker_count,
           "PROMETHEUS_MULTIPROC_DIR": os.devnull}
    if gunicorn_cmd_args is not None:
        env["GUNICORN_CMD_ARGS"] = gunicorn_cmd_args
    output = subprocess.run(
        [os.path.join(VENV_BIN, "gunicorn"), "-c", "paddles_mongo/gunicorn_config.py",
         *extra_args, "--print-config", "wsgi:app"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True).stdout
    return dict(re.findall(r"^(\w+)\s+= (.*)$", output, re.MULTILINE))


def test_gunicorn_applies_the_file():
    printed = printed_config()
    assert printed["workers"] == "3"
    assert printed["timeout"] == "60"
    assert printed["graceful_timeout"] == "30"
    assert printed["max_requests"] == "10000"
    assert printed["max_requests_jitter"] == "1000"
    assert printed["accesslog"] == "-"


def test_gunicorn_cmd_args_and_the_command_line_override_the_file():
    printed = printed_config(extra_args=["--graceful-timeout", "12", "--workers", "7"],
                             gunicorn_cmd_args="--workers 5 --timeout 90 --max-requests 50")
    assert printed["workers"] == "7"  # the command line wins over GUNICORN_CMD_ARGS
    assert printed["timeout"] == "90"
    assert printed["max_requests"] == "50"
    assert printed["graceful_timeout"] == "12"


ROOT_REQUESTS = re.compile(
    r'^paddles_http_requests_total\{(?=[^}]*endpoint="/")(?=[^}]*method="GET")'
    r'(?=[^}]*status="200")[^}]*\} (\S+)$', re.MULTILINE)


def root_requests_counted(url):
    match = ROOT_REQUESTS.search(requests.get(url + "/metrics").text)
    return float(match.group(1)) if match else 0.0


def test_two_workers_serve_and_shut_down_gracefully(service_env, tmp_path):
    """gunicorn on the config file with PADDLES_WORKER_COUNT=2 serves (with /metrics summed over
    both workers); on SIGTERM it stops accepting, lets a request in progress finish, exits 0
    within graceful_timeout, and removes its metrics directory."""
    port = int(service_env["PADDLES_SERVER_PORT"])
    url = f"http://127.0.0.1:{port}"
    temp = tmp_path / "tmp"
    temp.mkdir()
    process = subprocess.Popen(
        [os.path.join(VENV_BIN, "gunicorn"), "-c", "paddles_mongo/gunicorn_config.py",
         "--access-logfile", "/dev/null", "wsgi:app"],
        cwd=ROOT, env={"PATH": BASE_PATH, "HOME": str(tmp_path), "TMPDIR": str(temp),
                       **service_env})
    try:
        wait_for_http(url + "/", process)
        wait_until(lambda: len(child_pids(process.pid)) == 2, 30, "gunicorn did not run 2 workers")
        assert requests.get(url + "/").json() == {}
        assert requests.get(url + "/runs/").status_code == 200
        assert [path.name for path in temp.iterdir()][0].startswith("paddles-mongo-metrics-")

        # Whichever worker answers /metrics, it counts the requests both workers answered.
        before = root_requests_counted(url)
        for _ in range(20):
            requests.get(url + "/")
        assert {root_requests_counted(url) for _ in range(6)} == {before + 20}

        # A request in progress: headers and half the body sent.
        body = json.dumps({"name": RUN_NAME}).encode()
        in_flight = socket.create_connection(("127.0.0.1", port), timeout=30)
        in_flight.sendall(b"POST /runs/ HTTP/1.1\r\nHost: test\r\nContent-Type: application/json"
                          b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:10])
        time.sleep(1)  # the worker has accepted it and waits for the rest of the body
        process.send_signal(signal.SIGTERM)
        time.sleep(1)
        in_flight.sendall(body[10:])
        response = b""
        while chunk := in_flight.recv(65536):
            response += chunk
        in_flight.close()
        assert response.startswith(b"HTTP/1.1 200"), response[:200]
        assert process.wait(timeout=30 + 5) == 0
        assert not port_is_open(port)
        assert list(temp.iterdir()) == []  # the metrics directory is gone
        assert stored_run_names(service_env["PADDLES_MONGO_URI"]) == [RUN_NAME]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_reload_serves_the_code_as_it_is_now(service_env, tmp_path):
    """`systemctl reload` (HUP): the new workers run the code on disk, since the master imports
    nothing of the package. Shown on a copy of the repository whose version (in
    /openapi.json) is edited while gunicorn runs."""
    checkout = tmp_path / "checkout"
    shutil.copytree(os.path.join(ROOT, "paddles_mongo"), checkout / "paddles_mongo",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(os.path.join(ROOT, "wsgi.py"), checkout)
    url = f"http://127.0.0.1:{service_env['PADDLES_SERVER_PORT']}"
    process = subprocess.Popen(
        [os.path.join(VENV_BIN, "gunicorn"), "-c", "paddles_mongo/gunicorn_config.py",
         "--access-logfile", "/dev/null", "wsgi:app"],
        cwd=checkout, env={"PATH": BASE_PATH, "HOME": str(tmp_path),
                           "PYTHONPATH": str(checkout), **service_env})

    def served_versions():
        return {requests.get(url + "/openapi.json").json()["info"]["version"]
                for _ in range(6)}

    try:
        wait_for_http(url + "/", process)
        wait_until(lambda: len(child_pids(process.pid)) == 2, 30, "gunicorn did not run 2 workers")
        (version,) = served_versions()
        init = checkout / "paddles_mongo" / "__init__.py"
        text = init.read_text()
        assert f'__version__ = "{version}"' in text
        init.write_text(text.replace(f'__version__ = "{version}"', '__version__ = "reloaded"'))

        old_workers = set(child_pids(process.pid))
        process.send_signal(signal.SIGHUP)

        def only_new_workers():
            workers = set(child_pids(process.pid))
            return len(workers) == 2 and not workers & old_workers
        wait_until(only_new_workers, 60, "gunicorn did not replace its workers")
        assert served_versions() == {"reloaded"}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30 + 5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
