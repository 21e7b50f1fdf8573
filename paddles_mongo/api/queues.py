from flask import jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..exceptions import InvalidInput
from ..schemas.common import NULL, EmptySchema
from ..schemas.jobs import JobSchema, job_to_json
from ..schemas.queues import (QUEUE_REQUIRED, QueueJsonSchema, QueueListQuery, QueueSchema,
                              QueueStatsSchema, queue_stats, queue_to_json)
from ..services import queues as queue_service
from ..timeformat import utcnow
from .support import app_state, json_object_body, request_body

blp = Blueprint("queue", __name__, url_prefix="/queue",
                description="Queues: per machine type, with a pause window")

PARAMETERS_DOC = {"parameters": [
    {"in": "query", "name": "queue", "schema": {"type": "string"},
     "description": "queue name (also accepted as the last path segment or in a JSON body)"}]}


def body_parameters():
    """The original also took parameters from a JSON object body; an absent or non-JSON body
    just contributes none."""
    if not request_body().strip():
        return {}
    try:
        return json_object_body()
    except InvalidInput:
        return {}


def parameter(name, path_value=None):
    for source in (path_value, request.args.get(name), body_parameters().get(name)):
        if source is not None:
            return source
    return None


def queue_name(path_value=None):
    name = parameter("queue", path_value)
    if not name or not isinstance(name, str):
        raise InvalidInput(QUEUE_REQUIRED)
    return name


@blp.route("/")
class Queues(MethodView):
    @blp.arguments(QueueListQuery, location="query", as_kwargs=True)
    @blp.response(200, QueueJsonSchema(many=True))
    def get(self, machine_type=None, paused_by=None):
        """Queues, optionally one (`machine_type`; `a|b` means the queue `multi`) or those
        paused by someone."""
        if machine_type and "|" in machine_type:
            machine_type = "multi"
        now = utcnow()
        queues = queue_service.list_queues(app_state().database, machine_type, paused_by)
        return jsonify([queue_to_json(queue, now) for queue in queues])

    @blp.doc(requestBody={"content": {"application/json": {"schema": QueueSchema}}})
    @blp.response(200, EmptySchema)
    def post(self):
        """Create a queue, paused already if `pause_duration` (seconds) and `paused_by` are
        given."""
        data = QueueSchema().load(json_object_body())
        queue_service.create_queue(app_state().database, data, utcnow())
        return jsonify({})

    @blp.doc(requestBody={"content": {"application/json": {"schema": QueueSchema}}})
    @blp.response(200, EmptySchema)
    def put(self):
        """Update a queue: pause it for `pause_duration` seconds (with `paused_by`), or
        un-pause it with `paused_until: null`."""
        data = QueueSchema().load(json_object_body())
        queue_service.update_queue(app_state().database, data, utcnow())
        return jsonify({})


@blp.route("/pop_queue/", methods=["GET", "POST", "PUT", "DELETE"])
@blp.route("/pop_queue/<path_queue>", methods=["GET", "POST", "PUT", "DELETE"],
           endpoint="pop_queue_named")
@blp.doc(**PARAMETERS_DOC)
@blp.response(200, {"anyOf": [NULL, JobSchema]})
def pop_queue(path_queue=None):
    """The queued job of the queue with the smallest priority, or null. It stays queued (a
    peek, as in the original). A paused queue answers 503."""
    database, settings = app_state().database, app_state().settings
    job = queue_service.next_job(database, queue_name(path_queue), utcnow())
    return jsonify(job_to_json(job, settings) if job else None)


@blp.route("/stats/", methods=["GET", "POST"])
@blp.route("/stats/<path_queue>", methods=["GET", "POST"], endpoint="stats_named")
@blp.doc(**PARAMETERS_DOC)
@blp.response(200, QueueStatsSchema)
def stats(path_queue=None):
    """How many jobs the queue holds, and its pause state when paused."""
    database = app_state().database
    queue = queue_service.get_queue(database, queue_name(path_queue))
    return jsonify(queue_stats(queue, queue_service.queued_count(database, queue["queue"]),
                               utcnow()))


@blp.route("/queued_jobs/", methods=["GET", "POST", "PUT", "DELETE"])
@blp.doc(requestBody={"content": {"application/json": {"schema": QueueSchema}}})
@blp.response(200, JobSchema(many=True))
def queued_jobs():
    """Queued jobs of the queue named in the JSON body; with `run_name`, of that run instead;
    with `user`, only that user's."""
    name = QueueSchema().load(json_object_body())["queue"]
    state = app_state()
    jobs = queue_service.queued_jobs(state.database, name, parameter("run_name"),
                                     parameter("user"))
    return jsonify([job_to_json(job, state.settings) for job in jobs])
