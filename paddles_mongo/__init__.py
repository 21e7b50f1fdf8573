"""paddles-mongo: a JSON results server for teuthology and pulpito, on MongoDB."""
from flask import Flask
from flask_smorest import Api
from flask_swagger_ui import get_swaggerui_blueprint

from .api import BLUEPRINTS
from .api.support import Services
from .config import load_settings
from .db import Database
from .errors import register_error_handlers
from .logs import configure_logging, finish_request, start_request
from .metrics import JobStatusCounter

__version__ = "0.1.0"

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": "origin, authorization, accept",
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


def add_cors_headers(response):
    response.headers.update(CORS_HEADERS)
    return response


def create_app(settings=None, database=None):
    """The only place the application is assembled. `settings` default to config file +
    environment; `database` defaults to a client for `settings.mongo_uri`."""
    settings = settings or load_settings()
    configure_logging(settings)
    if settings.sentry_dsn:
        import sentry_sdk
        sentry_sdk.init(settings.sentry_dsn, traces_sample_rate=0.1)

    app = Flask(__name__)
    app.url_map.strict_slashes = False  # resource URLs work with and without the slash
    app.json.sort_keys = False  # keys in the order the original emitted them
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_content_length,
        API_TITLE="paddles-mongo",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
    )
    app.wsgi_app = MergeSlashes(app.wsgi_app)
    app.extensions["paddles"] = Services(
        settings=settings,
        database=database or Database(settings),
        job_status_counter=JobStatusCounter(settings),
    )
    api = Api(app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    # A browsable page for /openapi.json, its assets served from the installed package.
    app.register_blueprint(get_swaggerui_blueprint(
        "/docs", "/openapi.json", config={"app_name": "paddles-mongo"}), url_prefix="/docs")
    register_error_handlers(app)
    app.before_request(start_request)
    app.after_request(finish_request)
    app.after_request(add_cors_headers)

    from .commands import register_commands
    register_commands(app)
    return app
