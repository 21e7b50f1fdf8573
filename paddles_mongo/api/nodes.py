from flask import jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain.nodes import machine_type_list
from ..exceptions import InvalidInput
from ..schemas.common import NAMES, NODE_STATUS_COUNTS, STATUS_COUNTS, EmptySchema
from ..schemas.jobs import JobSchema, job_to_json
from ..schemas.nodes import (NODE_JSON_FIELDS, JobStatsQuery, LockManySchema,
                             LockSummarySchema, NodeCreateSchema, NodeJobsQuery,
                             NodeJsonSchema, NodeListQuery, NodeSchema, UnlockManySchema,
                             lock_summary, node_to_json)
from ..schemas.events import EventSchema, event_to_json
from ..services import events as event_service
from ..services import nodes as node_service
from ..services import paging
from ..timeformat import utcnow
from .support import (app_state, json_object_body, lean_read_doc, page_window, paged,
                      requested_fields, undocumented_route)

blp = Blueprint("nodes", __name__, url_prefix="/nodes",
                description="Nodes: test machines, their locks and their job history")


def nodes_json(nodes, names=None):
    """Node documents as JSON (their VM hosts nested), or only their keys `names`."""
    hosts = {}
    if names is None or "vm_host" in names:
        hosts = node_service.vm_hosts(app_state().database, nodes)
    return [node_to_json(node, hosts, names=names) for node in nodes]


def only_methods(*methods):
    """The original answered other methods on its action URLs with a 400, not a 405."""
    allowed = " and ".join(methods)
    message = f"this URI only supports {allowed} requests"
    if len(methods) > 1:
        message += f" but {request.method} was attempted"
    raise InvalidInput(message)


@blp.route("/")
class Nodes(MethodView):
    @lean_read_doc(blp, paged=True)
    @blp.arguments(NodeListQuery, location="query", as_kwargs=True)
    @blp.response(200, NodeJsonSchema(many=True))
    def get(self, count=0, page=1, machine_type="", after=None, fields="", **filters):
        """Nodes in creation order, filtered by any of machine_type (`a|b|c` for several),
        os_type, os_version, locked_by, locked, up; `count` nodes per `page` (count 0: every
        node); only the keys named in `fields` if given."""
        names = requested_fields(fields, NODE_JSON_FIELDS)
        filters = {key: value for key, value in filters.items() if value != ""}
        if machine_type:
            types = machine_type_list(machine_type)
            filters["machine_type"] = types if len(types) > 1 else types[0]
        skip, limit = page_window(count, page) if count else (0, None)
        nodes = node_service.list_nodes(app_state().database, filters, skip, limit, after,
                                        names and ("name", *names))
        return paged(jsonify(nodes_json(nodes, names)),
                     paging.next_cursor(nodes, limit, paging.BY_CREATION))

    @blp.doc(requestBody={"content": {"application/json": {"schema": NodeCreateSchema}}})
    @blp.response(200, EmptySchema)
    def post(self):
        """Create a node (lock rules are not checked at creation)."""
        data = NodeCreateSchema().load(json_object_body())
        node_service.create_node(app_state().database, data, utcnow())
        return jsonify({})


@blp.route("/lock_many/", methods=["POST"])
@blp.doc(requestBody={"content": {"application/json": {"schema": LockManySchema}}})
@blp.response(200, NodeJsonSchema(many=True))
def lock_many():
    """Lock `count` free, up nodes of `machine_type` (`a|b` for several) for `locked_by`: all
    of them, or none and 503 `only N nodes available`."""
    lock_request = LockManySchema().load(json_object_body())
    return jsonify(nodes_json(node_service.lock_many(app_state().database, lock_request,
                                                     utcnow())))


@undocumented_route(blp, "/lock_many/", methods=["GET", "PUT", "DELETE"])
@undocumented_route(blp, "/unlock_many/", methods=["GET", "PUT", "DELETE"])
def post_only():
    only_methods("POST")


@blp.route("/unlock_many/", methods=["POST"])
@blp.doc(requestBody={"content": {"application/json": {"schema": UnlockManySchema}}})
@blp.response(200, LockSummarySchema(many=True))
def unlock_many():
    """Unlock the named nodes for their owner: all of them, or none (the first refusal is
    answered with its 400/403)."""
    data = UnlockManySchema().load(json_object_body())
    nodes = node_service.unlock_many(app_state().database, data["names"], data["locked_by"],
                                     utcnow())
    return jsonify([lock_summary(node) for node in nodes])


@blp.route("/job_stats/")
class JobStats(MethodView):
    @blp.arguments(JobStatsQuery, location="query", as_kwargs=True)
    @blp.response(200, NODE_STATUS_COUNTS)
    def get(self, since_days=14, machine_type=None):
        """{node: {status: count}} for jobs posted in the last `since_days` days, nodes with
        the fewest jobs first. Counted from what each run keeps of its jobs: the cost is the
        runs of the period, not their jobs."""
        return jsonify(node_service.job_stats(app_state().database, machine_type, since_days,
                                              utcnow()))


@blp.route("/machine_types/")
class MachineTypes(MethodView):
    @blp.response(200, NAMES)
    def get(self):
        """Sorted distinct machine types of the nodes."""
        return jsonify(node_service.machine_types(app_state().database))


@blp.route("/<node_name>/")
class Node(MethodView):
    @blp.response(200, NodeJsonSchema)
    def get(self, node_name):
        """One node; `vm_host` is the host's node, nested."""
        return jsonify(nodes_json([node_service.get_node(app_state().database, node_name)])[0])

    @blp.doc(requestBody={"content": {"application/json": {"schema": NodeSchema}}})
    @blp.response(200, EmptySchema)
    def put(self, node_name):
        """Update inventory or lock fields; lock changes follow the same rules as /lock."""
        data = NodeSchema().load(json_object_body())
        node_service.update_node(app_state().database, node_name, data, utcnow(),
                                 missing_message="attempted to update a non-existent node")
        return jsonify({})

    @blp.response(200, EmptySchema)
    def delete(self, node_name):
        """Delete the node; its jobs stay, unlinked from it."""
        node_service.delete_node(app_state().database, node_name, utcnow())
        return jsonify({})


@blp.route("/<node_name>/lock", methods=["PUT", "POST"])
@blp.doc(requestBody={"content": {"application/json": {"schema": NodeSchema}}})
@blp.response(200, LockSummarySchema)
def lock(node_name):
    """`locked: true` locks, `false` unlocks, absent or null only checks; other keys of the
    body are applied too. teuthology sends this without a Content-Type."""
    database = app_state().database
    node_service.get_node(database, node_name)
    data = NodeSchema().load(json_object_body())
    return jsonify(lock_summary(node_service.update_node(database, node_name, data, utcnow())))


@undocumented_route(blp, "/<node_name>/lock", methods=["GET", "DELETE"])
def lock_refused(node_name):
    node_service.get_node(app_state().database, node_name)  # an unknown node: 404 first
    only_methods("PUT", "POST")


@blp.route("/<node_name>/jobs/")
class NodeJobs(MethodView):
    @lean_read_doc(blp, paged=True)
    @blp.arguments(NodeJobsQuery, location="query", as_kwargs=True)
    @blp.response(200, JobSchema(many=True))
    def get(self, node_name, count=0, page=1, after=None, **filters):
        """Jobs that ran on the node, newest `posted` first; `count` 0 means all of them."""
        state = app_state()
        node_service.get_node(state.database, node_name)
        skip, limit = page_window(count, page) if count else (0, None)
        jobs = node_service.node_jobs(state.database, node_name, utcnow(), skip, limit,
                                      job_name=filters.get("name"), status=filters.get("status"),
                                      after=after)
        return paged(jsonify([job_to_json(job, state.settings) for job in jobs]),
                     paging.next_cursor(jobs, limit, paging.BY_POSTED))


@blp.route("/<node_name>/job_stats/")
class NodeJobStats(MethodView):
    @blp.response(200, STATUS_COUNTS)
    def get(self, node_name):
        """Counts of the node's jobs by status, over all time (all seven statuses)."""
        database = app_state().database
        node_service.get_node(database, node_name)
        return jsonify(node_service.node_job_stats(database, node_name))


@blp.route("/<node_name>/history/")
class NodeHistory(MethodView):
    @blp.response(200, EventSchema(many=True))
    def get(self, node_name):
        """The node's lock, unlock and update events, newest first (those kept:
        event_retention_days): who locked it, when and what for (node.locked), when it was
        given back and since when it had been held (node.unlocked), what else changed
        (node.updated). A deleted node's history is still answered while it is kept."""
        database = app_state().database
        history = event_service.node_history(database, node_name)
        if not history:
            node_service.get_node(database, node_name)  # an unknown node: 404
        return jsonify([event_to_json(event) for event in history])
