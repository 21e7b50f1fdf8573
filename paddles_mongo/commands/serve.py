import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import click
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from ..config import load_settings
from ..db import Database, create_indexes
from ..services.creation_order import number_unnumbered

GUNICORN_CONFIG = os.path.join(os.path.dirname(os.path.dirname(__file__)), "gunicorn_config.py")


LOCAL_MONGO_HOST = "127.0.0.1"


def check_port(host, port, setting, option=None):
    """Exit with one line naming the setting to change unless `port` can be listened on at
    `host` now, as gunicorn and the database daemon will (SO_REUSEADDR, so connections that
    are just closing do not count)."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                       flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise click.ClickException(f"cannot resolve {host}: {error.strerror}") from None
    family, kind, protocol, _, address = addresses[0]
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
            probe.listen()
            return
        except OSError as error:
            failure = ("is in use" if error.errno == errno.EADDRINUSE
                       else f"cannot be listened on at {host} ({error.strerror})")
    change = f"set {setting} (PADDLES_{setting.upper()})"
    if option:
        change += f" or {option}"
    raise click.ClickException(f"port {port} {failure}; {change} to another port")


def wait_for_mongo(uri, process=None, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise click.ClickException(f"the local database exited with code {process.returncode}")
        try:
            with MongoClient(uri, serverSelectionTimeoutMS=500) as client:
                client.admin.command("ping")
            return
        except PyMongoError:
            time.sleep(0.1)
    raise click.ClickException(f"no database answered at {uri} within {timeout:.0f} s")


def start_local_mongo(data_dir, port, quiet=False):
    """A SecantusDB daemon (MongoDB wire protocol, WiredTiger storage) keeping its data in
    `data_dir`. Standalone mode: no oplog, and no retryable-write bookkeeping slowing writes.
    Durable: it syncs its journal at every commit, so a write acknowledged as journaled (the
    mongo_write_concern default) survives the daemon's crash. `quiet`: errors only, and no
    output on this process's stdout and stderr (the tests')."""
    daemon = (shutil.which("secantusd-py", path=os.path.dirname(sys.executable))
              or shutil.which("secantusd-py"))
    if daemon is None:
        raise click.ClickException(
            "secantusd-py not found: install requirements-dev.txt, or set PADDLES_MONGO_URI")
    os.makedirs(data_dir, exist_ok=True)
    output = subprocess.DEVNULL if quiet else None
    return subprocess.Popen([daemon, "--host", LOCAL_MONGO_HOST, "--port", str(port),
                             "--storage-path", data_dir, "--standalone", "--sync-on-commit",
                             "--log-level", "ERROR" if quiet else "WARNING"],
                            stdout=output, stderr=output)


def stop(process):
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@click.command("serve-local")
@click.option("--data-dir", help="Where the local database keeps its files "
              "(default: setting data_dir).")
@click.option("--mongo-port", type=int, help="Port of the local database "
              "(default: setting local_mongo_port).")
def serve_local_command(data_dir, mongo_port):
    """Serve with gunicorn. Without PADDLES_MONGO_URI, first start a local SecantusDB daemon
    with persistent data; create the indexes; Ctrl-C (or SIGTERM) stops everything. Exits
    with gunicorn's code if gunicorn stops by itself."""
    # Ctrl-C and SIGTERM both stop the children below, even where the shell that started us
    # had SIGINT ignored (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    settings = load_settings()
    local_database = not os.environ.get("PADDLES_MONGO_URI")
    port = mongo_port or settings.local_mongo_port
    # Both ports first: nothing is started unless both servers can listen.
    check_port(settings.server_host, settings.server_port, "server_port")
    if local_database:
        check_port(LOCAL_MONGO_HOST, port, "local_mongo_port", "--mongo-port")
    env = dict(os.environ)
    database_process = None
    try:
        if local_database:
            data_dir = os.path.abspath(data_dir or settings.data_dir)
            database_process = start_local_mongo(data_dir, port)
            env["PADDLES_MONGO_URI"] = f"mongodb://{LOCAL_MONGO_HOST}:{port}/paddles"
            click.echo(f"local database on port {port}, data in {data_dir}")
        uri = env["PADDLES_MONGO_URI"]
        wait_for_mongo(uri, database_process)
        database = Database(load_settings(mongo_uri=uri))
        create_indexes(database)
        number_unnumbered(database)
        database.close()
        click.echo(f"serving on http://{settings.server_host}:{settings.server_port}/")
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG, "paddles_mongo:create_app()"],
            env=env)
        try:
            code = server.wait()
        except KeyboardInterrupt:
            code = 0
        finally:
            stop(server)
    finally:
        stop(database_process)
    if code:
        # A negative code is the signal that killed gunicorn; report it the shell's way.
        raise SystemExit(code if code > 0 else 128 - code)
