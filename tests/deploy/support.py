"""Helpers of the deployment tests."""
import os
import runpy
import socket
import sys
import time

from pymongo import MongoClient

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")
GUNICORN_CONFIG_FILE = os.path.join(ROOT, "paddles_mongo", "gunicorn_config.py")
VENV_BIN = os.path.dirname(sys.executable)
# What systemd gives a service (plus what the unit adds); tests start from it, not from ours.
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
RUN_NAME = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"


def port_is_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout, message):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(message)


def pid_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def child_pids(pid):
    """Live children of `pid` (Linux /proc)."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            children.append(int(entry))
    return children


def stored_run_names(database_uri):
    with MongoClient(database_uri, serverSelectionTimeoutMS=5000) as client:
        return [run["name"] for run in client.get_default_database().runs.find()]


def load_config(monkeypatch, **environ):
    """The module-level settings of the config file, as gunicorn reads them, under `environ`."""
    for name in list(os.environ):
        if name.startswith("PADDLES_") or name in ("SENTRY_DSN", "GUNICORN_CMD_ARGS"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PADDLES_CONFIG", os.devnull)
    # Set, so that loading the file here neither creates a directory nor switches this
    # process's /metrics to multiprocess mode (monkeypatch restores it).
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", os.devnull)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(GUNICORN_CONFIG_FILE)
