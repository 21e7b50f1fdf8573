"""§5.9 node lock rules, row by row, through every way a lock changes: PUT and POST
/nodes/{n}/lock (with and without the slash) and PUT /nodes/{n}/ (§10 row 10: the same 400/403,
never 500); locked_since/locked_by/description effects; "check" requests; method errors;
POST /nodes/lock_many/ and POST /nodes/unlock_many/ (§3.5, §10 rows 17 and 18); teuthology's
lock semantics (clients.md §2.6)."""
import json
from datetime import timedelta

import pytest

from tests.integration.support import (BAD_JSON, LOCK_SUMMARY_KEYS, NODE_KEYS, NODE_NOT_FOUND,
                                        TIME_RE, assert_envelope, create_node, get_node,
                                        ordered_keys, parse_time, utcnow)

ALREADY_LOCKED = "Cannot lock an already-locked node"
ALREADY_UNLOCKED = "Cannot unlock an already-unlocked node"
LOCK_NO_OWNER = "Cannot lock without specifying locked_by"
UNLOCK_NO_OWNER = "Cannot unlock without specifying locked_by"
OWNER_MISMATCH = "Cannot unlock - locked_by values must match"
DESCRIPTION_MISMATCH = "Cannot unlock - description values must match"

LOCK_MANY_FIELDS = "must pass these fields: count, locked_by, machine_type, description"
UNLOCK_MANY_FIELDS = "must pass these fields: names, locked_by"
POST_ONLY = "this URI only supports POST requests"

# Every route that changes a lock: (method, url template, answers a lock summary?)
ROUTES = [
    pytest.param("PUT", "/nodes/{}/lock", True, id="PUT-lock"),
    pytest.param("POST", "/nodes/{}/lock", True, id="POST-lock"),
    pytest.param("PUT", "/nodes/{}/lock/", True, id="PUT-lock-slash"),
    pytest.param("POST", "/nodes/{}/lock/", True, id="POST-lock-slash"),
    pytest.param("PUT", "/nodes/{}/", False, id="PUT-node"),
]


def send(client, method, url, name, body, raw=False):
    """One lock request; `raw` sends a JSON string with no Content-Type (teuthology)."""
    if raw:
        return client.open(url.format(name), method=method, data=json.dumps(body))
    return client.open(url.format(name), method=method, json=body)


@pytest.fixture
def locked_node(client):
    """`n` locked by `me` with description `job-1`, via a real lock."""
    create_node(client, "n", machine_type="smithi", up=True)
    response = client.put("/nodes/n/lock", json={"locked": True, "locked_by": "me",
                                                 "description": "job-1"})
    assert response.status_code == 200
    return get_node(client, "n")


@pytest.fixture
def free_node(client):
    create_node(client, "n", machine_type="smithi", up=True, description="old")
    return get_node(client, "n")


def assert_success(response, summary, node_after):
    assert response.status_code == 200, (response.status_code, response.data)
    if summary:
        assert ordered_keys(response) == list(LOCK_SUMMARY_KEYS)
        assert response.get_json() == {key: node_after[key] for key in LOCK_SUMMARY_KEYS}
    else:
        assert response.get_json() == {}


# --- row: lock an unlocked node ("otherwise allowed") ----------------------------------------

@pytest.mark.parametrize("method,url,summary", ROUTES)
def test_lock_free_node_with_owner_is_allowed(client, free_node, method, url, summary):
    before = utcnow() - timedelta(seconds=1)
    response = send(client, method, url, "n", {"locked": True, "locked_by": "me"})
    after = utcnow()
    node = get_node(client, "n")
    assert_success(response, summary, node)
    assert (node["locked"], node["locked_by"]) == (True, "me")
    assert before <= parse_time(node["locked_since"]) <= after
    assert node["description"] == "old"  # not in the request: kept


@pytest.mark.parametrize("method,url,summary", ROUTES)
def test_lock_overwrites_description_when_given(client, free_node, method, url, summary):
    response = send(client, method, url, "n", {"locked": True, "locked_by": "me",
                                               "description": "/archive/run/1"})
    assert response.status_code == 200
    assert get_node(client, "n")["description"] == "/archive/run/1"


@pytest.mark.parametrize("method,url,summary", ROUTES)
def test_lock_applies_other_whitelisted_keys(client, free_node, method, url, summary):
    response = send(client, method, url, "n", {"locked": True, "locked_by": "me", "up": False,
                                               "os_type": "rhel", "os_version": "9"})
    assert response.status_code == 200
    node = get_node(client, "n")
    assert (node["up"], node["os_type"], node["os_version"]) == (False, "rhel", "9")


# --- row: state change without locked_by -> 400 ---------------------------------------------

@pytest.mark.parametrize("method,url,summary", ROUTES)
@pytest.mark.parametrize("owner", [{}, {"locked_by": None}, {"locked_by": ""}],
                         ids=["missing", "null", "empty"])
def test_lock_without_owner_is_400(client, free_node, method, url, summary, owner):
    response = send(client, method, url, "n", {"locked": True, "description": "d", **owner})
    assert_envelope(response, 400, LOCK_NO_OWNER)
    assert get_node(client, "n") == free_node


@pytest.mark.parametrize("method,url,summary", ROUTES)
@pytest.mark.parametrize("owner", [{}, {"locked_by": None}, {"locked_by": ""}],
                         ids=["missing", "null", "empty"])
def test_unlock_without_owner_is_400(client, locked_node, method, url, summary, owner):
    response = send(client, method, url, "n", {"locked": False, **owner})
    assert_envelope(response, 400, UNLOCK_NO_OWNER)
    assert get_node(client, "n") == locked_node


# --- row: same state, not (same owner and same given description) -> 403 ---------------------

@pytest.mark.parametrize("method,url,summary", ROUTES)
@pytest.mark.parametrize("body", [
    {"locked_by": "me"},
    {"locked_by": "me", "description": None},
    {"locked_by": "me", "description": "job-2"},
    {"locked_by": "you", "description": "job-1"},
    {"locked_by": "you"},
    {"description": "job-1"},
], ids=["same-owner-no-desc", "same-owner-null-desc", "same-owner-other-desc",
        "other-owner-same-desc", "other-owner-no-desc", "no-owner-same-desc"])
def test_lock_of_locked_node_is_403(client, locked_node, method, url, summary, body):
    response = send(client, method, url, "n", {"locked": True, **body})
    assert_envelope(response, 403, ALREADY_LOCKED)
    assert get_node(client, "n") == locked_node


@pytest.mark.parametrize("method,url,summary", ROUTES)
def test_lock_of_node_locked_without_description_needs_a_given_description(
        client, method, url, summary):
    create_node(client, "n", locked=True, locked_by="me")  # description null
    before = get_node(client, "n")
    response = send(client, method, url, "n", {"locked": True, "locked_by": "me",
                                               "description": None})
    assert_envelope(response, 403, ALREADY_LOCKED)
    assert get_node(client, "n") == before


@pytest.mark.parametrize("method,url,summary", ROUTES)
@pytest.mark.parametrize("body", [
    {"locked_by": "me"},
    {"locked_by": "me", "description": "old"},
    {"locked_by": "me", "description": None},
    {},
], ids=["owner", "owner-and-stored-desc", "owner-null-desc", "nothing"])
def test_unlock_of_unlocked_node_is_403(client, free_node, method, url, summary, body):
    response = send(client, method, url, "n", {"locked": False, **body})
    assert_envelope(response, 403, ALREADY_UNLOCKED)
    assert get_node(client, "n") == free_node


# --- row: same state, owner and description both match -> allowed ---------------------------

@pytest.mark.parametrize("method,url,summary", ROUTES)
def test_relock_by_same_owner_and_description_is_idempotent(client, locked_node, method, url,
                                                            summary):
    response = send(client, method, url, "n", {"locked": True, "locked_by": "me",
                                               "description": "job-1"})
    node = get_node(client, "n")
    assert_success(response, summary, node)
    assert (node["locked"], node["locked_by"], node["description"]) == (True, "me", "job-1")
    assert node["locked_since"] == locked_node["locked_since"]  # no state change


# --- rows: unlock of a locked node -----------------------------------------------------------

@pytest.mark.parametrize("method,url,summary", ROUTES)
def test_unlock_by_other_owner_is_403(client, locked_node, method, url, summary):
    response = send(client, method, url, "n", {"locked": False, "locked_by": "you"})
    assert_envelope(response, 403, OWNER_MISMATCH)
    assert get_node(client, "n") == locked_node


@pytest.mark.parametrize("method,url,summary", ROUTES)
def test_unlock_by_other_owner_with_other_description_reports_the_owner(
        client, locked_node, method, url, summary):
    response = send(client, method, url, "n", {"locked": False, "locked_by": "you",
                                               "description": "job-9"})
    assert_envelope(response, 403, OWNER_MISMATCH)
    assert get_node(client, "n") == locked_node


@pytest.mark.parametrize("method,url,summary", ROUTES)
def test_unlock_with_other_description_is_403(client, locked_node, method, url, summary):
    response = send(client, method, url, "n", {"locked": False, "locked_by": "me",
                                               "description": "job-9"})
    assert_envelope(response, 403, DESCRIPTION_MISMATCH)
    assert get_node(client, "n") == locked_node


@pytest.mark.parametrize("method,url,summary", ROUTES)
def test_unlock_by_owner_without_description_keeps_it(client, locked_node, method, url,
                                                      summary):
    response = send(client, method, url, "n", {"locked": False, "locked_by": "me"})
    node = get_node(client, "n")
    assert_success(response, summary, node)
    assert (node["locked"], node["locked_by"], node["locked_since"]) == (False, None, None)
    assert node["description"] == "job-1"


@pytest.mark.parametrize("method,url,summary", ROUTES)
def test_unlock_by_owner_with_same_description(client, locked_node, method, url, summary):
    response = send(client, method, url, "n", {"locked": False, "locked_by": "me",
                                               "description": "job-1"})
    node = get_node(client, "n")
    assert_success(response, summary, node)
    assert (node["locked"], node["locked_by"], node["locked_since"]) == (False, None, None)
    assert node["description"] == "job-1"


@pytest.mark.parametrize("method,url,summary", ROUTES)
def test_unlock_with_null_description_overwrites_it(client, locked_node, method, url,
                                                    summary):
    response = send(client, method, url, "n", {"locked": False, "locked_by": "me",
                                               "description": None})
    assert response.status_code == 200
    node = get_node(client, "n")
    assert (node["locked"], node["description"]) == (False, None)


@pytest.mark.parametrize("method,url,summary", ROUTES)
def test_unlock_with_empty_description_is_not_checked(client, locked_node, method, url,
                                                      summary):
    response = send(client, method, url, "n", {"locked": False, "locked_by": "me",
                                               "description": ""})
    assert response.status_code == 200
    assert get_node(client, "n")["locked"] is False


@pytest.mark.parametrize("method,url,summary", ROUTES)
def test_unlock_clears_locked_by_and_locked_since(client, locked_node, method, url, summary):
    assert locked_node["locked_since"] is not None
    response = send(client, method, url, "n", {"locked": False, "locked_by": "me"})
    assert response.status_code == 200
    if summary:
        assert response.get_json()["locked_by"] is None
    node = get_node(client, "n")
    assert node["locked_by"] is None
    assert node["locked_since"] is None


@pytest.mark.parametrize("method,url,summary", ROUTES)
def test_lock_rules_hold_without_content_type(client, locked_node, method, url, summary):
    """teuthology's lock_one/unlock_one/update_lock send a JSON string with no header."""
    refused = send(client, method, url, "n", {"locked": True, "locked_by": "you"}, raw=True)
    assert_envelope(refused, 403, ALREADY_LOCKED)
    response = send(client, method, url, "n", {"name": "n", "locked": False, "locked_by": "me",
                                               "description": None}, raw=True)
    assert response.status_code == 200
    assert get_node(client, "n")["locked"] is False


# --- a full cycle through one route ----------------------------------------------------------

@pytest.mark.parametrize("method,url,summary", ROUTES)
def test_lock_unlock_relock_by_another_owner(client, free_node, method, url, summary):
    assert send(client, method, url, "n", {"locked": True, "locked_by": "a"}).status_code == 200
    first = get_node(client, "n")["locked_since"]
    assert send(client, method, url, "n", {"locked": False, "locked_by": "a"}).status_code == 200
    assert send(client, method, url, "n", {"locked": True, "locked_by": "b",
                                           "description": "b's"}).status_code == 200
    node = get_node(client, "n")
    assert (node["locked"], node["locked_by"], node["description"]) == (True, "b", "b's")
    assert parse_time(node["locked_since"]) >= parse_time(first)


# --- locked_since ---------------------------------------------------------------------------

def test_locked_since_is_wire_formatted_and_close_to_now(client, free_node):
    before = utcnow() - timedelta(milliseconds=5)
    response = client.put("/nodes/n/lock", json={"locked": True, "locked_by": "me"})
    after = utcnow() + timedelta(milliseconds=5)
    assert response.status_code == 200
    text = get_node(client, "n")["locked_since"]
    assert TIME_RE.match(text), text
    assert "T" not in text and "+" not in text and not text.endswith("Z")
    assert before <= parse_time(text) <= after


def test_locked_since_from_lock_many_is_set(client):
    create_node(client, "n", machine_type="smithi", up=True)
    before = utcnow() - timedelta(seconds=1)
    response = client.post("/nodes/lock_many/", json={
        "count": 1, "machine_type": "smithi", "locked_by": "me", "description": "d"})
    after = utcnow()
    (node,) = response.get_json()
    assert before <= parse_time(node["locked_since"]) <= after
    assert node["locked_since"] == get_node(client, "n")["locked_since"]


def test_locked_since_cleared_by_unlock_many(client, locked_node):
    response = client.post("/nodes/unlock_many/", json={"names": ["n"], "locked_by": "me"})
    assert response.status_code == 200
    assert get_node(client, "n")["locked_since"] is None


# --- "check": locked absent or null --------------------------------------------------------

@pytest.mark.parametrize("url", ["/nodes/n/lock", "/nodes/n/"])
@pytest.mark.parametrize("body", [{"locked": None, "up": False}, {"up": False}],
                         ids=["null-locked", "no-locked"])
def test_check_on_free_node_applies_other_keys_only(client, free_node, url, body):
    response = client.put(url, json=body)
    assert response.status_code == 200
    node = get_node(client, "n")
    assert node == {**free_node, "up": False}
    if url.endswith("lock"):
        assert response.get_json() == {"name": "n", "locked": False, "locked_by": None,
                                       "machine_type": "smithi", "is_vm": False}


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_check_on_locked_node_keeps_the_lock(client, locked_node, method):
    response = client.open("/nodes/n/lock", method=method,
                           json={"locked": None, "description": "still mine"})
    assert response.status_code == 200
    assert response.get_json() == {"name": "n", "locked": True, "locked_by": "me",
                                   "machine_type": "smithi", "is_vm": False}
    node = get_node(client, "n")
    assert node == {**locked_node, "description": "still mine"}


def test_check_with_empty_body_object_answers_the_summary(client, locked_node):
    response = client.post("/nodes/n/lock", json={})
    assert response.status_code == 200
    assert response.get_json() == {"name": "n", "locked": True, "locked_by": "me",
                                   "machine_type": "smithi", "is_vm": False}
    assert get_node(client, "n") == locked_node


# --- the lock endpoint's own errors ---------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_lock_endpoint_other_methods_are_400_naming_the_method(client, free_node, method):
    response = client.open("/nodes/n/lock", method=method)
    assert_envelope(response, 400,
                    f"this URI only supports PUT and POST requests but {method} was attempted")
    assert get_node(client, "n") == free_node


def test_lock_endpoint_get_with_params_changes_nothing(client, free_node):
    response = client.get("/nodes/n/lock", query_string={"locked": "true", "locked_by": "me"})
    assert_envelope(response, 400,
                    "this URI only supports PUT and POST requests but GET was attempted")
    assert get_node(client, "n")["locked"] is False


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
def test_lock_endpoint_missing_node_is_404_first(client, method):
    response = client.open("/nodes/ghost/lock", method=method,
                           json={"locked": True, "locked_by": "me"})
    assert_envelope(response, 404, NODE_NOT_FOUND)


def test_lock_endpoint_without_body_is_400(client, free_node):
    assert_envelope(client.put("/nodes/n/lock"), 400, BAD_JSON)
    assert_envelope(client.post("/nodes/n/lock", data=""), 400, BAD_JSON)


def test_lock_endpoint_with_malformed_json_is_400(client, free_node):
    assert_envelope(client.put("/nodes/n/lock", data="{locked: true"), 400, BAD_JSON)
    assert get_node(client, "n") == free_node


@pytest.mark.parametrize("body", ["[]", "true", "\"locked\"", "[{\"locked\": true}]"])
def test_lock_endpoint_with_non_object_json_is_400(client, free_node, body):
    assert_envelope(client.put("/nodes/n/lock", data=body), 400)
    assert get_node(client, "n") == free_node


@pytest.mark.parametrize("url", ["/nodes/n/lock", "/nodes/n/"])
@pytest.mark.parametrize("value", ["maybe", 2, [], {"x": 1}])
def test_non_boolean_locked_is_400(client, free_node, url, value):
    response = client.put(url, json={"locked": value, "locked_by": "me"})
    assert_envelope(response, 400)
    assert get_node(client, "n") == free_node


# --- POST /nodes/lock_many/ -----------------------------------------------------------------

def lock_many(client, **body):
    base = {"count": 1, "machine_type": "smithi", "locked_by": "me", "description": "desc"}
    return client.post("/nodes/lock_many/", json={**base, **body})


def make_free(client, count, machine_type="smithi", prefix=None, **fields):
    prefix = prefix or machine_type
    return [create_node(client, f"{prefix}{i:03d}", machine_type=machine_type, up=True,
                        **fields) for i in range(count)]


def locked_names(client, owner=None):
    query = {"locked": "true"}
    if owner:
        query["locked_by"] = owner
    return [node["name"] for node in client.get("/nodes/", query_string=query).get_json()]


def test_lock_many_returns_full_node_json_of_locked_nodes(client):
    make_free(client, 3, ssh_pub_key="ssh-ed25519 K")
    response = lock_many(client, count=2, description="/archive/run/5")
    assert response.status_code == 200
    nodes = response.get_json()
    assert len(nodes) == 2
    for node in nodes:
        assert list(node) == list(NODE_KEYS)
        assert (node["locked"], node["locked_by"], node["description"]) == (
            True, "me", "/archive/run/5")
        assert node["ssh_pub_key"] == "ssh-ed25519 K"
        assert node == get_node(client, node["name"])
    assert sorted(locked_names(client)) == sorted(n["name"] for n in nodes)


def test_lock_many_picks_only_up_unlocked_nodes_of_the_type(client):
    create_node(client, "down", machine_type="smithi", up=False)
    create_node(client, "unknown", machine_type="smithi")
    create_node(client, "taken", machine_type="smithi", up=True, locked=True, locked_by="x")
    create_node(client, "other", machine_type="mira", up=True)
    create_node(client, "good", machine_type="smithi", up=True)
    response = lock_many(client, count=1)
    assert [n["name"] for n in response.get_json()] == ["good"]
    assert_envelope(lock_many(client, count=1), 503, "only 0 nodes available")


def test_lock_many_count_as_integral_float(client):
    make_free(client, 10)
    response = lock_many(client, count=10.0)
    assert response.status_code == 200
    assert len(response.get_json()) == 10
    assert len(locked_names(client, "me")) == 10


def test_lock_many_multiple_types(client):
    make_free(client, 2, "cat")
    make_free(client, 2, "dog")
    make_free(client, 2, "eel")
    response = lock_many(client, count=4, machine_type="cat|dog")
    assert response.status_code == 200
    assert sorted(n["machine_type"] for n in response.get_json()) == ["cat", "cat", "dog",
                                                                      "dog"]
    assert all(name.startswith(("cat", "dog")) for name in locked_names(client))


def test_lock_many_multiple_types_too_few_locks_nothing(client):
    make_free(client, 3, "cat")
    make_free(client, 3, "dog")
    assert_envelope(lock_many(client, count=7, machine_type="cat|dog"), 503,
                    "only 6 nodes available")
    assert locked_names(client) == []


def test_lock_many_too_many_locks_nothing(client):
    make_free(client, 3)
    assert_envelope(lock_many(client, count=4), 503, "only 3 nodes available")
    assert locked_names(client) == []
    assert all(node["locked_since"] is None for node in client.get("/nodes/").get_json())


def test_lock_many_counts_only_free_nodes_in_its_message(client):
    make_free(client, 4)
    assert lock_many(client, count=3, locked_by="first").status_code == 200
    assert_envelope(lock_many(client, count=2, locked_by="second"), 503,
                    "only 1 nodes available")
    assert locked_names(client, "second") == []


def test_lock_many_recycle_does_not_return_own_locked_nodes(client):
    make_free(client, 3, locked=True, locked_by="me", description="same")
    message = assert_envelope(lock_many(client, count=2, description="same"), 503)
    assert "only 0" in message


@pytest.mark.parametrize("field,value,other", [
    ("os_type", "rhel", "ubuntu"), ("os_version", "9", "8"), ("arch", "aarch64", "x86_64")])
def test_lock_many_optional_filter(client, field, value, other):
    create_node(client, "miss1", machine_type="smithi", up=True, **{field: other})
    create_node(client, "hit", machine_type="smithi", up=True, **{field: value})
    create_node(client, "miss2", machine_type="smithi", up=True)
    response = lock_many(client, count=1, **{field: value})
    assert [n["name"] for n in response.get_json()] == ["hit"]
    assert_envelope(lock_many(client, count=1, **{field: value}), 503, "only 0 nodes available")


def test_lock_many_os_version_number_is_stringified(client):
    create_node(client, "old", machine_type="smithi", up=True, os_version="20.04")
    create_node(client, "new", machine_type="smithi", up=True, os_version="22.04")
    response = lock_many(client, count=1, os_version=22.04)
    assert response.status_code == 200
    assert [n["name"] for n in response.get_json()] == ["new"]


@pytest.mark.parametrize("empty", [None, ""])
def test_lock_many_empty_optional_filters_are_ignored(client, empty):
    make_free(client, 2, os_type="ubuntu", os_version="22.04", arch="x86_64")
    response = lock_many(client, count=2, os_type=empty, os_version=empty, arch=empty)
    assert response.status_code == 200
    assert len(response.get_json()) == 2


def test_lock_many_description_may_be_null(client):
    make_free(client, 1, description="old")
    response = lock_many(client, count=1, description=None)
    assert response.status_code == 200
    assert response.get_json()[0]["description"] is None


@pytest.mark.parametrize("missing", ["count", "locked_by", "machine_type", "description"])
def test_lock_many_missing_required_key_is_400_in_stable_order(client, missing):
    make_free(client, 2)
    body = {"count": 1, "machine_type": "smithi", "locked_by": "me", "description": "d"}
    del body[missing]
    assert_envelope(client.post("/nodes/lock_many/", json=body), 400, LOCK_MANY_FIELDS)
    assert locked_names(client) == []


def test_lock_many_empty_object_is_400_fields_message(client):
    assert_envelope(client.post("/nodes/lock_many/", json={}), 400, LOCK_MANY_FIELDS)


def test_lock_many_only_os_filters_is_400_fields_message(client):
    response = client.post("/nodes/lock_many/", json={"os_type": "ubuntu", "arch": "x86_64"})
    assert_envelope(response, 400, LOCK_MANY_FIELDS)


@pytest.mark.parametrize("count", [0, -1, -10, 0.0])
def test_lock_many_count_below_one_is_400(client, count):
    make_free(client, 2)
    assert_envelope(lock_many(client, count=count), 400, "cannot lock less than 1 node")
    assert locked_names(client) == []


@pytest.mark.parametrize("count", ["abc", 2.5, None, [2], {"n": 2}, True])
def test_lock_many_non_integer_count_is_400(client, count):
    make_free(client, 3)
    assert_envelope(lock_many(client, count=count), 400)
    assert locked_names(client) == []


@pytest.mark.parametrize("machine_type", ["", None])
def test_lock_many_empty_machine_type_is_400(client, machine_type):
    make_free(client, 2)
    assert_envelope(lock_many(client, machine_type=machine_type), 400,
                    "must specify machine_type")


def test_lock_many_null_owner_is_400(client):
    make_free(client, 2)
    assert_envelope(lock_many(client, locked_by=None), 400, LOCK_NO_OWNER)
    assert locked_names(client) == []


def test_lock_many_without_body_is_400(client):
    assert_envelope(client.post("/nodes/lock_many/"), 400, BAD_JSON)


def test_lock_many_malformed_json_is_400(client):
    response = client.post("/nodes/lock_many/", data="{count: 1",
                           content_type="application/json")
    assert_envelope(response, 400, BAD_JSON)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_lock_many_other_methods_are_400(client, method):
    make_free(client, 1)
    response = client.open("/nodes/lock_many/", method=method, json={
        "count": 1, "machine_type": "smithi", "locked_by": "me", "description": "d"})
    assert_envelope(response, 400, POST_ONLY)
    assert locked_names(client) == []


def test_lock_many_without_trailing_slash(client):
    make_free(client, 1)
    response = client.post("/nodes/lock_many", json={
        "count": 1, "machine_type": "smithi", "locked_by": "me", "description": "d"})
    assert response.status_code == 200
    assert len(response.get_json()) == 1


def test_lock_many_ignores_unknown_keys(client):
    make_free(client, 1)
    response = lock_many(client, count=1, user="ubuntu", colour="red")
    assert response.status_code == 200


# --- POST /nodes/unlock_many/ ---------------------------------------------------------------

@pytest.fixture
def owned(client):
    """n0..n4 locked by `owner` with various descriptions."""
    for i in range(5):
        create_node(client, f"n{i}", machine_type="smithi", up=True, locked=True,
                    locked_by="owner", description=f"job-{i}")
    return [f"n{i}" for i in range(5)]


def unlock_many(client, names, locked_by="owner"):
    return client.post("/nodes/unlock_many/", json={"names": names, "locked_by": locked_by})


def test_unlock_many_unlocks_every_named_node(client, owned):
    response = unlock_many(client, owned[:3])
    assert response.status_code == 200
    body = response.get_json()
    assert [list(item) for item in body] == [list(LOCK_SUMMARY_KEYS)] * 3
    assert sorted(item["name"] for item in body) == owned[:3]
    assert all(item["locked"] is False and item["locked_by"] is None for item in body)
    assert all(item["machine_type"] == "smithi" and item["is_vm"] is False for item in body)
    for name in owned[:3]:
        node = get_node(client, name)
        assert (node["locked"], node["locked_by"], node["locked_since"]) == (False, None, None)
    assert sorted(locked_names(client, "owner")) == owned[3:]


def test_unlock_many_keeps_descriptions(client, owned):
    assert unlock_many(client, owned).status_code == 200
    assert [get_node(client, name)["description"] for name in owned] == [
        f"job-{i}" for i in range(5)]


def test_unlock_many_empty_list_is_200_empty(client, owned):
    response = unlock_many(client, [])
    assert response.status_code == 200
    assert response.get_json() == []
    assert len(locked_names(client)) == 5


def test_unlock_many_is_atomic_when_one_node_is_someone_elses(client, owned):
    create_node(client, "foreign", machine_type="smithi", up=True, locked=True,
                locked_by="someone else")
    response = unlock_many(client, owned + ["foreign"])
    assert_envelope(response, 403, OWNER_MISMATCH)
    assert sorted(locked_names(client, "owner")) == owned
    assert locked_names(client, "someone else") == ["foreign"]
    for name in owned:
        assert get_node(client, name)["locked_since"] is not None


def test_unlock_many_is_atomic_whatever_the_position_of_the_refused_node(client):
    create_node(client, "foreign", machine_type="smithi", locked=True, locked_by="other")
    for i in range(3):
        create_node(client, f"n{i}", machine_type="smithi", locked=True, locked_by="owner")
    response = unlock_many(client, ["n0", "foreign", "n1", "n2"])
    assert_envelope(response, 403, OWNER_MISMATCH)
    assert sorted(locked_names(client, "owner")) == ["n0", "n1", "n2"]


def test_unlock_many_is_atomic_when_one_node_is_already_unlocked(client, owned):
    create_node(client, "free", machine_type="smithi", up=True)
    response = unlock_many(client, owned + ["free"])
    assert_envelope(response, 403, ALREADY_UNLOCKED)
    assert sorted(locked_names(client, "owner")) == owned


def test_unlock_many_twice_second_is_403_already_unlocked(client, owned):
    assert unlock_many(client, owned[:2]).status_code == 200
    assert_envelope(unlock_many(client, owned[:2]), 403, ALREADY_UNLOCKED)


def test_unlock_many_with_null_owner_is_400(client, owned):
    assert_envelope(unlock_many(client, owned, locked_by=None), 400, UNLOCK_NO_OWNER)
    assert len(locked_names(client, "owner")) == 5


def test_unlock_many_by_other_owner_is_403(client, owned):
    assert_envelope(unlock_many(client, owned, locked_by="intruder"), 403, OWNER_MISMATCH)
    assert len(locked_names(client, "owner")) == 5


def test_unlock_many_unknown_name_is_400_and_unlocks_nothing(client, owned):
    assert_envelope(unlock_many(client, owned + ["ghost"]), 400, "Could not find all nodes!")
    assert len(locked_names(client, "owner")) == 5


def test_unlock_many_duplicate_names_is_400(client, owned):
    assert_envelope(unlock_many(client, ["n0", "n1", "n0"]), 400, "Could not find all nodes!")
    assert len(locked_names(client, "owner")) == 5


@pytest.mark.parametrize("body", [
    {"names": ["n0"]},
    {"locked_by": "owner"},
    {"names": ["n0"], "locked_by": "owner", "description": "job-0"},
    {"names": ["n0"], "locked_by": "owner", "count": 1},
    {},
], ids=["no-owner-key", "no-names-key", "extra-description", "extra-count", "empty"])
def test_unlock_many_needs_exactly_names_and_locked_by(client, owned, body):
    response = client.post("/nodes/unlock_many/", json=body)
    assert_envelope(response, 400, UNLOCK_MANY_FIELDS)
    assert len(locked_names(client, "owner")) == 5


@pytest.mark.parametrize("names", ["n0", "n0,n1", {"n0": 1}, 3, None])
def test_unlock_many_names_must_be_a_list(client, owned, names):
    response = client.post("/nodes/unlock_many/", json={"names": names, "locked_by": "owner"})
    assert_envelope(response, 400, "'names' must be a list")
    assert len(locked_names(client, "owner")) == 5


def test_unlock_many_without_body_is_400(client):
    assert_envelope(client.post("/nodes/unlock_many/"), 400, BAD_JSON)


def test_unlock_many_malformed_json_is_400(client):
    response = client.post("/nodes/unlock_many/", data="{names:",
                           content_type="application/json")
    assert_envelope(response, 400, BAD_JSON)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_unlock_many_other_methods_are_400(client, owned, method):
    response = client.open("/nodes/unlock_many/", method=method,
                           json={"names": owned, "locked_by": "owner"})
    assert_envelope(response, 400, POST_ONLY)
    assert len(locked_names(client, "owner")) == 5


def test_unlock_many_then_lock_many_reuses_the_nodes(client, owned):
    assert unlock_many(client, owned).status_code == 200
    response = lock_many(client, count=5, locked_by="next")
    assert response.status_code == 200
    assert sorted(n["name"] for n in response.get_json()) == owned


# --- the original's own lock tests, ported --------------------------------------------------

def test_lock(client):
    create_node(client, "kittens", locked=False)
    response = client.put("/nodes/kittens/lock", json={"locked": True, "locked_by": "me"})
    assert response.status_code == 200
    assert response.get_json()["locked"] is True
    assert response.get_json()["locked_by"] == "me"


def test_lock_no_owner(client):
    create_node(client, "kittens", locked=False)
    response = client.put("/nodes/kittens/lock", json={"locked": True})
    assert_envelope(response, 400, "Cannot lock without specifying locked_by")


def test_double_lock(client):
    create_node(client, "kittens", locked=True, locked_by="me")
    response = client.put("/nodes/kittens/lock", json={"locked": True, "locked_by": "me"})
    assert_envelope(response, 403, "Cannot lock an already-locked node")


def test_double_unlock(client):
    create_node(client, "kittens", locked=False)
    response = client.put("/nodes/kittens/lock", json={"locked": False, "locked_by": "me"})
    assert_envelope(response, 403, "Cannot unlock an already-unlocked node")


def test_unlock(client):
    create_node(client, "ferrets", locked=True, locked_by="me")
    response = client.put("/nodes/ferrets/lock", json={"locked": False, "locked_by": "me"})
    assert response.status_code == 200
    assert response.get_json()["locked"] is False
    assert response.get_json()["locked_by"] is None


def test_unlock_different_owner(client):
    create_node(client, "minnows", locked=True, locked_by="someone")
    response = client.put("/nodes/minnows/lock", json={"locked": False, "locked_by": "me"})
    assert_envelope(response, 403, "Cannot unlock - locked_by values must match")


def test_unlock_different_description(client):
    create_node(client, "minnows", locked=True, locked_by="me", description="mine")
    response = client.put("/nodes/minnows/lock", json={"locked": False, "locked_by": "me",
                                                       "description": "not mine"})
    assert_envelope(response, 403, "Cannot unlock - description values must match")


def test_model_locked_since_set_on_lock(client):
    create_node(client, "n", locked=False)
    before = utcnow() - timedelta(milliseconds=2)  # the server keeps milliseconds
    assert client.put("/nodes/n/lock", json={"locked": True, "locked_by": "me"}
                      ).status_code == 200
    after = utcnow()
    locked_since = parse_time(get_node(client, "n")["locked_since"])
    assert before <= locked_since <= after


def test_model_locked_since_cleared_on_unlock(client):
    create_node(client, "n", locked=False)
    client.put("/nodes/n/lock", json={"locked": True, "locked_by": "me"})
    assert get_node(client, "n")["locked_since"] is not None
    assert client.put("/nodes/n/lock", json={"locked": False, "locked_by": "me"}
                      ).status_code == 200
    assert get_node(client, "n")["locked_since"] is None


def test_model_double_lock_same_owner_without_description(client):
    create_node(client, "n", locked=False)
    assert client.put("/nodes/n/lock", json={"locked": True, "locked_by": "me"}
                      ).status_code == 200
    response = client.put("/nodes/n/lock", json={"locked": True, "locked_by": "me"})
    assert_envelope(response, 403, "Cannot lock an already-locked node")
