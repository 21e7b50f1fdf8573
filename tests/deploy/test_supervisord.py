"""deploy/supervisord.conf, run as it is by supervisord with its %(ENV_...)s variables pointing
at a temporary directory, a free port and a fresh database."""
import configparser
import getpass
import os
import re
import shutil
import signal
import subprocess
import tempfile

import pytest
import requests

from tests.conftest import wait_for_http
from tests.deploy.support import (
    BASE_PATH, DEPLOY, ROOT, RUN_NAME, VENV_BIN, load_config, pid_exists, port_is_open,
    stored_run_names, wait_until)

CONF = os.path.join(DEPLOY, "supervisord.conf")
PROGRAM = "paddles-mongo"


def graceful_timeout(monkeypatch):
    return load_config(monkeypatch)["graceful_timeout"]


def program_section():
    parser = configparser.RawConfigParser()
    parser.read(CONF)
    return parser[f"program:{PROGRAM}"]


def test_program_section(monkeypatch):
    program = program_section()
    assert program["command"].endswith("gunicorn -c paddles_mongo/gunicorn_config.py wsgi:app")
    assert program["stopsignal"] == "TERM"
    assert program["autorestart"] == "true"
    assert int(program["stopwaitsecs"]) > graceful_timeout(monkeypatch)
    assert "PADDLES_MONGO_URI=" in program["environment"]


@pytest.fixture
def supervisor_dir():
    # Short: the control socket's path must fit in a sockaddr_un.
    path = tempfile.mkdtemp(prefix="pm-sv-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def supervisorctl(env, *args):
    return subprocess.run([os.path.join(VENV_BIN, "supervisorctl"), "-c", CONF, *args],
                          env=env, capture_output=True, text=True, timeout=60)


def program_status(env):
    """(state, pid or None) of the program, from `supervisorctl status`."""
    output = supervisorctl(env, "status", PROGRAM).stdout
    match = re.search(rf"^{PROGRAM}\s+(\w+)(?:\s+pid (\d+))?", output, re.MULTILINE)
    assert match, output
    return match.group(1), int(match.group(2)) if match.group(2) else None


def wait_for_state(env, state, timeout=30):
    wait_until(lambda: program_status(env)[0] == state, timeout,
               f"{PROGRAM} not {state}: {supervisorctl(env, 'status').stdout}")
    return program_status(env)[1]


def test_supervisord_serves_restarts_and_stops(service_env, supervisor_dir):
    port = int(service_env["PADDLES_SERVER_PORT"])
    url = f"http://127.0.0.1:{port}"
    log_dir = os.path.join(supervisor_dir, "log")
    run_dir = os.path.join(supervisor_dir, "run")
    os.makedirs(log_dir)
    os.makedirs(run_dir)
    env = {
        "PATH": BASE_PATH, "HOME": supervisor_dir, "LANG": "C.UTF-8",
        "PADDLES_HOME": ROOT, "PADDLES_USER": getpass.getuser(),
        "PADDLES_LOG_DIR": log_dir, "PADDLES_RUN_DIR": run_dir,
        # PADDLES_MONGO_URI, _ADDRESS, _SERVER_HOST/PORT through environment=, the rest
        # (PADDLES_WORKER_COUNT=2, PADDLES_CONFIG) inherited from supervisord.
        **service_env,
    }
    supervisord = subprocess.Popen(
        [os.path.join(VENV_BIN, "supervisord"), "-n", "-c", CONF], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_for_http(url + "/", supervisord)
        pid = wait_for_state(env, "RUNNING")  # up for startsecs
        assert pid_exists(pid)

        # The program reached the database named by PADDLES_MONGO_URI.
        assert requests.post(url + "/runs/", json={"name": RUN_NAME}).status_code == 200
        assert stored_run_names(service_env["PADDLES_MONGO_URI"]) == [RUN_NAME]

        # autorestart: gunicorn exiting (here: a quick shutdown) is started again.
        os.kill(pid, signal.SIGINT)
        wait_until(lambda: program_status(env)[1] not in (None, pid), 30, "not restarted")
        wait_for_http(url + "/", supervisord)
        pid = wait_for_state(env, "RUNNING")

        # stop: SIGTERM, graceful shutdown, the port closes.
        result = supervisorctl(env, "stop", PROGRAM)
        assert result.returncode == 0, result.stdout + result.stderr
        assert program_status(env) == ("STOPPED", None)
        assert not pid_exists(pid)
        assert not port_is_open(port)

        with open(os.path.join(log_dir, f"{PROGRAM}.log")) as log:
            text = log.read()
        assert '"GET / HTTP/1.1" 200' in text  # the access log
        assert "Handling signal: term" in text  # stopped with SIGTERM

        # supervisord itself stops on SIGTERM (taking a running program with it).
        assert supervisorctl(env, "start", PROGRAM).returncode == 0
        pid = wait_for_state(env, "RUNNING")
        supervisord.send_signal(signal.SIGTERM)
        assert supervisord.wait(timeout=int(program_section()["stopwaitsecs"]) + 10) == 0
        assert not pid_exists(pid)
        assert not port_is_open(port)
    finally:
        if supervisord.poll() is None:  # a failure above: stop the program too
            supervisord.send_signal(signal.SIGTERM)
            try:
                supervisord.wait(timeout=60)
            except subprocess.TimeoutExpired:
                supervisord.kill()
                supervisord.wait()
