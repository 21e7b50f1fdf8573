"""Settings: defaults, overridden by a YAML file, overridden by PADDLES_* environment variables.

Every setting is listed (with its default and meaning) in config.example.yaml.

This module imports nothing of the package: the gunicorn master loads it by its path
(gunicorn_config.py) so that it never imports the application's modules.
"""
import os
from dataclasses import dataclass, fields, replace

import yaml

CONFIG_FILE_ENV = "PADDLES_CONFIG"
DEFAULT_CONFIG_FILE = "config.yaml"


class ConfigError(ValueError):
    pass


# mongo_write_concern: when the database acknowledges a write (the MongoClient options; the
# URI's own `w` or `journal`, if it names them, win). `journaled`: once it is in the on-disk
# journal of a majority of the members (on a standalone server, of that server), so a write
# teuthology was told about survives a database crash or a failover. `acknowledged`: once the
# primary has applied it in memory; faster, but the last writes may be lost in a crash.
WRITE_CONCERNS = {
    "journaled": {"w": "majority", "journal": True},
    "acknowledged": {"w": 1, "journal": False},
}


@dataclass(frozen=True)
class Settings:
    mongo_uri: str = "mongodb://127.0.0.1:27017/paddles"
    mongo_server_selection_timeout_ms: int = 3000
    mongo_connect_timeout_ms: int = 3000
    mongo_socket_timeout_ms: int = 30000
    mongo_write_concern: str = "journaled"  # a key of WRITE_CONCERNS
    address: str = "http://localhost:8080"
    job_log_href_templ: str = "http://qa-proxy.ceph.com/teuthology/{run_name}/{job_id}/teuthology.log"
    default_latest_runs_count: int = 25
    default_jobs_count: int = 10
    max_content_length: int = 8 * 1024 * 1024
    run_page_cache_mb: int = 64
    query_policy: str = "auto"  # auto | mongodb | secantusdb: see paddles_mongo/query_policy.py
    # A job write journalled this long ago and never counted on its run is resolved by any
    # worker (its writer is gone: longer than gunicorn's worker timeout, 60 s).
    stale_write_seconds: int = 90
    repair_interval_seconds: int = 15
    # Events (GET /events/, services/events.py): how long they are kept, how often an open
    # event stream sends a heartbeat comment and looks for new events.
    event_retention_days: int = 7
    event_heartbeat_seconds: int = 15
    event_poll_milliseconds: int = 500
    # Write tokens (paddles_mongo/tokens.py): the file of token hashes ("" = writes are open),
    # and whether reads need a token too (1) or stay open (0).
    auth_tokens: str = ""
    auth_read: int = 0
    timezone: str = "UTC"
    server_host: str = "127.0.0.1"
    server_port: int = 8080
    worker_count: int = 0
    # Threads per gunicorn worker: an open event stream holds one while other requests are
    # served by the others.
    worker_threads: int = 8
    statsd_host: str = ""
    statsd_port: int = 8125
    statsd_prefix: str = "paddles"
    sentry_dsn: str = ""
    log_level: str = "INFO"
    log_format: str = "text"
    data_dir: str = "var/secantus-data"
    local_mongo_port: int = 27017


# Settings an earlier version read: accepted in a file and ignored, so its config still loads.
# job_stats_cache_seconds: node job stats are counted from the runs now, fast enough uncached.
RETIRED_SETTINGS = ("job_stats_cache_seconds",)

# Environment names that the original paddles read, accepted as aliases.
ENV_ALIASES = {"sentry_dsn": "SENTRY_DSN"}


def _coerce(name, value, kind):
    if kind is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"setting {name} must be an integer, got {value!r}") from None
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)):
        raise ConfigError(f"setting {name} must be a string, got {value!r}")
    return str(value)


def load_settings(path=None, environ=None, **overrides):
    """Build Settings from the YAML file at `path` (or $PADDLES_CONFIG, or ./config.yaml if
    present), then PADDLES_<NAME> environment variables, then keyword overrides."""
    environ = os.environ if environ is None else environ
    values = {}
    path = path or environ.get(CONFIG_FILE_ENV)
    if path is None and os.path.exists(DEFAULT_CONFIG_FILE):
        path = DEFAULT_CONFIG_FILE
    known = {f.name: f.type for f in fields(Settings)}
    kinds = {name: (int if kind in (int, "int") else str) for name, kind in known.items()}
    if path:
        with open(path) as config_file:
            from_file = yaml.safe_load(config_file) or {}
        if not isinstance(from_file, dict):
            raise ConfigError(f"{path} must hold a mapping of settings")
        unknown = set(from_file) - set(known) - set(RETIRED_SETTINGS)
        if unknown:
            raise ConfigError(f"unknown settings in {path}: {', '.join(sorted(unknown))}")
        values.update((name, value) for name, value in from_file.items()
                      if name not in RETIRED_SETTINGS)
    for name in known:
        for env_name in (f"PADDLES_{name.upper()}", ENV_ALIASES.get(name)):
            if env_name and env_name in environ:
                values[name] = environ[env_name]
                break
    values.update(overrides)
    coerced = {name: _coerce(name, value, kinds[name]) for name, value in values.items()}
    settings = replace(Settings(), **coerced)
    if settings.mongo_write_concern not in WRITE_CONCERNS:
        raise ConfigError(f"mongo_write_concern must be one of {', '.join(WRITE_CONCERNS)}, "
                          f"got {settings.mongo_write_concern!r}")
    return settings
