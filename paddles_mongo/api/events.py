"""GET /events/: the changes, as pages of JSON or as a Server-Sent Events stream."""
import logging
import threading
import time

import orjson
from flask import Response, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from ..exceptions import InvalidInput
from ..schemas.events import EventSchema, EventsQuery, event_to_json, sequence_number
from ..services import events as event_service
from .support import app_state

log = logging.getLogger(__name__)

blp = Blueprint("events", __name__, url_prefix="/events",
                description="Events: every change, in order, to page through or to stream")

EVENT_STREAM = "text/event-stream"


def wants_stream():
    return request.accept_mimetypes.best == EVENT_STREAM


def resume_point(after):
    """Where a stream starts: its Last-Event-ID (a reconnecting client's last event), else
    `after`."""
    last_event_id = request.headers.get("Last-Event-ID")
    if last_event_id is None:
        return after
    try:
        return sequence_number(last_event_id, "Last-Event-ID")
    except ValidationError as error:
        raise InvalidInput(error.messages[0]) from None


def sse_message(event):
    body = event_to_json(event)
    return (f"id: {body['seq']}\nevent: {body['type']}\n".encode() + b"data: "
            + orjson.dumps(body) + b"\n\n")


def stream(database, settings, after, limit, filters):
    """The events after `after` as they come: every page there is, then a look for new ones
    every event_poll_milliseconds, and a heartbeat comment after event_heartbeat_seconds
    without one (so proxies and clients see the connection live). Runs until the client goes
    away; a database failure ends it (the client reconnects with its Last-Event-ID)."""
    poll = threading.Event()  # never set: its wait is the pause between looks
    yield b": paddles-mongo events\n\n"
    quiet_since = time.monotonic()
    while True:
        try:
            page = event_service.events_after(database, after, limit, **filters)
        except Exception:  # the database (pymongo's errors stay below the api): end the stream
            log.warning("event stream ended by a database error", exc_info=True)
            return
        for event in page:
            yield sse_message(event)
            after = event["seq"]
        if page:
            quiet_since = time.monotonic()
            if len(page) == limit:
                continue
        if time.monotonic() - quiet_since >= settings.event_heartbeat_seconds:
            yield b": heartbeat\n\n"
            quiet_since = time.monotonic()
        poll.wait(settings.event_poll_milliseconds / 1000)


@blp.route("/")
class Events(MethodView):
    @blp.arguments(EventsQuery, location="query", as_kwargs=True)
    @blp.response(200, EventSchema(many=True))
    @blp.doc(responses={"200": {"content": {EVENT_STREAM: {"schema": {"type": "string"}}}}},
             parameters=[{"in": "header", "name": "Last-Event-ID", "schema": {"type": "integer"},
                          "description": "with Accept: text/event-stream: resume after this "
                                         "seq (what an EventSource sends on reconnecting)"}])
    def get(self, after=0, limit=100, type=None, run=None, node=None):
        """Events oldest first, `limit` of those numbered above `after`; with
        `Accept: text/event-stream`, a Server-Sent Events stream of them (each message: `id:`
        its seq, `event:` its type, `data:` its JSON) that goes on with new events as they
        happen, resumes after its Last-Event-ID, and sends a heartbeat comment every
        event_heartbeat_seconds (15)."""
        state = app_state()
        filters = {"types": type, "run": run, "node": node}
        if wants_stream():
            body = stream(state.database, state.settings, resume_point(after), limit, filters)
            return Response(body, mimetype=EVENT_STREAM,
                            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        page = event_service.events_after(state.database, after, limit, **filters)
        return jsonify([event_to_json(event) for event in page])
