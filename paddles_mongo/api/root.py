from flask import Response, redirect, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from ..errors import DEFAULT_MESSAGES, envelope
from ..exceptions import InvalidInput, Unavailable
from ..metrics import exposition
from ..schemas.common import EmptySchema, ServiceStatusSchema
from ..services.maintenance import missing_indexes
from .support import app_state, json_object_body, request_body

blp = Blueprint("root", __name__, description="Service root, health, metrics and the original's "
                "error routes")


def asks_for_html():
    """The client names text/html in its Accept header (a browser does); `*/*` or no Accept,
    as teuthology and pulpito send, does not count."""
    return any(value == "text/html" and quality > 0
               for value, quality in request.accept_mimetypes)


ERROR_ROUTES = {"invalid": 400, "forbidden": 403, "not_found": 404, "unavailable": 503}


@blp.route("/")
class Root(MethodView):
    @blp.response(200, EmptySchema)
    @blp.alt_response(302, description="A browser (`Accept` naming text/html) is sent to the "
                      "web pages, /ui/")
    def get(self):
        """An empty object: the service is up. Browsers are redirected to /ui/."""
        if asks_for_html():
            return redirect(url_for("ui.runs"))
        return {}


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, ServiceStatusSchema)
    def get(self):
        """The process is up (the database is not consulted)."""
        return {"status": "ok"}


@blp.route("/ready")
class Ready(MethodView):
    @blp.response(200, ServiceStatusSchema)
    def get(self):
        """Ready to serve: the database answers and every declared index exists; else 503."""
        missing = missing_indexes(app_state().database)
        if missing:
            raise Unavailable(f"missing indexes: {', '.join(missing)}")
        return {"status": "ready"}


@blp.route("/metrics")
class Metrics(MethodView):
    def get(self):
        """Prometheus metrics (requests, latency, jobs entering each status, database errors),
        summed over every gunicorn worker."""
        body, content_type = exposition()
        return Response(body, content_type=content_type)


@blp.route("/errors/<any(invalid, forbidden, not_found, unavailable):kind>/",
           methods=["GET", "POST", "PUT", "DELETE"])
def error_route(kind):
    """The original's internal error routes, still reachable: the envelope carrying the
    `error_message` parameter (query string or JSON body), or the default message."""
    status = ERROR_ROUTES[kind]
    message = request.args.get("error_message")
    if message is None and request_body().strip():
        try:
            message = json_object_body().get("error_message")
        except InvalidInput:
            pass
    return envelope(status, str(message) if message is not None else DEFAULT_MESSAGES[status])
