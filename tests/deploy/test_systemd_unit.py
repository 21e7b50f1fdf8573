"""deploy/paddles-mongo.service: `systemd-analyze verify` accepts it, and its command lines,
run the way systemd would (environment, working directory, kill signal), serve and stop."""
import grp
import os
import pwd
import shlex
import shutil
import signal
import subprocess

import pytest
import requests
from pymongo import MongoClient

from paddles_mongo.db import INDEXES
from paddles_mongo.query_policy import SecantusDBQueries
from tests.conftest import wait_for_http
from tests.deploy.support import (
    BASE_PATH, DEPLOY, ROOT, RUN_NAME, child_pids, load_config, port_is_open, stored_run_names,
    wait_until)

UNIT = os.path.join(DEPLOY, "paddles-mongo.service")
# Where the unit expects things in production, and where they are in this checkout.
INSTALL_DIR = "/opt/paddles-mongo"
ENV_FILE = "/etc/paddles-mongo/env"
RUNTIME_DIR = "/run/paddles-mongo"
EXEC_PREFIXES = "-@:+!"


def parse_unit(text):
    """{section: {key: [values in order]}} of a systemd unit file."""
    sections, section, pending = {}, None, ""
    for raw in text.splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        section.setdefault(key.strip(), []).append(value.strip())
    return sections


def parse_environment_file(path):
    environ = {}
    with open(path) as lines:
        for line in lines:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            key, _, value = line.partition("=")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            environ[key.strip()] = value
    return environ


def unit_copy(directory, env_file):
    """The unit with its paths pointing into this checkout and `directory`; run as an existing
    user. Returns (path, parsed)."""
    with open(UNIT) as unit:
        text = unit.read()
    text = (text.replace(INSTALL_DIR, ROOT).replace(ENV_FILE, env_file)
            .replace(RUNTIME_DIR, os.path.join(directory, "run")))
    service = parse_unit(text)["Service"]
    for key, lookup in (("User", pwd.getpwnam), ("Group", grp.getgrnam)):
        name = service[key][-1]
        try:
            lookup(name)
        except KeyError:  # no such account here: verify would not mind, the runs below do not
            text = text.replace(f"\n{key}={name}\n", f"\n{key}=root\n")
    path = os.path.join(directory, "paddles-mongo.service")
    with open(path, "w") as copy:
        copy.write(text)
    return path, parse_unit(text)


def write_env_file(path, service_env):
    with open(path, "w") as env_file:
        env_file.write("# paddles-mongo settings, as /etc/paddles-mongo/env holds them\n")
        for name, value in service_env.items():
            env_file.write(f'{name}="{value}"\n' if name == "PADDLES_MONGO_URI"
                           else f"{name}={value}\n")
    return path


def exec_argv(line):
    assert "$" not in line and "%" not in line, f"unsupported by this test: {line}"
    return shlex.split(line.lstrip(EXEC_PREFIXES))


def service_environment(service):
    """The environment systemd gives the service: its base, Environment=, EnvironmentFile=."""
    environ = {"PATH": BASE_PATH, "LANG": "C.UTF-8"}
    for assignments in service.get("Environment", []):
        for assignment in shlex.split(assignments):
            name, _, value = assignment.partition("=")
            environ[name] = value
    for env_file in service.get("EnvironmentFile", []):
        environ.update(parse_environment_file(env_file.lstrip("-")))
    return environ


def seconds(value):
    value = value.strip()
    if value.endswith("min"):
        return int(value[:-3]) * 60
    return int(value.rstrip("s"))


def graceful_timeout(monkeypatch):
    return load_config(monkeypatch)["graceful_timeout"]


@pytest.fixture
def service_dir(tmp_path):
    os.makedirs(tmp_path / "run")
    return str(tmp_path)


def test_unit_settings(monkeypatch):
    with open(UNIT) as unit:
        parsed = parse_unit(unit.read())
    service = parsed["Service"]
    assert service["Type"] == ["exec"]  # gunicorn does not sd_notify
    assert service["User"] == ["paddles"]
    assert service["EnvironmentFile"] == [ENV_FILE]
    assert service["WorkingDirectory"] == [INSTALL_DIR]
    assert "scripts/create-indexes" in service["ExecStartPre"][0]
    assert exec_argv(service["ExecStart"][0])[1:] == [
        "-c", f"{INSTALL_DIR}/paddles_mongo/gunicorn_config.py", "wsgi:app"]
    assert service["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert service["KillSignal"] == ["SIGTERM"]
    assert seconds(service["TimeoutStopSec"][0]) > graceful_timeout(monkeypatch)
    assert service["Restart"] == ["on-failure"]
    for option in ("NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert service[option] == ["yes"]
    assert service["ProtectSystem"] == ["strict"]


def test_systemd_analyze_verify_reports_nothing(service_dir, service_env):
    assert shutil.which("systemd-analyze"), "systemd-analyze is needed to check the unit"
    env_file = write_env_file(os.path.join(service_dir, "env"), service_env)
    path, _ = unit_copy(service_dir, env_file)
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", path],
                            capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Only the unit's own diagnostics count (the host's other units may have their own).
    assert not [line for line in output.splitlines() if "paddles-mongo" in line], output


def test_unit_command_lines_serve_and_stop_on_kill_signal(service_dir, service_env):
    env_file = write_env_file(os.path.join(service_dir, "env"), service_env)
    _, parsed = unit_copy(service_dir, env_file)
    service = parsed["Service"]
    environ = service_environment(service)
    assert environ["PADDLES_MONGO_URI"] == service_env["PADDLES_MONGO_URI"]
    cwd = service["WorkingDirectory"][-1]

    for line in service.get("ExecStartPre", []):  # create-indexes
        result = subprocess.run(exec_argv(line), cwd=cwd, env=environ, capture_output=True,
                                text=True, timeout=seconds(service["TimeoutStartSec"][-1]))
        assert result.returncode == 0, result.stdout + result.stderr
    with MongoClient(service_env["PADDLES_MONGO_URI"]) as client:
        names = set(client.get_default_database().jobs.index_information())
    assert {model.document["name"] for model in INDEXES["jobs"]} - (
        SecantusDBQueries.skipped_indexes) <= names  # those of the local database

    port = int(service_env["PADDLES_SERVER_PORT"])
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(exec_argv(service["ExecStart"][-1]), cwd=cwd, env=environ)
    try:
        wait_for_http(url + "/", process)
        assert requests.post(url + "/runs/", json={"name": RUN_NAME}).status_code == 200
        assert stored_run_names(service_env["PADDLES_MONGO_URI"]) == [RUN_NAME]
        # The control socket went to the runtime directory the unit names.
        control_socket = os.path.join(service_dir, "run", f"paddles-mongo-{port}.ctl")
        wait_until(lambda: os.path.exists(control_socket), 10, "no control socket")

        # ExecReload (HUP): new workers replace the old ones, the service keeps answering.
        workers = set(child_pids(process.pid))
        reload = shlex.split(service["ExecReload"][-1].replace("$MAINPID", str(process.pid)))
        assert subprocess.run(reload, timeout=30).returncode == 0
        wait_until(lambda: (len(child_pids(process.pid)) == 2
                            and not workers & set(child_pids(process.pid))), 30,
                   "workers not replaced on reload")
        wait_for_http(url + "/", process)

        process.send_signal(getattr(signal, service["KillSignal"][-1]))
        assert process.wait(timeout=seconds(service["TimeoutStopSec"][-1])) == 0
        assert not port_is_open(port)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
