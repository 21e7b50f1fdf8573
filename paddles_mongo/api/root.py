from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..errors import DEFAULT_MESSAGES, envelope
from ..exceptions import InvalidInput
from .support import json_object_body

blp = Blueprint("root", __name__, description="Service root and the original's error routes")

ERROR_ROUTES = {"invalid": 400, "forbidden": 403, "not_found": 404, "unavailable": 503}


@blp.route("/")
class Root(MethodView):
    def get(self):
        """An empty object: the service is up."""
        return {}


@blp.route("/errors/<any(invalid, forbidden, not_found, unavailable):kind>/",
           methods=["GET", "POST", "PUT", "DELETE"])
def error_route(kind):
    """The original's internal error routes, still reachable: the envelope carrying the
    `error_message` parameter (query string or JSON body), or the default message."""
    status = ERROR_ROUTES[kind]
    message = request.args.get("error_message")
    if message is None and request.get_data(cache=True).strip():
        try:
            message = json_object_body().get("error_message")
        except InvalidInput:
            pass
    return envelope(status, str(message) if message is not None else DEFAULT_MESSAGES[status])
