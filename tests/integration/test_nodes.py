"""§3.5 nodes endpoints (inventory, lists and filters, job history and stats), §4.3 node JSON,
§5.6 targets -> nodes, §5.8 node deletion, §2.6 boolean spellings; ports of §7.5 and §7.13;
teuthology's lock/inventory calls L1-L8 and pulpito's node pages (clients.md §1.2, §2.6, §4.4).
Lock rules in detail are in test_node_locks.py."""
import json
from datetime import datetime, timedelta

import pytest

from tests.integration.support import (BAD_JSON, JOB_KEYS, LOCK_SUMMARY_KEYS, NAME_REQUIRED,
                                        NODE_KEYS, NODE_NOT_FOUND, assert_envelope, assert_time,
                                        create_node, create_run, get_job, get_node, ordered_keys,
                                        parse_time, post_job, put_job, unique_name, utcnow)

SEVEN_STATUSES = ("pass", "fail", "queued", "running", "dead", "unknown", "waiting")
UPDATE_MISSING = "attempted to update a non-existent node"
COUNT_NOT_INTEGER = "count must be an integer"
COUNT_RANGE = "count must be an integer from 0 to 1000000000"
SINCE_DAYS = "since_days must be an integer from 1 to 36500"

TRUE_SPELLINGS = ("true", "t", "yes", "y", "on", "1")
FALSE_SPELLINGS = ("false", "f", "no", "n", "off", "0")


def cased(spellings):
    """Every spelling in lower, UPPER and Capitalised case (§2.6: case-insensitive)."""
    return sorted({variant for word in spellings
                   for variant in (word, word.upper(), word.capitalize())})


def node_list(client, query=""):
    response = client.get(f"/nodes/{query}")
    assert response.status_code == 200, (response.status_code, response.data)
    body = response.get_json()
    assert isinstance(body, list)
    return body


def names(nodes):
    return [node["name"] for node in nodes]


def default_node(name, machine_type=None):
    """A node as first recorded (§4.3 defaults; §5.6 nodes made from targets)."""
    return {"name": name, "description": None, "up": None, "machine_type": machine_type,
            "is_vm": False, "vm_host": None, "os_type": None, "os_version": None,
            "arch": None, "locked": False, "locked_since": None, "locked_by": None,
            "mac_address": None, "ssh_pub_key": None}


def targets_for(*hosts, user="ubuntu"):
    return {f"{user}@{host}": f"ssh-ed25519 KEY-{host}" for host in hosts}


def node_jobs(client, node, query=""):
    response = client.get(f"/nodes/{node}/jobs/{query}")
    assert response.status_code == 200, (response.status_code, response.data)
    return response.get_json()


# --- §7.5 TestNodesController ---------------------------------------------------------------

def test_get_node_root(client):
    response = client.get("/nodes/")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == []


def test_get_count(client):
    for name in ("n1", "n2", "n3", "n4", "n5"):
        create_node(client, name)
    assert len(node_list(client, "?count=3")) == 3


def test_job_creates_nodes(client):
    run = create_run(client, "job_creates_nodes")
    post_job(client, run, {"job_id": "276", "targets": {"u@t1": "", "u@t2": "", "u@t3": ""}})
    assert sorted(names(node_list(client))) == ["t1", "t2", "t3"]


def test_job_stats(client):
    targets = {"u@t1": "", "u@t2": ""}
    for job_id in ("1", "2", "3"):
        post_job(client, "job_stats", {"job_id": job_id, "targets": targets, "status": "fail"})
    response = client.get("/nodes/job_stats/")
    assert response.status_code == 200
    assert response.get_json() == {"t1": {"fail": 3}, "t2": {"fail": 3}}


def test_post(client):
    create_node(client, "puppies", locked=False)
    assert get_node(client, "puppies")["name"] == "puppies"


def test_multiple_machine_types(client):
    for number in (1, 2, 3, 4):
        create_node(client, f"node{number}", machine_type=f"type{number}")
    got = node_list(client, "?machine_type=type1|type2|type4")
    assert sorted(node["machine_type"] for node in got) == ["type1", "type2", "type4"]


def test_list_machine_types(client):
    create_node(client, "a", machine_type="list2")
    create_node(client, "b", machine_type="list1")
    create_node(client, "c", machine_type="list2")
    response = client.get("/nodes/machine_types/")
    assert response.status_code == 200
    assert response.get_json() == ["list1", "list2"]


def test_query_locked_by(client):
    create_node(client, "query_locked_by1", locked=True, locked_by="gal")
    create_node(client, "query_locked_by2", locked=True, locked_by="gal")
    assert client.put("/nodes/query_locked_by1/",
                      json={"locked": False, "locked_by": "gal"}).status_code == 200
    assert client.put("/nodes/query_locked_by1/",
                      json={"locked": True, "locked_by": "guy"}).status_code == 200
    got = node_list(client, "?locked_by=guy")
    assert got[-1]["name"] == "query_locked_by1"


def test_lock_many_simple(client):
    for name in ("cat", "dog", "dragon"):
        create_node(client, name, machine_type="pet", locked=False, up=True)
    response = client.post("/nodes/lock_many/", json={
        "count": 2, "machine_type": "pet", "description": "desc", "locked_by": "me"})
    assert response.status_code == 200
    assert len(response.get_json()) == 2


def test_lock_many_multi(client):
    pets = {"munchkin": "cat", "tabby": "cat", "mainecoon": "cat",
            "corgi": "dog", "heeler": "dog", "husky": "dog"}
    for name, kind in pets.items():
        create_node(client, name, machine_type=kind, locked=False, up=True)
    response = client.post("/nodes/lock_many/", json={
        "count": 5, "machine_type": "cat|dog", "description": "desc", "locked_by": "me"})
    assert response.status_code == 200
    types = [node["machine_type"] for node in response.get_json()]
    assert len(types) == 5
    assert set(types) <= {"cat", "dog"}


def test_lock_many_os_type(client):
    create_node(client, "u", machine_type="pet", up=True, os_type="ubuntu")
    create_node(client, "r", machine_type="pet", up=True, os_type="rhel")
    response = client.post("/nodes/lock_many/", json={
        "count": 1, "machine_type": "pet", "description": "desc", "locked_by": "me",
        "os_type": "rhel"})
    assert response.status_code == 200
    assert names(response.get_json()) == ["r"]


def test_lock_many_os_version(client):
    create_node(client, "one", machine_type="pet", up=True, os_version="1")
    create_node(client, "two", machine_type="pet", up=True, os_version="2")
    response = client.post("/nodes/lock_many/", json={
        "count": 1, "machine_type": "pet", "description": "desc", "locked_by": "me",
        "os_version": "2"})
    assert response.status_code == 200
    assert names(response.get_json()) == ["two"]


def test_lock_many_arch(client):
    create_node(client, "one", machine_type="pet", up=True, arch="1")
    create_node(client, "two", machine_type="pet", up=True, arch="2")
    response = client.post("/nodes/lock_many/", json={
        "count": 1, "machine_type": "pet", "description": "desc", "locked_by": "me",
        "arch": "2"})
    assert response.status_code == 200
    assert names(response.get_json()) == ["two"]


def test_lock_many_too_many(client):
    for name in ("cat", "dog", "dragon"):
        create_node(client, name, machine_type="pet", locked=False, up=True)
    response = client.post("/nodes/lock_many/", json={
        "count": 4, "machine_type": "pet", "description": "desc", "locked_by": "me"})
    assert_envelope(response, 503, "only 3 nodes available")


def test_lock_many_already_taken(client):
    for name in ("cat", "dog", "dragon"):
        create_node(client, name, machine_type="pet", locked=True, locked_by="you", up=True)
    response = client.post("/nodes/lock_many/", json={
        "count": 1, "machine_type": "pet", "description": "desc", "locked_by": "me"})
    assert_envelope(response, 503, "only 0 nodes available")


def test_lock_many_recycle(client):
    desc = "my_super_cool_test_run"
    for name in ("cat", "dog", "dragon"):
        create_node(client, name, machine_type="pet", locked=True, locked_by="me",
                    description=desc, up=True)
    response = client.post("/nodes/lock_many/", json={
        "count": 2, "machine_type": "pet", "description": desc, "locked_by": "me"})
    message = assert_envelope(response, 503)
    assert "only 0" in message


def test_unlock_many_simple(client):
    node_names = [f"n{i}" for i in range(7)]
    for name in node_names:
        create_node(client, name, machine_type="ulmtest", locked=True, locked_by="unlock@many",
                    description="unlock_many", up=True)
    response = client.post("/nodes/unlock_many/",
                           json={"names": node_names, "locked_by": "unlock@many"})
    assert response.status_code == 200
    body = response.get_json()
    assert sorted(names(body)) == node_names
    assert {node["locked"] for node in body} == {False}


# --- §7.5 TestNodeController ----------------------------------------------------------------

def test_get_nonexistent_node(client):
    assert_envelope(client.get("/nodes/this_is_not_here/"), 404, NODE_NOT_FOUND)


def test_single_node_job_stats(client):
    for job_id in ("1", "2", "3"):
        post_job(client, "job_stats", {"job_id": job_id, "targets": {"u@t1": ""},
                                       "status": "running"})
    response = client.get("/nodes/t1/job_stats/")
    assert response.status_code == 200
    assert response.get_json() == {"pass": 0, "fail": 0, "queued": 0, "running": 3, "dead": 0,
                                   "unknown": 0, "waiting": 0}


def test_single_node_jobs(client):
    run = create_run(client, unique_name())
    ids = [post_job(client, run, {"targets": {"u@t1": ""}, "status": "running"})
           for _ in range(3)]
    assert [job["job_id"] for job in node_jobs(client, "t1")] == list(reversed(ids))


def test_update(client):
    create_node(client, "kittens", locked=False)
    response = client.put("/nodes/kittens/", json={"locked": True, "locked_by": "momcat"})
    assert response.status_code == 200
    assert response.get_json() == {}
    node = get_node(client, "kittens")
    assert node["locked"] is True
    assert node["locked_by"] == "momcat"


def test_delete(client):
    create_node(client, "kittens")
    response = client.delete("/nodes/kittens/")
    assert response.status_code == 200
    assert response.get_json() == {}
    assert_envelope(client.get("/nodes/kittens/"), 404, NODE_NOT_FOUND)


def test_check(client):
    create_node(client, "crabs", locked=False)
    response = client.get("/nodes/crabs/", query_string={"locked": "true", "locked_by": "me"})
    assert response.status_code == 200
    assert response.get_json()["locked"] is False
    assert get_node(client, "crabs")["locked_by"] is None


def test_post_junk(client):
    assert_envelope(client.post("/nodes/", json={}), 400, NAME_REQUIRED)


def test_post_empty_name(client):
    assert_envelope(client.post("/nodes/", json={"name": None}), 400, NAME_REQUIRED)


def test_post_dupe(client):
    create_node(client, "post_me_twice")
    response = client.post("/nodes/", json={"name": "post_me_twice"})
    assert_envelope(response, 400, "Node with name post_me_twice already exists")


def test_update_nonexistent(client):
    response = client.put("/nodes/missing_kitten/", json={"name": "missing_kitten",
                                                          "locked": True})
    assert_envelope(response, 404, UPDATE_MISSING)


def test_jobs_nonexistent(client):
    assert_envelope(client.get("/nodes/missing_kitten/jobs/"), 404)


def test_job_stats_nonexistent(client):
    assert_envelope(client.get("/nodes/missing_kitten/job_stats/"), 404)


# --- §7.13 models/test_nodes.py, as HTTP ----------------------------------------------------

def test_model_basic_creation(client):
    create_node(client, "new_node")
    assert get_node(client, "new_node") == default_node("new_node")


def test_model_basic_deletion(client):
    create_node(client, "doomed")
    assert client.delete("/nodes/doomed/").status_code == 200
    assert node_list(client) == []


def test_model_init_sets_machine_type(client):
    create_node(client, "typed", machine_type="smithi")
    assert get_node(client, "typed")["machine_type"] == "smithi"


def test_model_invalid_is_vm_is_rejected(client):
    assert_envelope(client.post("/nodes/", json={"name": "vm", "is_vm": "maybe"}), 400)
    assert_envelope(client.get("/nodes/vm/"), 404, NODE_NOT_FOUND)


def test_model_vm_host_relation_both_ways(client):
    create_node(client, "host", is_vm=False)
    create_node(client, "guest1", is_vm=True, vm_host="host")
    create_node(client, "guest2", is_vm=True, vm_host="host")
    host = get_node(client, "host")
    assert host["vm_host"] is None
    for guest in ("guest1", "guest2"):
        assert get_node(client, guest)["vm_host"] == host
    # the host side: its guests are the nodes naming it as vm_host
    guests = [node["name"] for node in node_list(client)
              if node["vm_host"] and node["vm_host"]["name"] == "host"]
    assert guests == ["guest1", "guest2"]


# --- GET /nodes/: list, order, filters ------------------------------------------------------

def test_node_list_holds_full_node_json_in_spec_key_order(client):
    create_node(client, "full", description="hello", up=True, machine_type="smithi",
                os_type="ubuntu", os_version="22.04", arch="x86_64", mac_address="aa:bb",
                ssh_pub_key="ssh-ed25519 X")
    response = client.get("/nodes/")
    (node,) = response.get_json()
    assert list(node) == list(NODE_KEYS)
    assert node == {"name": "full", "description": "hello", "up": True,
                    "machine_type": "smithi", "is_vm": False, "vm_host": None,
                    "os_type": "ubuntu", "os_version": "22.04", "arch": "x86_64",
                    "locked": False, "locked_since": None, "locked_by": None,
                    "mac_address": "aa:bb", "ssh_pub_key": "ssh-ed25519 X"}
    assert node == get_node(client, "full")


def test_node_list_is_in_insertion_order(client):
    order = ["zeta", "alpha", "mike", "bravo", "yankee"]
    for name in order:
        create_node(client, name)
    assert names(node_list(client)) == order


def test_node_list_with_several_machine_types_keeps_insertion_order(client):
    create_node(client, "n1", machine_type="b")
    create_node(client, "n2", machine_type="a")
    create_node(client, "n3", machine_type="c")
    create_node(client, "n4", machine_type="b")
    create_node(client, "n5", machine_type="a")
    assert names(node_list(client, "?machine_type=a|b")) == ["n1", "n2", "n4", "n5"]


def test_node_list_count_takes_the_first_inserted(client):
    for name in ("e", "d", "c", "b", "a"):
        create_node(client, name)
    assert names(node_list(client, "?count=2")) == ["e", "d"]


def test_node_list_count_larger_than_total_returns_all(client):
    create_node(client, "a")
    create_node(client, "b")
    assert names(node_list(client, "?count=10")) == ["a", "b"]


@pytest.mark.parametrize("count", ["abc", "1.5", "2x", "", "0x1"])
def test_node_list_count_must_be_an_integer(client, count):
    create_node(client, "a")
    response = client.get("/nodes/", query_string={"count": count})
    assert_envelope(response, 400, COUNT_NOT_INTEGER)


@pytest.mark.parametrize("count", ["-5", str(2 ** 63 - 1), "1000000001"])
def test_node_list_count_names_its_range(client, count):
    response = client.get("/nodes/", query_string={"count": count})
    assert_envelope(response, 400, COUNT_RANGE)


def test_node_list_pages_in_creation_order(client):
    for name in ("a", "b", "c", "d", "e"):
        create_node(client, name)
    assert names(node_list(client, "?count=2&page=1")) == ["a", "b"]
    assert names(node_list(client, "?count=2&page=3")) == ["e"]
    assert names(node_list(client, "?count=2&page=4")) == []
    assert names(node_list(client, "?count=0&page=3")) == ["a", "b", "c", "d", "e"]


def test_node_list_filters_by_one_machine_type(client):
    create_node(client, "s1", machine_type="smithi")
    create_node(client, "m1", machine_type="mira")
    create_node(client, "s2", machine_type="smithi")
    create_node(client, "x", machine_type="smithi2")
    assert names(node_list(client, "?machine_type=smithi")) == ["s1", "s2"]


def test_node_list_machine_type_pipe_list_of_three(client):
    for name, kind in (("a1", "a"), ("b1", "b"), ("c1", "c"), ("d1", "d"), ("c2", "c")):
        create_node(client, name, machine_type=kind)
    assert names(node_list(client, "?machine_type=a|b|c")) == ["a1", "b1", "c1", "c2"]


def test_node_list_machine_type_pipe_url_encoded(client):
    for name, kind in (("a1", "a"), ("b1", "b"), ("c1", "c"), ("d1", "d")):
        create_node(client, name, machine_type=kind)
    assert names(node_list(client, "?machine_type=a%7Cb%7Cc")) == ["a1", "b1", "c1"]
    assert names(node_list(client, "?machine_type=d%7cb")) == ["b1", "d1"]


def test_node_list_machine_type_with_no_match_is_empty(client):
    create_node(client, "a1", machine_type="a")
    assert node_list(client, "?machine_type=zzz") == []
    assert node_list(client, "?machine_type=zzz|yyy") == []


def test_node_list_filters_by_os_type(client):
    create_node(client, "u1", os_type="ubuntu")
    create_node(client, "r1", os_type="rhel")
    create_node(client, "u2", os_type="ubuntu")
    assert names(node_list(client, "?os_type=ubuntu")) == ["u1", "u2"]


def test_node_list_filters_by_os_version(client):
    create_node(client, "a", os_version="22.04")
    create_node(client, "b", os_version="20.04")
    create_node(client, "c", os_version="22.04")
    assert names(node_list(client, "?os_version=22.04")) == ["a", "c"]


def test_node_list_filters_by_locked_by(client):
    create_node(client, "a", locked=True, locked_by="alice@host")
    create_node(client, "b", locked=True, locked_by="bob@host")
    create_node(client, "c", locked=True, locked_by="alice@host")
    create_node(client, "d")
    assert names(node_list(client, "?locked_by=alice@host")) == ["a", "c"]
    assert names(node_list(client, "?locked_by=alice%40host")) == ["a", "c"]


def test_node_list_combines_filters(client):
    create_node(client, "hit", machine_type="smithi", os_type="ubuntu", os_version="22.04",
                up=True, locked=True, locked_by="me")
    create_node(client, "other_type", machine_type="mira", os_type="ubuntu",
                os_version="22.04", up=True, locked=True, locked_by="me")
    create_node(client, "other_os", machine_type="smithi", os_type="rhel", os_version="22.04",
                up=True, locked=True, locked_by="me")
    create_node(client, "down", machine_type="smithi", os_type="ubuntu", os_version="22.04",
                up=False, locked=True, locked_by="me")
    create_node(client, "free", machine_type="smithi", os_type="ubuntu", os_version="22.04",
                up=True)
    query = "?machine_type=smithi&os_type=ubuntu&os_version=22.04&up=1&locked=1&locked_by=me"
    assert names(node_list(client, query)) == ["hit"]


@pytest.mark.parametrize("parameter", ["machine_type", "os_type", "os_version", "locked_by"])
def test_node_list_ignores_empty_string_filters(client, parameter):
    create_node(client, "a", machine_type="smithi", os_type="ubuntu", os_version="22.04",
                locked=True, locked_by="me")
    create_node(client, "b")
    assert names(node_list(client, f"?{parameter}=")) == ["a", "b"]


def boolean_fixture_nodes(client):
    create_node(client, "locked_up", locked=True, locked_by="x", up=True)
    create_node(client, "free_down", locked=False, up=False)
    create_node(client, "free_unknown", locked=False)  # up is null


@pytest.mark.parametrize("spelling", cased(TRUE_SPELLINGS))
def test_node_list_locked_and_up_accept_true_spelling(client, spelling):
    boolean_fixture_nodes(client)
    assert names(node_list(client, f"?locked={spelling}")) == ["locked_up"]
    assert names(node_list(client, f"?up={spelling}")) == ["locked_up"]


@pytest.mark.parametrize("spelling", cased(FALSE_SPELLINGS))
def test_node_list_locked_and_up_accept_false_spelling(client, spelling):
    boolean_fixture_nodes(client)
    assert names(node_list(client, f"?locked={spelling}")) == ["free_down", "free_unknown"]
    # an unknown (null) `up` is neither up nor down
    assert names(node_list(client, f"?up={spelling}")) == ["free_down"]


@pytest.mark.parametrize("parameter", ["locked", "up"])
@pytest.mark.parametrize("value", ["", "maybe", "2", "tru", "yess", "null", "none", "-1",
                                   "truefalse", "10"])
def test_node_list_rejects_unknown_boolean_spelling(client, parameter, value):
    boolean_fixture_nodes(client)
    assert_envelope(client.get("/nodes/", query_string={parameter: value}), 400)


def test_node_list_ignores_unknown_parameters(client):
    create_node(client, "a")
    assert names(node_list(client, "?colour=blue&page=3")) == ["a"]


def test_node_json_never_includes_user(client):
    create_node(client, "inv", user="ubuntu", machine_type="smithi", up=True)
    assert "user" not in get_node(client, "inv")
    assert "user" not in node_list(client)[0]
    response = client.post("/nodes/lock_many/", json={
        "count": 1, "machine_type": "smithi", "description": "d", "locked_by": "me"})
    assert response.status_code == 200
    assert "user" not in response.get_json()[0]


# --- POST /nodes/ ---------------------------------------------------------------------------

def test_post_applies_every_whitelisted_field(client):
    create_node(client, "host")
    create_node(client, "full", description="desc", up=True, machine_type="vps",
                arch="aarch64", is_vm=True, os_type="centos", os_version="9",
                vm_host="host", mac_address="aa:bb:cc:dd:ee:ff", ssh_pub_key="ssh-rsa K")
    node = get_node(client, "full")
    assert node == {**default_node("full"), "description": "desc", "up": True,
                    "machine_type": "vps", "arch": "aarch64", "is_vm": True,
                    "os_type": "centos", "os_version": "9", "vm_host": get_node(client, "host"),
                    "mac_address": "aa:bb:cc:dd:ee:ff", "ssh_pub_key": "ssh-rsa K"}


def test_post_ignores_unknown_keys(client):
    create_node(client, "n", colour="blue", id=7, rev=99)
    assert get_node(client, "n") == default_node("n")


def test_post_created_locked_sets_locked_since_without_lock_checks(client):
    before = utcnow() - timedelta(seconds=1)
    # creation skips the lock rules: no description, and it is "already" in the given state
    create_node(client, "n", locked=True, locked_by="owner@host")
    after = utcnow()
    node = get_node(client, "n")
    assert node["locked"] is True
    assert node["locked_by"] == "owner@host"
    assert before <= parse_time(node["locked_since"]) <= after


def test_post_created_locked_without_locked_by_is_allowed(client):
    create_node(client, "n", locked=True)
    node = get_node(client, "n")
    assert node["locked"] is True
    assert node["locked_by"] is None


def test_post_created_unlocked_forces_locked_by_null(client):
    create_node(client, "n", locked=False, locked_by="ghost")
    node = get_node(client, "n")
    assert node["locked"] is False
    assert node["locked_by"] is None
    assert node["locked_since"] is None


def test_post_without_body_is_400(client):
    assert_envelope(client.post("/nodes/"), 400, BAD_JSON)


def test_post_with_malformed_json_is_400(client):
    response = client.post("/nodes/", data="{name: nope", content_type="application/json")
    assert_envelope(response, 400, BAD_JSON)


@pytest.mark.parametrize("body", ["[]", "\"name\"", "7", "[{\"name\": \"x\"}]"])
def test_post_with_non_object_json_is_400(client, body):
    response = client.post("/nodes/", data=body, content_type="application/json")
    assert_envelope(response, 400)
    assert node_list(client) == []


def test_post_with_empty_name_string_is_400(client):
    assert_envelope(client.post("/nodes/", json={"name": ""}), 400, NAME_REQUIRED)


def test_post_duplicate_message_ends_with_already_exists(client):
    create_node(client, "smithi001.front.sepia.ceph.com", machine_type="smithi")
    response = client.post("/nodes/", json={"name": "smithi001.front.sepia.ceph.com",
                                            "machine_type": "other"})
    message = assert_envelope(response, 400)
    assert message.endswith("already exists")
    assert get_node(client, "smithi001.front.sepia.ceph.com")["machine_type"] == "smithi"


def test_post_with_unknown_vm_host_is_400_and_creates_nothing(client):
    assert_envelope(client.post("/nodes/", json={"name": "guest", "vm_host": "nohost"}), 400)
    assert_envelope(client.get("/nodes/guest/"), 404, NODE_NOT_FOUND)


def test_post_accepts_json_without_content_type(client):
    response = client.post("/nodes/", data=json.dumps({"name": "plain", "up": True}))
    assert response.status_code == 200
    assert get_node(client, "plain")["up"] is True


# --- GET /nodes/{node}/ ---------------------------------------------------------------------

def test_get_node_returns_full_json_in_key_order(client):
    create_node(client, "n", machine_type="smithi")
    response = client.get("/nodes/n/")
    assert response.status_code == 200
    assert ordered_keys(response) == list(NODE_KEYS)


def test_get_node_without_trailing_slash(client):
    create_node(client, "n")
    response = client.get("/nodes/n", follow_redirects=True)
    assert response.status_code == 200
    assert response.get_json()["name"] == "n"


def test_vm_host_is_nested_recursively(client):
    create_node(client, "metal", machine_type="smithi")
    create_node(client, "hypervisor", is_vm=True, vm_host="metal")
    create_node(client, "guest", is_vm=True, vm_host="hypervisor")
    guest = get_node(client, "guest")
    assert guest["vm_host"]["name"] == "hypervisor"
    assert list(guest["vm_host"]) == list(NODE_KEYS)
    assert guest["vm_host"]["vm_host"] == get_node(client, "metal")
    assert guest["vm_host"] == get_node(client, "hypervisor")
    listed = {node["name"]: node for node in node_list(client)}
    assert listed["guest"] == guest


# --- PUT /nodes/{node}/ ---------------------------------------------------------------------

def test_put_node_updates_whitelisted_fields_and_answers_empty_object(client):
    create_node(client, "n")
    create_node(client, "host")
    body = {"description": "d", "up": False, "machine_type": "vps", "arch": "x86_64",
            "is_vm": True, "os_type": "ubuntu", "os_version": "24.04", "vm_host": "host",
            "mac_address": "11:22", "ssh_pub_key": "ssh-ed25519 NEW"}
    response = client.put("/nodes/n/", json=body)
    assert response.status_code == 200
    assert response.get_json() == {}
    assert get_node(client, "n") == {**default_node("n"), **body,
                                     "vm_host": get_node(client, "host")}


def test_put_node_cannot_rename(client):
    create_node(client, "n")
    assert client.put("/nodes/n/", json={"name": "renamed", "up": True}).status_code == 200
    assert get_node(client, "n")["up"] is True
    assert_envelope(client.get("/nodes/renamed/"), 404, NODE_NOT_FOUND)


def test_put_node_ignores_unknown_keys(client):
    create_node(client, "n", machine_type="smithi")
    assert client.put("/nodes/n/", json={"user": "ubuntu", "colour": "red"}).status_code == 200
    assert get_node(client, "n") == default_node("n", "smithi")


def test_put_node_leaves_unmentioned_fields_alone(client):
    create_node(client, "n", machine_type="smithi", os_type="ubuntu", description="keep")
    assert client.put("/nodes/n/", json={"up": True}).status_code == 200
    node = get_node(client, "n")
    assert (node["machine_type"], node["os_type"], node["description"], node["up"]) == (
        "smithi", "ubuntu", "keep", True)


def test_put_node_with_unknown_vm_host_is_400_and_changes_nothing(client):
    create_node(client, "n", up=True)
    response = client.put("/nodes/n/", json={"vm_host": "nohost", "up": False})
    assert_envelope(response, 400)
    assert get_node(client, "n")["up"] is True
    assert get_node(client, "n")["vm_host"] is None


def test_put_node_vm_host_null_clears_it(client):
    create_node(client, "host")
    create_node(client, "guest", is_vm=True, vm_host="host")
    assert client.put("/nodes/guest/", json={"vm_host": None}).status_code == 200
    assert get_node(client, "guest")["vm_host"] is None


def test_put_node_with_malformed_json_is_400(client):
    create_node(client, "n")
    assert_envelope(client.put("/nodes/n/", data="{oops", content_type="application/json"),
                    400, BAD_JSON)


def test_put_node_without_body_is_400(client):
    create_node(client, "n")
    assert_envelope(client.put("/nodes/n/"), 400, BAD_JSON)


def test_put_node_lock_rule_violation_is_403_not_500(client):
    create_node(client, "n", locked=True, locked_by="owner")
    response = client.put("/nodes/n/", json={"locked": True, "locked_by": "thief"})
    assert_envelope(response, 403, "Cannot lock an already-locked node")
    assert get_node(client, "n")["locked_by"] == "owner"


# --- DELETE /nodes/{node}/ ------------------------------------------------------------------

def test_delete_missing_node_is_404(client):
    assert_envelope(client.delete("/nodes/ghost/"), 404, NODE_NOT_FOUND)


def test_delete_node_keeps_jobs_but_unlinks_them(client, database):
    run = create_run(client, unique_name())
    job_id = post_job(client, run, {"targets": targets_for("a", "b"), "status": "pass"})
    assert client.delete("/nodes/a/").status_code == 200
    job = get_job(client, run, job_id)
    assert job["targets"] == targets_for("a", "b")  # the stored targets stay verbatim
    assert database.jobs.find_one({"run": run, "job_id": job_id})["target_nodes"] == ["b"]
    assert [j["job_id"] for j in node_jobs(client, "b")] == [job_id]
    assert client.get(f"/runs/{run}/").get_json()["results"]["pass"] == 1


def test_recreated_node_has_no_history_of_the_deleted_one(client):
    run = create_run(client, unique_name())
    post_job(client, run, {"targets": targets_for("a"), "status": "fail"})
    assert client.delete("/nodes/a/").status_code == 200
    create_node(client, "a")
    assert node_jobs(client, "a") == []
    assert client.get("/nodes/a/job_stats/").get_json() == dict.fromkeys(SEVEN_STATUSES, 0)
    assert client.get("/nodes/job_stats/").get_json() == {}


# --- §5.6 targets -> nodes ------------------------------------------------------------------

def test_targets_create_nodes_with_the_jobs_machine_type(client):
    run = create_run(client, unique_name())
    post_job(client, run, {"machine_type": "smithi", "status": "queued",
                           "targets": targets_for("smithi001.front", "smithi002.front")})
    assert node_list(client) == [default_node("smithi001.front", "smithi"),
                                 default_node("smithi002.front", "smithi")]


def test_targets_without_machine_type_create_typeless_nodes(client):
    run = create_run(client, unique_name())
    post_job(client, run, {"targets": targets_for("t1")})
    assert get_node(client, "t1") == default_node("t1")


def test_target_key_without_user_is_the_hostname(client):
    run = create_run(client, unique_name())
    post_job(client, run, {"targets": {"bare.host": "key", "ubuntu@with.user": "key"}})
    assert sorted(names(node_list(client))) == ["bare.host", "with.user"]


def test_targets_do_not_modify_existing_nodes(client):
    create_node(client, "t1", machine_type="mira", locked=True, locked_by="x", up=True,
                description="in use")
    before = get_node(client, "t1")
    run = create_run(client, unique_name())
    job_id = post_job(client, run, {"machine_type": "smithi", "targets": targets_for("t1")})
    assert get_node(client, "t1") == before
    assert [j["job_id"] for j in node_jobs(client, "t1")] == [job_id]


def test_targets_link_jobs_to_nodes(client):
    run = create_run(client, unique_name())
    first = post_job(client, run, {"targets": targets_for("a", "b")})
    second = post_job(client, run, {"targets": targets_for("b", "c")})
    assert [j["job_id"] for j in node_jobs(client, "a")] == [first]
    assert sorted(j["job_id"] for j in node_jobs(client, "b")) == sorted([first, second])
    assert [j["job_id"] for j in node_jobs(client, "c")] == [second]


def test_null_or_empty_targets_create_no_nodes(client):
    run = create_run(client, unique_name())
    post_job(client, run, {"targets": None})
    post_job(client, run, {"targets": {}})
    assert node_list(client) == []


def test_put_with_more_targets_adds_nodes_and_links(client):
    run = create_run(client, unique_name())
    job_id = post_job(client, run, {"targets": targets_for("a")})
    put_job(client, run, job_id, {"targets": targets_for("a", "b")})
    assert names(node_list(client)) == ["a", "b"]
    assert [j["job_id"] for j in node_jobs(client, "b")] == [job_id]
    assert [j["job_id"] for j in node_jobs(client, "a")] == [job_id]


def test_put_with_fewer_or_as_many_targets_adds_nothing_and_keeps_links(client):
    run = create_run(client, unique_name())
    job_id = post_job(client, run, {"targets": targets_for("a", "b")})
    put_job(client, run, job_id, {"targets": targets_for("c")})
    put_job(client, run, job_id, {"targets": targets_for("c", "d")})
    assert names(node_list(client)) == ["a", "b"]
    for node in ("a", "b"):
        assert [j["job_id"] for j in node_jobs(client, node)] == [job_id]
    # the stored targets are whatever was sent last
    assert get_job(client, run, job_id)["targets"] == targets_for("c", "d")


def test_put_with_a_larger_different_target_set_links_all_new_hosts(client):
    run = create_run(client, unique_name())
    job_id = post_job(client, run, {"targets": targets_for("a", "b")})
    put_job(client, run, job_id, {"targets": targets_for("c", "d", "e")})
    assert names(node_list(client)) == ["a", "b", "c", "d", "e"]
    for node in ("a", "b", "c", "d", "e"):
        assert [j["job_id"] for j in node_jobs(client, node)] == [job_id]


# --- GET /nodes/{node}/jobs/ ----------------------------------------------------------------

@pytest.fixture
def five_jobs_on_t1(client, database):
    """Five jobs on node t1 posted at known, distinct times; returns their ids oldest first."""
    run = create_run(client, unique_name())
    ids = [post_job(client, run, {"targets": targets_for("t1"), "status": "running",
                                  "name": run}) for _ in range(5)]
    for hour, job_id in enumerate(ids):
        database.jobs.update_one({"run": run, "job_id": job_id},
                                 {"$set": {"posted": datetime(2025, 3, 1, hour)}})
    return ids


def test_node_jobs_are_newest_posted_first(client, five_jobs_on_t1):
    assert [j["job_id"] for j in node_jobs(client, "t1")] == list(reversed(five_jobs_on_t1))


def test_node_jobs_are_full_job_json(client):
    run = create_run(client, unique_name())
    job_id = post_job(client, run, {"targets": targets_for("t1"), "status": "queued"})
    (job,) = node_jobs(client, "t1")
    assert list(job) == list(JOB_KEYS)
    assert job == get_job(client, run, job_id)


def test_node_jobs_count_zero_or_absent_returns_everything(client, five_jobs_on_t1):
    assert len(node_jobs(client, "t1")) == 5
    assert len(node_jobs(client, "t1", "?count=0")) == 5


def test_node_jobs_count_limits(client, five_jobs_on_t1):
    newest_first = list(reversed(five_jobs_on_t1))
    assert [j["job_id"] for j in node_jobs(client, "t1", "?count=2")] == newest_first[:2]


def test_node_jobs_count_and_page(client, five_jobs_on_t1):
    newest_first = list(reversed(five_jobs_on_t1))
    page = lambda n: [j["job_id"] for j in node_jobs(client, "t1", f"?count=2&page={n}")]
    assert page(1) == newest_first[:2]
    assert page(2) == newest_first[2:4]
    assert page(3) == newest_first[4:]
    assert page(4) == []
    assert page(40) == []


def test_node_jobs_filter_by_name(client):
    run_a = create_run(client, unique_name("runa"))
    run_b = create_run(client, unique_name("runb"))
    a = post_job(client, run_a, {"name": run_a, "targets": targets_for("t1")})
    post_job(client, run_b, {"name": run_b, "targets": targets_for("t1")})
    got = node_jobs(client, "t1", f"?name={run_a}")
    assert [(j["name"], j["job_id"]) for j in got] == [(run_a, a)]
    assert node_jobs(client, "t1", "?name=nobody") == []


def test_node_jobs_filter_by_status(client):
    run = create_run(client, unique_name())
    failed = post_job(client, run, {"status": "fail", "targets": targets_for("t1")})
    post_job(client, run, {"status": "pass", "targets": targets_for("t1")})
    post_job(client, run, {"status": "fail", "targets": targets_for("t2")})
    assert [j["job_id"] for j in node_jobs(client, "t1", "?status=fail")] == [failed]


def test_node_jobs_filter_by_name_and_status_and_count(client):
    run = create_run(client, unique_name())
    other = create_run(client, unique_name())
    ids = [post_job(client, run, {"name": run, "status": "dead", "targets": targets_for("t1")})
           for _ in range(3)]
    post_job(client, run, {"name": run, "status": "pass", "targets": targets_for("t1")})
    post_job(client, other, {"name": other, "status": "dead", "targets": targets_for("t1")})
    got = node_jobs(client, "t1", f"?name={run}&status=dead&count=2")
    assert len(got) == 2
    assert {j["job_id"] for j in got} <= set(ids)
    assert {(j["name"], j["status"]) for j in got} == {(run, "dead")}


def test_node_jobs_only_lists_jobs_of_that_node(client):
    run = create_run(client, unique_name())
    post_job(client, run, {"targets": targets_for("other")})
    create_node(client, "idle")
    assert node_jobs(client, "idle") == []


def test_node_jobs_pulpito_paging(client, five_jobs_on_t1):
    # pulpito: GET /nodes/{name}/jobs/?count=20&page=p
    got = node_jobs(client, "t1", "?count=20&page=1")
    assert [j["job_id"] for j in got] == list(reversed(five_jobs_on_t1))
    assert node_jobs(client, "t1", "?count=20&page=2") == []


@pytest.mark.parametrize("query", ["?count=abc", "?count=-1", "?page=x"])
def test_node_jobs_bad_paging_is_400(client, query):
    create_node(client, "t1")
    assert_envelope(client.get(f"/nodes/t1/jobs/{query}"), 400)


# --- GET /nodes/{node}/job_stats/ -----------------------------------------------------------

def test_node_job_stats_of_a_node_without_jobs_has_all_seven_zeros(client):
    create_node(client, "idle")
    response = client.get("/nodes/idle/job_stats/")
    assert response.status_code == 200
    assert response.get_json() == dict.fromkeys(SEVEN_STATUSES, 0)


def test_node_job_stats_counts_every_status(client):
    run = create_run(client, unique_name())
    statuses = ["pass", "fail", "fail", "queued", "running", "dead", "dead", "dead",
                "waiting"]
    for status in statuses:
        post_job(client, run, {"status": status, "targets": targets_for("t1")})
    post_job(client, run, {"targets": targets_for("t1")})  # no status -> unknown
    post_job(client, run, {"status": "pass", "targets": targets_for("t2")})
    assert client.get("/nodes/t1/job_stats/").get_json() == {
        "pass": 1, "fail": 2, "queued": 1, "running": 1, "dead": 3, "unknown": 1,
        "waiting": 1}


def test_node_job_stats_has_no_time_window(client, database):
    run = create_run(client, unique_name())
    job_id = post_job(client, run, {"status": "pass", "targets": targets_for("t1")})
    database.jobs.update_one({"run": run, "job_id": job_id},
                             {"$set": {"posted": datetime(2014, 1, 1)}})
    assert client.get("/nodes/t1/job_stats/").get_json()["pass"] == 1


# --- GET /nodes/job_stats/ ------------------------------------------------------------------

def test_job_stats_without_jobs_is_empty_object(client):
    create_node(client, "idle")
    response = client.get("/nodes/job_stats/")
    assert response.status_code == 200
    assert response.get_json() == {}


def test_job_stats_omits_statuses_that_never_occur(client):
    run = create_run(client, unique_name())
    post_job(client, run, {"status": "pass", "targets": targets_for("t1")})
    post_job(client, run, {"status": "running", "targets": targets_for("t1")})
    assert client.get("/nodes/job_stats/").get_json() == {"t1": {"pass": 1, "running": 1}}


def test_job_stats_orders_nodes_by_total_ascending(client):
    run = create_run(client, unique_name())
    for status in ("fail", "pass", "running"):
        post_job(client, run, {"status": status, "targets": targets_for("smithi002")})
    post_job(client, run, {"status": "running", "targets": targets_for("smithi003")})
    for status in ("dead", "dead"):
        post_job(client, run, {"status": status, "targets": targets_for("smithi001")})
    response = client.get("/nodes/job_stats/")
    assert ordered_keys(response) == ["smithi003", "smithi001", "smithi002"]
    assert response.get_json() == {"smithi003": {"running": 1}, "smithi001": {"dead": 2},
                                   "smithi002": {"fail": 1, "pass": 1, "running": 1}}


def test_job_stats_default_window_is_fourteen_days(client, frozen_clock):
    now = datetime(2024, 3, 20, 12)
    run = create_run(client, unique_name())
    for status, days in (("fail", 15), ("pass", 13)):  # one run, posted over two weeks
        frozen_clock.utc = now - timedelta(days=days)
        post_job(client, run, {"status": status, "targets": targets_for("t1")})
    frozen_clock.utc = now
    assert client.get("/nodes/job_stats/").get_json() == {"t1": {"pass": 1}}


def test_job_stats_since_days_widens_and_narrows_the_window(client, frozen_clock):
    now = datetime(2024, 3, 20, 12)
    for status, days in (("dead", 20), ("fail", 2), ("pass", 0)):
        frozen_clock.utc = now - timedelta(days=days, hours=1 if days else 0)
        run = create_run(client, unique_name())
        post_job(client, run, {"status": status, "targets": targets_for("t1")})
    frozen_clock.utc = now
    stats = lambda days: client.get(f"/nodes/job_stats/?since_days={days}").get_json()
    assert stats(1) == {"t1": {"pass": 1}}
    assert stats(3) == {"t1": {"pass": 1, "fail": 1}}
    assert stats(30) == {"t1": {"pass": 1, "fail": 1, "dead": 1}}


@pytest.mark.parametrize("days", ["0", "-1", "-30", "36501", str(10 ** 12)])
def test_job_stats_since_days_out_of_range_is_400(client, days):
    assert_envelope(client.get(f"/nodes/job_stats/?since_days={days}"), 400, SINCE_DAYS)


@pytest.mark.parametrize("days", ["abc", "1.5", "", "7days"])
def test_job_stats_since_days_not_an_integer_is_400(client, days):
    assert_envelope(client.get("/nodes/job_stats/", query_string={"since_days": days}), 400)


def test_job_stats_with_machine_type_uses_node_type_and_job_type_or_multi(client):
    create_node(client, "s1", machine_type="smithi")
    create_node(client, "m1", machine_type="mira")
    run = create_run(client, unique_name())
    both = targets_for("s1", "m1")
    post_job(client, run, {"machine_type": "smithi", "status": "pass", "targets": both})
    post_job(client, run, {"machine_type": "multi", "status": "fail", "targets": both})
    post_job(client, run, {"machine_type": "mira", "status": "dead", "targets": both})
    post_job(client, run, {"status": "running", "targets": both})  # no machine_type
    assert client.get("/nodes/job_stats/?machine_type=smithi").get_json() == {
        "s1": {"pass": 1, "fail": 1}}
    assert client.get("/nodes/job_stats/?machine_type=mira").get_json() == {
        "m1": {"fail": 1, "dead": 1}}
    everything = client.get("/nodes/job_stats/").get_json()
    assert everything == {"s1": {"pass": 1, "fail": 1, "dead": 1, "running": 1},
                          "m1": {"pass": 1, "fail": 1, "dead": 1, "running": 1}}


def test_job_stats_without_trailing_slash_as_pulpito_calls_it(client):
    run = create_run(client, unique_name())
    post_job(client, run, {"machine_type": "smithi", "status": "pass",
                           "targets": targets_for("s1")})
    response = client.get("/nodes/job_stats?since_days=14&machine_type=smithi")
    assert response.status_code == 200
    assert response.get_json() == {"s1": {"pass": 1}}
    assert_envelope(client.get("/nodes/job_stats?since_days=0"), 400, SINCE_DAYS)


# --- GET /nodes/machine_types/ --------------------------------------------------------------

def test_machine_types_are_sorted_distinct_and_non_empty(client):
    create_node(client, "a", machine_type="vps")
    create_node(client, "b", machine_type="smithi")
    create_node(client, "c", machine_type="smithi")
    create_node(client, "d")
    create_node(client, "e", machine_type="")
    create_node(client, "f", machine_type="mira")
    assert client.get("/nodes/machine_types/").get_json() == ["mira", "smithi", "vps"]


def test_machine_types_of_no_nodes_is_empty_list(client):
    response = client.get("/nodes/machine_types/")
    assert response.status_code == 200
    assert response.get_json() == []


# --- teuthology's exact calls (clients.md §1.2 L1-L8) ---------------------------------------

def test_teuthology_l1_list_locks_with_encoded_pipe_and_numeric_booleans(client):
    create_node(client, "s1", machine_type="smithi", up=True, locked=False)
    create_node(client, "m1", machine_type="mira", up=True, locked=False)
    create_node(client, "s2", machine_type="smithi", up=False, locked=False)
    create_node(client, "s3", machine_type="smithi", up=True, locked=True, locked_by="t@h")
    create_node(client, "v1", machine_type="vps", up=True, locked=False)
    create_node(client, "m2", machine_type="mira", up=True, locked=False)
    got = node_list(client, "?machine_type=smithi%7Cmira&up=1&locked=0")
    assert names(got) == ["s1", "m1", "m2"]
    assert names(node_list(client, "?machine_type=smithi%7Cmira&up=1&locked=0&count=2")) == [
        "s1", "m1"]
    assert names(node_list(client, "?locked=1&locked_by=t%40h")) == ["s3"]
    assert names(node_list(client, "?up=0")) == ["s2"]


def test_teuthology_l1_unfiltered_list_returns_all_nodes(client):
    for name in ("a", "b", "c"):
        create_node(client, name)
    assert names(node_list(client)) == ["a", "b", "c"]


def test_teuthology_l1_os_filters(client):
    create_node(client, "a", machine_type="smithi", os_type="ubuntu", os_version="22.04")
    create_node(client, "b", machine_type="smithi", os_type="centos", os_version="9")
    assert names(node_list(client, "?machine_type=smithi&os_type=centos&os_version=9")) == ["b"]


def test_teuthology_l2_get_status_and_404(client):
    create_node(client, "smithi001.front.sepia.ceph.com", machine_type="smithi", up=True,
                locked=True, locked_by="scheduled_teuthology@teuthology",
                description="/archive/run/1")
    node = get_node(client, "smithi001.front.sepia.ceph.com")
    assert node["locked_by"] == "scheduled_teuthology@teuthology"
    assert node["is_vm"] is False
    assert node["vm_host"] is None
    assert_time(node["locked_since"])
    response = client.get("/nodes/smithi999.front.sepia.ceph.com/")
    assert_envelope(response, 404, NODE_NOT_FOUND)


def test_teuthology_l3_lock_many_reads_name_and_ssh_pub_key(client):
    for number in range(1, 4):
        create_node(client, f"smithi00{number}", machine_type="smithi", up=True,
                    os_type="ubuntu", os_version="22.04", arch="x86_64",
                    ssh_pub_key=f"ssh-ed25519 KEY{number}")
    response = client.post("/nodes/lock_many/", json={
        "locked_by": "scheduled_teuthology@teuthology", "count": 2,
        "machine_type": "smithi|mira", "description": "/archive/teuthology-run/42",
        "os_type": "ubuntu", "os_version": "22.04", "arch": "x86_64"})
    assert response.status_code == 200
    nodes = response.get_json()
    assert [(n["name"], n["ssh_pub_key"]) for n in nodes] == [
        ("smithi001", "ssh-ed25519 KEY1"), ("smithi002", "ssh-ed25519 KEY2")]
    for node in nodes:
        assert list(node) == list(NODE_KEYS)
        assert node["locked"] is True
        assert node["locked_by"] == "scheduled_teuthology@teuthology"
        assert node["description"] == "/archive/teuthology-run/42"
        assert_time(node["locked_since"])


def test_teuthology_l3_lock_many_insufficient_nodes_is_503(client):
    create_node(client, "smithi001", machine_type="smithi", up=True)
    response = client.post("/nodes/lock_many/", json={
        "locked_by": "u@h", "count": 2, "machine_type": "smithi", "description": None})
    assert_envelope(response, 503, "only 1 nodes available")


def test_teuthology_l4_lock_one_without_content_type(client):
    create_node(client, "smithi001", machine_type="smithi", up=True)
    body = {"name": "smithi001", "locked": True, "locked_by": "me@box",
            "description": "interactive"}
    response = client.put("/nodes/smithi001/lock/", data=json.dumps(body))
    assert response.status_code == 200, response.data
    assert ordered_keys(response) == list(LOCK_SUMMARY_KEYS)
    assert response.get_json() == {"name": "smithi001", "locked": True, "locked_by": "me@box",
                                   "machine_type": "smithi", "is_vm": False}
    node = get_node(client, "smithi001")
    assert node["description"] == "interactive"
    assert_time(node["locked_since"])


def test_teuthology_l4_lock_one_failure_message(client):
    create_node(client, "smithi001", machine_type="smithi", locked=True, locked_by="other")
    body = {"name": "smithi001", "locked": True, "locked_by": "me@box", "description": None}
    response = client.put("/nodes/smithi001/lock/", data=json.dumps(body))
    assert_envelope(response, 403, "Cannot lock an already-locked node")


def test_teuthology_l5_unlock_one_with_null_description(client):
    create_node(client, "smithi001", machine_type="smithi", locked=True, locked_by="me@box",
                description="/archive/run/7")
    body = {"name": "smithi001", "locked": False, "locked_by": "me@box", "description": None}
    response = client.put("/nodes/smithi001/lock/", data=json.dumps(body))
    assert response.status_code == 200, response.data
    assert response.get_json() == {"name": "smithi001", "locked": False, "locked_by": None,
                                   "machine_type": "smithi", "is_vm": False}
    node = get_node(client, "smithi001")
    assert (node["locked"], node["locked_by"], node["locked_since"]) == (False, None, None)
    assert node["description"] is None  # overwritten by what the body carries


def test_teuthology_l5_unlock_one_with_job_description(client):
    create_node(client, "smithi001", machine_type="smithi", locked=True, locked_by="sup@host",
                description="/archive/run/7")
    body = {"name": "smithi001", "locked": False, "locked_by": "sup@host",
            "description": "/archive/run/7"}
    response = client.put("/nodes/smithi001/lock/", data=json.dumps(body))
    assert response.status_code == 200
    assert get_node(client, "smithi001")["description"] == "/archive/run/7"


def test_teuthology_l5_unlock_one_403_cases(client):
    create_node(client, "free", machine_type="smithi")
    create_node(client, "theirs", machine_type="smithi", locked=True, locked_by="them@host")
    unlock = lambda name: client.put(f"/nodes/{name}/lock/", data=json.dumps(
        {"name": name, "locked": False, "locked_by": "me@box", "description": None}))
    assert_envelope(unlock("free"), 403, "Cannot unlock an already-unlocked node")
    assert_envelope(unlock("theirs"), 403, "Cannot unlock - locked_by values must match")
    assert_envelope(unlock("missing"), 404, NODE_NOT_FOUND)


def test_teuthology_l6_unlock_many(client):
    for name in ("a", "b", "c"):
        create_node(client, name, machine_type="smithi", locked=True, locked_by="me@box")
    response = client.post("/nodes/unlock_many/",
                           json={"locked_by": "me@box", "names": ["a", "b", "c"]})
    assert response.status_code == 200
    for summary in response.get_json():
        assert list(summary) == list(LOCK_SUMMARY_KEYS)
        assert summary["locked"] is False
        assert summary["locked_by"] is None
    assert names(node_list(client, "?locked=0")) == ["a", "b", "c"]


def test_teuthology_l7_update_lock_without_content_type(client):
    create_node(client, "smithi001", machine_type="smithi", up=True, locked=True,
                locked_by="me@box", description="old")
    body = {"description": "new desc", "up": False, "ssh_pub_key": "ssh-ed25519 NEWKEY"}
    response = client.put("/nodes/smithi001/", data=json.dumps(body))
    assert response.status_code == 200, response.data
    assert response.get_json() == {}
    node = get_node(client, "smithi001")
    assert (node["description"], node["up"], node["ssh_pub_key"]) == (
        "new desc", False, "ssh-ed25519 NEWKEY")
    assert (node["locked"], node["locked_by"]) == (True, "me@box")


def test_teuthology_l7_update_lock_each_field_alone(client):
    create_node(client, "n", up=True, description="d", ssh_pub_key="k")
    for body, field, value in ((json.dumps({"up": False}), "up", False),
                               (json.dumps({"description": "x"}), "description", "x"),
                               (json.dumps({"ssh_pub_key": "k2"}), "ssh_pub_key", "k2")):
        assert client.put("/nodes/n/", data=body).status_code == 200
        assert get_node(client, "n")[field] == value


def teuthology_update_inventory(client, inventory):
    """ops.update_inventory: PUT the node; on 404 POST it to /nodes/."""
    response = client.put(f"/nodes/{inventory['name']}/", json=inventory)
    if response.status_code == 404:
        return [response, client.post("/nodes/", json=inventory)]
    return [response]


def test_teuthology_l8_update_inventory_creates_then_updates(client):
    inventory = {"name": "smithi010.front", "user": "ubuntu", "arch": "x86_64",
                 "os_type": "ubuntu", "os_version": "22.04", "ssh_pub_key": "ssh-ed25519 A",
                 "up": True, "machine_type": "smithi"}
    first = teuthology_update_inventory(client, inventory)
    assert [r.status_code for r in first] == [404, 200]
    assert_envelope(first[0], 404, UPDATE_MISSING)
    assert get_node(client, "smithi010.front") == {
        **default_node("smithi010.front", "smithi"), "arch": "x86_64", "os_type": "ubuntu",
        "os_version": "22.04", "ssh_pub_key": "ssh-ed25519 A", "up": True}
    second = teuthology_update_inventory(client, {**inventory, "os_version": "24.04",
                                                  "ssh_pub_key": "ssh-ed25519 B"})
    assert [r.status_code for r in second] == [200]
    node = get_node(client, "smithi010.front")
    assert (node["os_version"], node["ssh_pub_key"]) == ("24.04", "ssh-ed25519 B")
    assert "user" not in node


def test_teuthology_l8_lab_bootstrap_with_lock_fields_can_be_rerun(client):
    inventory = {"name": "vpm001", "user": "ubuntu", "arch": "x86_64", "os_type": "ubuntu",
                 "os_version": "22.04", "ssh_pub_key": "k", "up": True, "machine_type": "vps",
                 "locked": True, "locked_by": "admin@lab", "description": "reserved"}
    assert [r.status_code for r in teuthology_update_inventory(client, inventory)] == [404, 200]
    node = get_node(client, "vpm001")
    assert (node["locked"], node["locked_by"], node["description"]) == (
        True, "admin@lab", "reserved")
    assert_time(node["locked_since"])
    # the same owner and description: an idempotent re-lock
    assert [r.status_code for r in teuthology_update_inventory(client, inventory)] == [200]


def test_teuthology_l8_post_on_an_existing_name_is_already_exists(client):
    create_node(client, "n")
    response = client.post("/nodes/", json={"name": "n", "user": "ubuntu"})
    assert assert_envelope(response, 400).endswith("already exists")


# --- pulpito (clients.md §4.4) --------------------------------------------------------------

def test_pulpito_lock_stats_up_true(client):
    create_node(client, "a", machine_type="smithi", up=True, locked=True, locked_by="x")
    create_node(client, "b", machine_type="smithi", up=False)
    create_node(client, "c", machine_type="mira", up=True)
    got = node_list(client, "?up=True")
    assert names(got) == ["a", "c"]
    assert [(n["locked"], n["locked_by"], n["machine_type"]) for n in got] == [
        (True, "x", "smithi"), (False, None, "mira")]
    assert names(node_list(client, "?up=True&machine_type=smithi")) == ["a"]


def test_pulpito_node_list_has_description_key_and_real_booleans(client):
    create_node(client, "a", machine_type="smithi", up=True)
    create_node(client, "b", machine_type="smithi", up=False, locked=True, locked_by="x")
    for node in node_list(client, "?machine_type=smithi"):
        assert "description" in node
        assert isinstance(node["up"], bool)
        assert isinstance(node["locked"], bool)
