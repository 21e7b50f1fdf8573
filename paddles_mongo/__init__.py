"""paddles-mongo: a JSON results server for teuthology and pulpito, on MongoDB."""
import orjson
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from flask_swagger_ui import get_swaggerui_blueprint

from . import ui
from .api import BLUEPRINTS
from .api.auth import check_token, end_acting
from .api.support import AppState, conditional_get
from .config import ConfigError, load_settings
from .db import Database
from .errors import register_error_handlers
from .exceptions import InvalidInput
from .logs import configure_logging, finish_request, start_request
from .metrics import JobStatusCounter
from .page_cache import PageCache
from .services.tokens import load_tokens

__version__ = "0.1.0"

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": "origin, authorization, accept, if-none-match",
    # What a browser page may read of an answer beyond the simple headers: the tag of a
    # conditional GET, the next page's cursor.
    "Access-Control-Expose-Headers": "ETag, Link, X-Next-Cursor",
}


class MergeSlashes:
    """Serve `//runs/x//jobs/` as `/runs/x/jobs/`: teuthology builds `//runs/...` when its
    results_server ends in `/`, and pulpito-ng builds `/runs//branch/...`."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if "//" in path:
            while "//" in path:
                path = path.replace("//", "/")
            environ["PATH_INFO"] = path
        return self.app(environ, start_response)


class FastJSONProvider(DefaultJSONProvider):
    """Responses encoded by orjson (run pages carry megabytes of job JSON), keys in the order
    given, as the original emitted them. Request bodies are parsed in api/support.py."""

    def _encode(self, obj):
        try:
            return orjson.dumps(obj)
        except TypeError:  # what orjson refuses (ints beyond 64 bits): the standard encoder
            return super().dumps(obj).encode()

    def dumps(self, obj, **kwargs):
        return self._encode(obj).decode()

    def response(self, *args, **kwargs):
        if args and kwargs:
            raise TypeError("jsonify() takes positional or keyword arguments, not both")
        obj = args[0] if len(args) == 1 else (args or kwargs or None)
        return self._app.response_class(self._encode(obj), mimetype=self.mimetype)


class PaddlesFlask(Flask):
    json_provider_class = FastJSONProvider


def add_cors_headers(response):
    response.headers.update(CORS_HEADERS)
    return response


def create_app(settings=None, database=None):
    """The only place the application is assembled. `settings` default to config file +
    environment; `database` defaults to a client for `settings.mongo_uri`."""
    app = assemble_app()
    bind_app(app, settings or load_settings(), database)
    return app


def assemble_app():
    """The routes, their OpenAPI document, the handlers: the same for any settings."""
    app = PaddlesFlask(__name__)
    app.url_map.strict_slashes = False  # resource URLs work with and without the slash
    app.config.update(
        API_TITLE="paddles-mongo",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
    )
    app.wsgi_app = MergeSlashes(app.wsgi_app)
    api = Api(app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(ui.blp)  # web pages: not part of the API's document
    # A browsable page for /openapi.json, its assets served from the installed package.
    app.register_blueprint(get_swaggerui_blueprint(
        "/docs", "/openapi.json", config={"app_name": "paddles-mongo"}), url_prefix="/docs")
    register_error_handlers(app)
    app.before_request(start_request)
    app.after_request(conditional_get)
    app.before_request(check_token)
    app.teardown_request(end_acting)
    app.after_request(finish_request)
    app.after_request(add_cors_headers)
    return app


def bind_app(app, settings, database=None):
    """Everything of `app` that `settings` decide, and its database (by default a client for
    `settings.mongo_uri`), with state of its own (caches, counters). Binding an app again
    gives it all anew: the tests' fast tier binds one app to each test's settings, as
    assembling costs more than most tests."""
    configure_logging(settings)
    if settings.sentry_dsn:
        import sentry_sdk
        sentry_sdk.init(settings.sentry_dsn, traces_sample_rate=0.1)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_content_length
    tokens = write_tokens(settings)
    app.extensions["paddles"] = AppState(
        settings=settings,
        database=database or Database(settings),
        job_status_counter=JobStatusCounter(settings),
        run_pages=PageCache(settings.run_page_cache_mb * 1024 * 1024),
        tokens=tokens,
    )


def write_tokens(settings):
    """The TokenSet of the `auth_tokens` file (None: writes are open). A malformed file stops
    the service at start, naming the setting."""
    if not settings.auth_tokens:
        return None
    try:
        return load_tokens(settings.auth_tokens)
    except (InvalidInput, OSError) as error:
        raise ConfigError(f"auth_tokens: {getattr(error, 'message', error)}") from None
