"""The one error handler: every failure answers `{"message": ...}` with a 4xx/5xx status.

Bad input is a 400 (or 413 for an oversized body), a lost database a fast 503, and anything
unexpected a logged 500 without a stack trace on the wire.
"""
import logging

from flask import current_app, jsonify
from marshmallow import ValidationError
from pymongo.errors import (ConnectionFailure, DocumentTooLarge, ExecutionTimeout,
                            OperationFailure, PyMongoError, WTimeoutError)
from werkzeug.exceptions import HTTPException

from .exceptions import PaddlesError
from .metrics import DATABASE_ERRORS

log = logging.getLogger(__name__)

DEFAULT_MESSAGES = {
    400: "invalid request",
    401: "a token is needed for this request",
    403: "forbidden",
    404: "resource was not found",
    405: "method not allowed",
    413: "request body is too large",
    503: "service unavailable",
}
DATABASE_UNAVAILABLE = "database unavailable; please retry"
MISSING_INDEX = "database indexes are missing; run scripts/create-indexes"


def envelope(status, message):
    response = jsonify(message=message)
    response.status_code = status
    return response


def validation_message(messages, field=None):
    """Flatten marshmallow/webargs error messages ({field: [text]}, nested) into one line,
    naming the field where the text does not (marshmallow's own "Field may not be null.")."""
    if isinstance(messages, dict):
        return "; ".join(validation_message(value, key if isinstance(key, str) else field)
                         for key, value in messages.items())
    if isinstance(messages, (list, tuple)):
        return "; ".join(validation_message(value, field) for value in messages)
    text = str(messages)
    if field and field not in ("json", "query", "_schema") and field not in text:
        return f"{field}: {text}"
    return text


def handle_http_exception(error):
    if error.code == 422 and getattr(error, "data", None):  # webargs: bad query parameters
        return envelope(400, validation_message(error.data.get("messages", {})))
    message = DEFAULT_MESSAGES.get(error.code, error.name.lower())
    if error.code == 413:
        message = f"request body is larger than {current_app.config['MAX_CONTENT_LENGTH']} bytes"
    response = envelope(error.code, message)
    if error.code == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


# How a client without a valid token is told what to send (api/auth.py): a bearer token, or
# basic auth whose password is a token (teuthology's URL credentials).
AUTHENTICATE = 'Bearer realm="paddles", Basic realm="paddles"'


def handle_paddles_error(error):
    response = envelope(error.status, error.message)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = AUTHENTICATE
    return response


def handle_validation_error(error):
    return envelope(400, validation_message(error.messages))


def handle_database_error(error):
    if isinstance(error, DocumentTooLarge):
        DATABASE_ERRORS.labels("document_too_large").inc()
        return envelope(413, "document is larger than MongoDB's 16 MiB limit")
    if isinstance(error, (ConnectionFailure, ExecutionTimeout, WTimeoutError)):
        DATABASE_ERRORS.labels("unavailable").inc()
        log.warning("database unavailable: %s", error)
        return envelope(503, DATABASE_UNAVAILABLE)
    if isinstance(error, OperationFailure) and "hint" in str(error).lower():
        DATABASE_ERRORS.labels("missing_index").inc()
        log.error("an index is missing: %s", error)
        return envelope(503, MISSING_INDEX)
    DATABASE_ERRORS.labels("other").inc()
    log.exception("database error")
    return envelope(500, "database error")


def handle_unexpected_error(error):
    log.exception("unhandled error")
    return envelope(500, "internal server error")


# Each kind of failure and its handler, most specific first (the kinds do not overlap but for
# the last).
HANDLERS = (
    (HTTPException, handle_http_exception),
    (PaddlesError, handle_paddles_error),
    (ValidationError, handle_validation_error),
    (PyMongoError, handle_database_error),
    (Exception, handle_unexpected_error),
)


def error_answer(error):
    """The JSON answer (status, `{"message"}`, headers) the service gives `error`: the web
    pages render the same status and message as HTML."""
    return next(handler(error) for kind, handler in HANDLERS if isinstance(error, kind))


def register_error_handlers(app):
    for kind, handler in HANDLERS:
        app.register_error_handler(kind, handler)
