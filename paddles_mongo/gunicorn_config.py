"""gunicorn settings: `gunicorn -c paddles_mongo/gunicorn_config.py wsgi:app`.

Workers: PADDLES_WORKER_COUNT, else one per CPU. Bind address: PADDLES_SERVER_HOST/PORT.
Anything here can still be overridden on the command line or in GUNICORN_CMD_ARGS.
"""
import multiprocessing

from paddles_mongo.config import load_settings

_settings = load_settings()

bind = f"{_settings.server_host}:{_settings.server_port}"
workers = _settings.worker_count or multiprocessing.cpu_count()
timeout = 60
graceful_timeout = 30
max_requests = 10000
max_requests_jitter = 1000
accesslog = "-"
