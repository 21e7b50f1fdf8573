"""Logging: the original's text format, or one JSON object per line (`log_format: json`), and
one line per request with its method, path, status, duration and request id."""
import logging
import re
import time
import uuid

from flask import g, request
from pythonjsonlogger.json import JsonFormatter

from .metrics import observe_request

TEXT_FORMAT = "%(asctime)s %(levelname)-5.5s [%(name)s] %(message)s"
REQUEST_ID_HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"^[\w.:@/+=-]{1,200}$")
request_log = logging.getLogger("paddles_mongo.requests")


def configure_logging(settings):
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logger = logging.getLogger("paddles_mongo")
    logger.handlers[:] = [handler]
    logger.setLevel(settings.log_level.upper())
    logger.propagate = False


def start_request():
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def finish_request(response):
    seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = request_id
    endpoint = request.url_rule.rule if request.url_rule else "unmatched"
    observe_request(request.method, endpoint, response.status_code, seconds)
    request_log.info(
        "%s %s %s %.1fms id=%s", request.method, request.full_path.rstrip("?"),
        response.status_code, seconds * 1000, request_id,
        extra={"method": request.method, "path": request.path, "status": response.status_code,
               "duration_ms": round(seconds * 1000, 1), "request_id": request_id})
    return response
