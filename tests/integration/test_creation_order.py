"""Nodes and queues list in creation order: their `seq` from the database's counters, not their
ObjectIds (which order items created within one second by process, not by time)."""
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from bson import ObjectId

from paddles_mongo.domain.nodes import NODE_FIELDS, new_node
from paddles_mongo.repairs import StaleWriteRepairs
from paddles_mongo.services import creation_order
from tests.conftest import RUNS_SCRIPTS, run_script
from tests.integration.support import create_node

SECOND = datetime(2026, 12, 4, 2, 0, 0, tzinfo=timezone.utc)


def object_id(process):
    """An ObjectId of SECOND made by `process` (its 5-byte process part): within one second,
    ObjectIds order by that part, whatever order they were made in."""
    return ObjectId(ObjectId.from_datetime(SECOND).binary[:4] + bytes([process]) * 5
                    + b"\x00\x00\x01")


def store_node(database, name, process, seq=None, **fields):
    document = {**new_node(name, fields.pop("machine_type", "smithi")), **fields,
                "_id": object_id(process), "rev": 0}
    if seq is not None:
        document["seq"] = seq
    database.nodes.insert_one(document)


def node_names(client, query=""):
    return [node["name"] for node in client.get(f"/nodes/{query}").get_json()]


def test_nodes_list_by_creation_number_whatever_their_object_ids(client, database):
    # Created first by the process whose ObjectIds sort last.
    for seq, (name, process) in enumerate([("first", 9), ("second", 5), ("third", 1)], 1):
        store_node(database, name, process, seq=seq, up=True)
    assert node_names(client) == ["first", "second", "third"]
    assert node_names(client, "?machine_type=smithi") == ["first", "second", "third"]
    assert node_names(client, "?count=1&page=2") == ["second"]
    locked = client.post("/nodes/lock_many/", json={
        "count": 2, "locked_by": "me@x", "machine_type": "smithi", "description": "d"})
    assert locked.status_code == 200, locked.get_json()
    assert [node["name"] for node in locked.get_json()] == ["first", "second"]


def test_posted_nodes_and_queues_take_increasing_numbers(client, database):
    for name in ("n-a", "n-b", "n-c"):
        create_node(client, name)
    for name in ("q-a", "q-b"):
        assert client.post("/queue/", json={"queue": name}).status_code == 200
    assert [node["seq"] for node in database.nodes.find().sort("name")] == [1, 2, 3]
    assert [queue["seq"] for queue in database.queues.find().sort("queue")] == [1, 2]
    assert "seq" not in client.get("/nodes/n-a/").get_json()
    assert set(client.get("/nodes/n-a/").get_json()) == set(NODE_FIELDS)
    assert "seq" not in client.get("/queue/").get_json()[0]


def test_nodes_a_job_creates_are_numbered_in_the_order_of_its_targets(client, database, run):
    create_node(client, "known")
    targets = {f"ubuntu@new{index}.front.sepia.ceph.com": "key" for index in (3, 1, 2)}
    targets["ubuntu@known"] = "key"
    assert client.post(f"/runs/{run}/jobs/", json={"job_id": "1", "targets": targets}
                       ).status_code == 200
    assert node_names(client) == ["known"] + [f"new{index}.front.sepia.ceph.com"
                                              for index in (3, 1, 2)]
    assert sorted(node["seq"] for node in database.nodes.find()) == [1, 2, 3, 4]


@RUNS_SCRIPTS
def test_create_indexes_numbers_nodes_stored_without_a_number_in_object_id_order(
        database_uri, database, client):
    create_node(client, "numbered")
    store_node(database, "old-late", 7)
    store_node(database, "old-early", 2)
    assert database.queues.insert_one({"queue": "old-queue", "rev": 0}).acknowledged
    dry = run_script("create-indexes", database_uri, "--dry-run")
    assert "unnumbered: 2 nodes (it would number them)" in dry.stdout
    assert "unnumbered: 1 queues" in dry.stdout
    assert run_script("create-indexes", database_uri, "--check").returncode == 1
    assert database.nodes.count_documents({"seq": None}) == 2

    first = run_script("create-indexes", database_uri)
    assert first.returncode == 0, first.stderr
    assert "numbered 2 nodes in creation order" in first.stdout
    assert "numbered 1 queues in creation order" in first.stdout
    assert node_names(client) == ["numbered", "old-early", "old-late"]
    stored = {node["name"]: node["seq"] for node in database.nodes.find()}
    assert stored == {"numbered": 1, "old-early": 2, "old-late": 3}

    second = run_script("create-indexes", database_uri)
    assert "numbered" not in second.stdout
    assert run_script("create-indexes", database_uri, "--check").returncode == 0


@RUNS_SCRIPTS
def test_create_indexes_drops_the_node_indexes_it_replaced(database_uri, database):
    database.nodes.create_index([("machine_type", 1), ("_id", 1)], name="machine_type_id")
    result = run_script("create-indexes", database_uri)
    assert result.returncode == 0, result.stderr
    present = database.nodes.index_information()
    assert "machine_type_id" not in present
    assert present["machine_type_seq"]["key"] == [("machine_type", 1), ("seq", 1), ("_id", 1)]


def test_background_repairs_number_a_node_whose_request_died_before_numbering_it(
        client, database):
    create_node(client, "before")
    store_node(database, "orphan", 1)  # upserted by a request that died before numbering
    assert node_names(client) == ["orphan", "before"]  # unnumbered: listed first, for now
    repairs = StaleWriteRepairs(database, stale_seconds=60, interval_seconds=60)
    assert repairs.repair_once() == 0
    assert node_names(client) == ["before", "orphan"]
    assert creation_order.number_unnumbered(database) == {"nodes": 0, "queues": 0}


def test_the_first_use_of_a_counter_by_many_callers_gives_each_its_own_numbers(database):
    with ThreadPoolExecutor(max_workers=8) as pool:
        firsts = list(pool.map(lambda _: database.take_numbers("fresh", 3), range(16)))
    # Each caller has its block of 3 to itself. (Numbers may go unused: an upsert that lost
    # the race to create the counter may have counted before answering nothing.)
    blocks = sorted(firsts)
    assert blocks[0] >= 1 and len(set(blocks)) == 16
    assert all(later - earlier >= 3 for earlier, later in zip(blocks, blocks[1:]))
