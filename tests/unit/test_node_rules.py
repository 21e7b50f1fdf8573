"""The node rules (spec §4.3, §5.9) in paddles_mongo/domain/nodes.py: new nodes, the lock
rules, the fields a node update sets, and the checks of a lock_many body."""
from datetime import datetime

import pytest

from paddles_mongo.domain.nodes import (
    NODE_FIELDS, LockManyRequest, check_lock_rules, machine_type_list, new_node,
    plan_node_update, validate_lock_many)
from paddles_mongo.exceptions import Forbidden, InvalidInput

NOW = datetime(2026, 1, 2, 3, 4, 5)
EARLIER = datetime(2026, 1, 1)
FREE = {"locked": False, "locked_by": None, "locked_since": None, "description": None}
HELD = {"locked": True, "locked_by": "alice@host", "locked_since": EARLIER,
        "description": "/archive/run/1"}


def test_a_new_node_is_unlocked_with_every_field():
    node = new_node("smithi001", machine_type="smithi")
    assert set(node) == set(NODE_FIELDS)
    assert (node["name"], node["machine_type"], node["locked"], node["locked_by"],
            node["locked_since"], node["up"], node["is_vm"]) == (
        "smithi001", "smithi", False, None, None, None, False)
    assert new_node("x")["machine_type"] is None


# ------------------------------------------------------------------------------------------
# check_lock_rules


@pytest.mark.parametrize("request_body", [{}, {"locked": None}, {"locked": "yes"},
                                          {"description": "anything"}])
def test_requests_without_a_boolean_locked_pass_whatever_the_state(request_body):
    check_lock_rules(HELD, request_body)
    check_lock_rules(FREE, request_body)


def test_locking_a_free_node_with_an_owner_passes():
    check_lock_rules(FREE, {"locked": True, "locked_by": "alice@host"})
    check_lock_rules({}, {"locked": True, "locked_by": "alice@host"})  # no lock state: free


def test_locking_needs_an_owner():
    for locked_by in (None, ""):
        with pytest.raises(InvalidInput, match="^Cannot lock without specifying locked_by$"):
            check_lock_rules(FREE, {"locked": True, "locked_by": locked_by})


def test_locking_a_locked_node_is_forbidden():
    with pytest.raises(Forbidden, match="^Cannot lock an already-locked node$"):
        check_lock_rules(HELD, {"locked": True, "locked_by": "bob@host"})


def test_the_holder_may_lock_again_with_the_same_description():
    check_lock_rules(HELD, {"locked": True, "locked_by": "alice@host",
                            "description": "/archive/run/1"})


@pytest.mark.parametrize("description", [None, "/archive/run/2"])
def test_the_holder_locking_again_needs_the_same_description(description):
    with pytest.raises(Forbidden, match="^Cannot lock an already-locked node$"):
        check_lock_rules(HELD, {"locked": True, "locked_by": "alice@host",
                                "description": description})


def test_unlocking_a_free_node_is_forbidden():
    with pytest.raises(Forbidden, match="^Cannot unlock an already-unlocked node$"):
        check_lock_rules(FREE, {"locked": False, "locked_by": "alice@host"})


def test_unlocking_a_free_node_with_its_state_repeated_passes():
    """A request repeating the node's state (no owner, same description) changes nothing."""
    check_lock_rules({**FREE, "description": "spare"},
                     {"locked": False, "locked_by": None, "description": "spare"})


def test_unlocking_needs_an_owner():
    for locked_by in (None, ""):
        with pytest.raises(InvalidInput, match="^Cannot unlock without specifying locked_by$"):
            check_lock_rules(HELD, {"locked": False, "locked_by": locked_by})


def test_only_the_holder_may_unlock():
    with pytest.raises(Forbidden, match="^Cannot unlock - locked_by values must match$"):
        check_lock_rules(HELD, {"locked": False, "locked_by": "bob@host"})


def test_an_unlock_naming_a_description_must_name_the_nodes():
    with pytest.raises(Forbidden, match="^Cannot unlock - description values must match$"):
        check_lock_rules(HELD, {"locked": False, "locked_by": "alice@host",
                                "description": "/archive/run/2"})


@pytest.mark.parametrize("description", [None, "", "/archive/run/1"])
def test_the_holder_unlocks_without_or_with_the_matching_description(description):
    check_lock_rules(HELD, {"locked": False, "locked_by": "alice@host",
                            "description": description})


# ------------------------------------------------------------------------------------------
# plan_node_update


def test_locking_stamps_locked_since():
    fields = plan_node_update(FREE, {"locked": True, "locked_by": "alice@host"}, NOW)
    assert fields == {"locked": True, "locked_by": "alice@host", "locked_since": NOW}


def test_unlocking_clears_the_owner_and_locked_since():
    fields = plan_node_update(HELD, {"locked": False, "locked_by": "alice@host"}, NOW)
    assert fields == {"locked": False, "locked_by": None, "locked_since": None}


def test_locking_again_keeps_locked_since():
    request = {"locked": True, "locked_by": "alice@host", "description": "/archive/run/1"}
    assert plan_node_update(HELD, request, NOW) == request


def test_a_null_locked_is_a_check_that_changes_no_lock_state():
    fields = plan_node_update(HELD, {"locked": None, "up": False}, NOW)
    assert fields == {"up": False}


def test_other_fields_are_set_as_given():
    request = {"up": True, "os_type": "ubuntu", "description": "spare"}
    assert plan_node_update(HELD, request, NOW) == request


def test_the_rules_apply_unless_skipped():
    with pytest.raises(Forbidden):
        plan_node_update(HELD, {"locked": True, "locked_by": "bob@host"}, NOW)
    # Creating a node ({} current, rules skipped): a node may be created locked.
    fields = plan_node_update({}, {"locked": True, "locked_by": "bob@host"}, NOW,
                              check_rules=False)
    assert fields == {"locked": True, "locked_by": "bob@host", "locked_since": NOW}


# ------------------------------------------------------------------------------------------
# lock_many bodies


def lock_many_body(**changes):
    return {"count": 2, "machine_type": "smithi", "locked_by": "alice@host",
            "description": "/archive/run/1", **changes}


def test_machine_type_lists():
    assert machine_type_list("smithi") == ["smithi"]
    assert machine_type_list("smithi|mira") == ["smithi", "mira"]
    assert machine_type_list("|smithi||mira|") == ["smithi", "mira"]
    assert machine_type_list("") == []


def test_a_valid_body_becomes_a_request():
    assert validate_lock_many(lock_many_body(machine_type="smithi|mira", os_type="ubuntu",
                                             os_version="", arch=None)) == LockManyRequest(
        count=2, locked_by="alice@host", machine_types=["smithi", "mira"],
        description="/archive/run/1", os_type="ubuntu", os_version=None, arch=None)
    assert validate_lock_many(lock_many_body()).os_type is None  # absent: no filter


@pytest.mark.parametrize("count", [0, -1])
def test_fewer_than_one_node_is_refused(count):
    with pytest.raises(InvalidInput, match="^cannot lock less than 1 node$"):
        validate_lock_many(lock_many_body(count=count))


@pytest.mark.parametrize("machine_type", ["", None])
def test_a_machine_type_is_required(machine_type):
    with pytest.raises(InvalidInput, match="^must specify machine_type$"):
        validate_lock_many(lock_many_body(machine_type=machine_type))


def test_an_owner_is_required():
    with pytest.raises(InvalidInput, match="^Cannot lock without specifying locked_by$"):
        validate_lock_many(lock_many_body(locked_by=None))


def test_the_checks_come_in_the_originals_order():
    with pytest.raises(InvalidInput, match="less than 1"):
        validate_lock_many(lock_many_body(count=0, machine_type="", locked_by=None))
    with pytest.raises(InvalidInput, match="machine_type"):
        validate_lock_many(lock_many_body(machine_type="", locked_by=None))
