"""Node records (spec §4.3) and the lock rules (spec §5.9)."""
from dataclasses import dataclass

from ..exceptions import Forbidden, InvalidInput

# The order the original emits a node's keys in.
NODE_FIELDS = ("name", "description", "up", "machine_type", "is_vm", "vm_host", "os_type",
               "os_version", "arch", "locked", "locked_since", "locked_by", "mac_address",
               "ssh_pub_key")


def new_node(name, machine_type=None):
    """A node as first recorded: unlocked, `up` unknown."""
    return {
        "name": name, "description": None, "up": None, "machine_type": machine_type,
        "arch": None, "is_vm": False, "os_type": None, "os_version": None, "vm_host": None,
        "locked": False, "locked_by": None, "locked_since": None, "mac_address": None,
        "ssh_pub_key": None,
    }


def check_lock_rules(current, request):
    """Raise the original's 400/403 when `request` may not change the node's lock state.
    Only applies when the request carries `locked` as a boolean."""
    locking = request.get("locked")
    if not isinstance(locking, bool):
        return
    verb = "lock" if locking else "unlock"
    locked_by = request.get("locked_by")
    description = request.get("description")
    if locking == bool(current.get("locked")):
        same_holder = (locked_by == current.get("locked_by") and description is not None
                       and description == current.get("description"))
        if not same_holder:
            state = "already-locked" if locking else "already-unlocked"
            raise Forbidden(f"Cannot {verb} an {state} node")
        return
    if not locked_by:
        raise InvalidInput(f"Cannot {verb} without specifying locked_by")
    if not locking:
        if locked_by != current.get("locked_by"):
            raise Forbidden("Cannot unlock - locked_by values must match")
        if description and description != current.get("description"):
            raise Forbidden("Cannot unlock - description values must match")


def plan_node_update(current, request, now, check_rules=True):
    """The fields to $set on a node for an update `request` (validated, whitelisted keys).
    `current` is the stored node ({} when creating, where the lock rules are skipped)."""
    if check_rules:
        check_lock_rules(current, request)
    fields = dict(request)
    if isinstance(request.get("locked"), bool):
        if request["locked"] != bool(current.get("locked")):
            fields["locked_since"] = now if request["locked"] else None
        if not request["locked"]:
            fields["locked_by"] = None
    elif "locked" in fields:
        del fields["locked"]  # null `locked`: a "check", which changes no lock state
    return fields


@dataclass
class LockManyRequest:
    count: int
    locked_by: str
    machine_types: list
    description: str = None
    os_type: str = None
    os_version: str = None
    arch: str = None


def machine_type_list(machine_type):
    """`smithi|mira` means any of several types."""
    return [part for part in machine_type.split("|") if part]


def validate_lock_many(request):
    """The original's checks on a lock_many body, in its order; returns a LockManyRequest."""
    count = request["count"]
    if count < 1:
        raise InvalidInput("cannot lock less than 1 node")
    if not request["machine_type"]:
        raise InvalidInput("must specify machine_type")
    if request["locked_by"] is None:
        raise InvalidInput("Cannot lock without specifying locked_by")
    return LockManyRequest(
        count=count, locked_by=request["locked_by"],
        machine_types=machine_type_list(request["machine_type"]),
        description=request["description"], os_type=request.get("os_type") or None,
        os_version=request.get("os_version") or None, arch=request.get("arch") or None)
