"""Node documents: the keys a client may set (spec §4.3), lock requests, and node JSON."""
from marshmallow import EXCLUDE, Schema, fields, post_load, pre_load, validate

from ..domain.nodes import validate_lock_many
from ..exceptions import InvalidInput
from ..timeformat import format_datetime
from .common import json_keys
from .fields import Boolean, BooleanLiteral, Integer, Name, Text, WireDateTime
from .queries import FieldsQuery, PagedQuery, QuerySchema, count_field

# A century: any longer period is every job anyway, and a bigger one overflows a date.
MAX_SINCE_DAYS = 36500


class NodeSchema(Schema):
    """What PUT /nodes/{name}/, /lock and POST /nodes/ may set; other keys (`name` on updates,
    teuthology's `user`) are ignored."""

    class Meta:
        unknown = EXCLUDE

    description = Text(allow_none=True)
    up = Boolean(allow_none=True)
    machine_type = Text(allow_none=True)
    is_vm = Boolean()
    vm_host = Text(allow_none=True, metadata={"description": "name of the VM's host node"})
    os_type = Text(allow_none=True)
    os_version = Text(allow_none=True)
    arch = Text(allow_none=True)
    locked = Boolean(allow_none=True, metadata={
        "description": "true locks, false unlocks, null only checks (spec lock rules apply)"})
    locked_since = WireDateTime(allow_none=True)
    locked_by = Text(allow_none=True)
    mac_address = Text(allow_none=True)
    ssh_pub_key = Text(allow_none=True)


class NodeCreateSchema(NodeSchema):
    name = Name("name")


class NodeJsonSchema(Schema):
    """Node JSON: `vm_host` is the host's node JSON, nested."""
    name = fields.String()
    description = fields.String(allow_none=True)
    up = fields.Boolean(allow_none=True)
    machine_type = fields.String(allow_none=True)
    is_vm = fields.Boolean()
    vm_host = fields.Nested(lambda: NodeJsonSchema(), allow_none=True)
    os_type = fields.String(allow_none=True)
    os_version = fields.String(allow_none=True)
    arch = fields.String(allow_none=True)
    locked = fields.Boolean()
    locked_since = fields.String(allow_none=True)
    locked_by = fields.String(allow_none=True)
    mac_address = fields.String(allow_none=True)
    ssh_pub_key = fields.String(allow_none=True)


class LockSummarySchema(Schema):
    name = fields.String()
    locked = fields.Boolean()
    locked_by = fields.String(allow_none=True)
    machine_type = fields.String(allow_none=True)
    is_vm = fields.Boolean()


LOCK_MANY_REQUIRED = ("count", "locked_by", "machine_type", "description")


class LockManySchema(Schema):
    """A lock_many body, checked as the original did, in its order: every required key
    present, the types, then the lock rules (domain/nodes.validate_lock_many). Loads as a
    LockManyRequest."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def every_required_key(self, body, **_kwargs):
        if any(key not in body for key in LOCK_MANY_REQUIRED):
            raise InvalidInput(f"must pass these fields: {', '.join(LOCK_MANY_REQUIRED)}")
        return body

    @post_load
    def lock_request(self, data, **_kwargs):
        return validate_lock_many(data)

    count = Integer(allow_none=False, metadata={"description": "how many nodes, all or none"})
    locked_by = Text(allow_none=True)
    machine_type = Text(allow_none=True, metadata={"description": "a type, or `a|b` for any of"})
    description = Text(allow_none=True)
    os_type = Text(allow_none=True)
    os_version = Text(allow_none=True)
    arch = Text(allow_none=True)


class UnlockManySchema(Schema):
    """An unlock_many body: exactly `names` (a list) and `locked_by`, as the original
    required."""

    @pre_load
    def exactly_names_and_owner(self, body, **_kwargs):
        if set(body) != {"names", "locked_by"}:
            raise InvalidInput("must pass these fields: names, locked_by")
        if not isinstance(body["names"], list):
            raise InvalidInput("'names' must be a list")
        return body

    names = fields.List(Text(), required=True)
    locked_by = Text(allow_none=True, required=True)


class NodeListQuery(PagedQuery, FieldsQuery):
    machine_type = fields.String(metadata={"description": "a type, or `a|b|c` for any of"})
    os_type = fields.String()
    os_version = fields.String()
    locked_by = fields.String()
    locked = BooleanLiteral()
    up = BooleanLiteral()
    count = count_field("at most this many nodes; 0 means every node")


class JobStatsQuery(QuerySchema):
    machine_type = fields.String()
    since_days = Integer(load_default=14, validate=validate.Range(
        min=1, max=MAX_SINCE_DAYS,
        error=f"since_days must be an integer from 1 to {MAX_SINCE_DAYS}"))


class NodeJobsQuery(PagedQuery):
    name = fields.String(metadata={"description": "exact job name (the run name)"})
    status = fields.String()
    count = count_field("page size; 0 returns every job", load_default=0)


NODE_JSON_FIELDS = json_keys(NodeJsonSchema)
LOCK_SUMMARY_JSON_FIELDS = json_keys(LockSummarySchema)


def node_to_json(node, hosts, seen=(), names=None):
    """`hosts`: {name: node} of the VM hosts this node may refer to; each is nested as its full
    JSON, recursively (a host loop ends where it would repeat). `names`: only those keys."""
    body = {}
    seen = (*seen, node["name"])
    for name in names or NODE_JSON_FIELDS:
        value = node.get(name)
        if name == "locked_since":
            value = format_datetime(value)
        elif name == "vm_host":
            host = hosts.get(value) if value and value not in seen else None
            value = node_to_json(host, hosts, seen) if host else None
        elif name in ("locked", "is_vm"):
            value = bool(value)
        body[name] = value
    return body


def lock_summary(node):
    return {name: bool(node.get(name)) if name in ("locked", "is_vm") else node.get(name)
            for name in LOCK_SUMMARY_JSON_FIELDS}
