"""gunicorn settings: `gunicorn -c paddles_mongo/gunicorn_config.py wsgi:app`.

Workers: PADDLES_WORKER_COUNT, else one per CPU this process may run on. Bind address:
PADDLES_SERVER_HOST/PORT. gunicorn applies this file first, then GUNICORN_CMD_ARGS, then its
command line, so anything set here can still be overridden by either (e.g.
`GUNICORN_CMD_ARGS="--workers 8 --timeout 120"`). docs/deploying.md explains the choices.
"""
import glob
import importlib.util
import os
import shutil
import tempfile

# Prometheus metrics summed over all workers (paddles_mongo/metrics.py): prometheus_client picks
# its multiprocess mode when first imported, in each worker, so the directory is chosen here in
# the master, whose environment the workers inherit. An operator's PROMETHEUS_MULTIPROC_DIR is
# used as given (and emptied at start); otherwise a fresh one, removed when gunicorn exits. A
# reload (HUP) keeps it.
_METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"
_OWN_METRICS_DIR = "PADDLES_MONGO_OWN_METRICS_DIR"
if not os.environ.get(_METRICS_DIR):
    os.environ[_METRICS_DIR] = os.environ[_OWN_METRICS_DIR] = tempfile.mkdtemp(
        prefix="paddles-mongo-metrics-")


def _load_config_module():
    """paddles_mongo/config.py (which imports nothing of the package), run from its file as a
    module of its own. The master must not import the package: workers are forked from it and
    would inherit every module it imported, so a reload (HUP) would start new workers on the
    old code. gunicorn runs this file again on HUP, so the settings are read afresh too."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "config.py")
    spec = importlib.util.spec_from_file_location("_paddles_mongo_gunicorn_settings", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_config = _load_config_module()
_settings = _config.load_settings()


def _cpu_count():
    """CPUs this process may use (taskset, systemd CPUAffinity=, cpusets), not the host's."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # platforms without sched_getaffinity
        return os.cpu_count() or 1


def _bind(host, port):
    if ":" in host and not host.startswith("["):  # an IPv6 address
        host = f"[{host}]"
    return f"{host}:{port}"


if _settings.worker_count < 0:
    raise _config.ConfigError(
        f"worker_count must be 0 (one per CPU) or more, got {_settings.worker_count}")

proc_name = "paddles-mongo"
bind = _bind(_settings.server_host, _settings.server_port)
# Threaded workers (gthread): the work is MongoDB round trips, and a buffering proxy (nginx,
# haproxy) in front shields them from slow clients. An event stream (GET /events/ with
# Accept: text/event-stream) holds its thread for as long as the client listens, so each worker
# serves other requests on its other threads (worker_threads) meanwhile.
workers = _settings.worker_count or _cpu_count()
worker_class = "gthread"
threads = max(_settings.worker_threads, 1)
# A worker takes only the connections it can serve at once, and closes each after its answer
# (as sync workers did): connections wait in the listen queue, where any worker may take them,
# never queued inside one worker, so a worker that dies (killed, out of memory) takes down only
# the requests it was serving.
worker_connections = threads
keepalive = 0
# Each worker builds its own MongoClient after the fork (pymongo clients are not fork-safe), so
# the application is not preloaded in the master; with nothing of the package imported there
# (above, and only in the workers' hooks below), a HUP's new workers load the code anew.
preload_app = False
# A worker silent this long is killed and replaced. Above mongo_socket_timeout_ms (30 s), so a
# stuck database call fails (503) before the worker is killed.
timeout = 60
# On SIGTERM/HUP, workers get this long to finish the request in hand before being killed.
# Process managers must wait longer than this before SIGKILL (supervisord stopwaitsecs=45,
# systemd TimeoutStopSec=45 in deploy/).
graceful_timeout = 30
# Recycle each worker after about this many requests (the original's 10000), jittered so the
# workers do not all restart at once.
max_requests = 10000
max_requests_jitter = 1000
# Access log on stdout (the process manager or journald keeps it), with the request duration
# in milliseconds at the end; gunicorn's own messages go to stderr.
accesslog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
errorlog = "-"
# gunicorn >= 25.1 opens a control socket for `gunicornc`, by default one path per user
# ($XDG_RUNTIME_DIR/gunicorn.ctl, else ~/.gunicorn/gunicorn.ctl) that a second instance of the
# same user takes over. Name it after the port instead; --control-socket PATH or
# --no-control-socket override this. The units in deploy/ point XDG_RUNTIME_DIR at a writable
# runtime directory.
control_socket = os.path.join(
    os.environ["XDG_RUNTIME_DIR"] if os.path.isdir(os.environ.get("XDG_RUNTIME_DIR", ""))
    else os.path.join(os.path.expanduser("~"), ".gunicorn"),
    f"paddles-mongo-{_settings.server_port}.ctl")


def on_starting(server):
    """Before the first worker: no counts left over from an earlier run."""
    directory = os.environ[_METRICS_DIR]
    os.makedirs(directory, exist_ok=True)
    for path in glob.glob(os.path.join(directory, "*.db")):
        os.remove(path)


def post_worker_init(worker):
    """Each worker repairs job writes whose request died before they were counted
    (paddles_mongo/repairs.py). Runs in the worker, so the import stays out of the master."""
    from paddles_mongo.repairs import start_repairs
    start_repairs(worker.wsgi, worker_timeout=worker.cfg.timeout)


def worker_exit(server, worker):
    """A stopping worker records where event numbering goes on (paddles_mongo/repairs.py)."""
    app = getattr(worker, "wsgi", None)
    if app is not None:  # None: the worker failed before loading the application
        from paddles_mongo.repairs import record_event_floor
        record_event_floor(app)


def child_exit(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    own = os.environ.get(_OWN_METRICS_DIR)
    if own and own == os.environ.get(_METRICS_DIR):
        shutil.rmtree(own, ignore_errors=True)
