"""How runs, jobs and nodes look in MongoDB after going through the API: real BSON datetimes
(millisecond precision), flat run fields, metadata as real subdocuments, keys MongoDB cannot
store as field names encoded and decoded back exactly, the target_nodes array, and the indexes
that make duplicates impossible (§5.7, §10 row 12)."""
from datetime import datetime

import pytest
from pymongo.errors import DuplicateKeyError

from tests.helpers import all_keys
from tests.integration.support import create_run, get_job, get_run, post_job, put_job

TEUTHOLOGY_RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"


def stored_job(database, run, job_id):
    doc = database.jobs.find_one({"run": run, "job_id": job_id})
    assert doc is not None
    return doc


# --- runs -----------------------------------------------------------------------------------

def test_run_document_has_flat_fields_and_bson_datetimes(client, database):
    create_run(client, TEUTHOLOGY_RUN)
    doc = database.runs.find_one({"name": TEUTHOLOGY_RUN})
    assert doc["name"] == TEUTHOLOGY_RUN
    assert (doc["user"], doc["suite"], doc["branch"], doc["machine_type"]) == \
        ("teuthology", "rados", "main-distro", "")
    assert doc["status"] == "empty"
    assert isinstance(doc["posted"], datetime)
    assert doc["scheduled"] == datetime(2026, 1, 2, 3, 4, 5)
    assert doc["started"] is None
    assert doc["updated"] is None


def test_run_document_corrected_by_job_data(client, database):
    post_job(client, TEUTHOLOGY_RUN, {"job_id": "1", "status": "running", "suite": "rados",
                                      "branch": "main", "machine_type": "smithi"})
    doc = database.runs.find_one({"name": TEUTHOLOGY_RUN})
    assert (doc["suite"], doc["branch"], doc["machine_type"]) == ("rados", "main", "smithi")
    assert doc["status"] == "running"
    assert isinstance(doc["started"], datetime)
    assert isinstance(doc["updated"], datetime)


def test_run_times_in_json_are_the_stored_times(client, database, run):
    post_job(client, run, {"status": "running"})
    doc = database.runs.find_one({"name": run})
    got = get_run(client, run)
    for key in ("posted", "scheduled", "started", "updated"):
        assert isinstance(doc[key], datetime)
        assert doc[key].microsecond % 1000 == 0  # MongoDB keeps milliseconds
        assert got[key] == str(doc[key])


def test_one_run_document_per_name(client, database):
    post_job(client, TEUTHOLOGY_RUN, {"job_id": "1"})
    post_job(client, TEUTHOLOGY_RUN, {"job_id": "2"})
    client.post("/runs/", json={"name": TEUTHOLOGY_RUN})
    assert database.runs.count_documents({"name": TEUTHOLOGY_RUN}) == 1


# --- jobs -----------------------------------------------------------------------------------

def test_job_document_has_bson_datetimes(client, database, run):
    job_id = post_job(client, run, {"status": "running", "timestamp": "2026-01-02_03:04:05",
                                    "updated": "2014-03-31 21:25:43"})
    doc = stored_job(database, run, job_id)
    assert doc["timestamp"] == datetime(2026, 1, 2, 3, 4, 5)
    assert doc["updated"] == datetime(2014, 3, 31, 21, 25, 43)
    assert isinstance(doc["posted"], datetime)
    assert isinstance(doc["started"], datetime)
    job = get_job(client, run, job_id)
    for key in ("posted", "started", "updated", "timestamp"):
        assert doc[key].microsecond % 1000 == 0
        assert job[key] == str(doc[key])


def test_job_document_belongs_to_its_run_by_name(client, database, run):
    job_id = post_job(client, run, {"status": "queued"})
    doc = stored_job(database, run, job_id)
    assert doc["run"] == run
    assert doc["job_id"] == job_id


def test_job_document_stores_normalised_types(client, database, run):
    post_job(client, run, {"job_id": 12, "pid": 4343, "os_version": 22.04, "duration": 60.0,
                           "nuke-on-error": True})
    doc = stored_job(database, run, "12")
    assert doc["job_id"] == "12"
    assert doc["pid"] == "4343"
    assert doc["os_version"] == "22.04"
    assert doc["duration"] == 60 and isinstance(doc["duration"], int)
    assert doc["nuke_on_error"] is True
    assert "nuke-on-error" not in doc


def test_unknown_keys_are_not_stored(client, database, run):
    job_id = post_job(client, run, {"status": "queued", "teuthology_sha1": "abc",
                                    "worker_log": "/w", "first_in_suite": False})
    doc = stored_job(database, run, job_id)
    for key in ("teuthology_sha1", "worker_log", "first_in_suite"):
        assert key not in doc


def test_metadata_is_stored_as_subdocuments(client, database, run):
    body = {
        "kernel": {"kdb": True, "sha1": "distro"},
        "overrides": {"ceph": {"conf": {"osd": {"debug osd": 20}}, "log-ignorelist": ["a"]}},
        "roles": [["mon.a", "osd.0"], ["client.0"]],
        "tasks": [{"install": None}, {"workunit": {"clients": {"client0": ["rados/t.sh"]}}}],
        "targets": {"smithi001": "ssh-ed25519 AAAA"},
    }
    job_id = post_job(client, run, body)
    doc = stored_job(database, run, job_id)
    for key, value in body.items():
        assert doc[key] == value, key
        assert not isinstance(doc[key], str)
    assert doc["overrides"]["ceph"]["conf"]["osd"]["debug osd"] == 20


def test_dotted_and_dollar_keys_round_trip_exactly(client, database, run):
    body = {
        "targets": {"ubuntu@smithi001.front.sepia.ceph.com": "ssh-ed25519 A",
                    "smithi002.front.sepia.ceph.com": "ssh-rsa B"},
        "tasks": [{"internal.check_packages": None}, {"internal.lock_machines": [1, "smithi"]},
                  {"ceph.healthy": {"$in": ["x"]}}],
        "overrides": {"$set": {"status": "pass"}, "a.b": {"c.d": {"$e": 1}},
                      "literal%2Epercent": "v", "100%": "x", "$": "$", ".": "."},
        "kernel": {"sha1.": "x", "$kernel": {"kdb.": True}},
        "roles": [[{"osd.0": {"$ref": "x"}}]],
    }
    job_id = post_job(client, run, body)
    job = get_job(client, run, job_id)
    for key, value in body.items():
        assert job[key] == value, key
    listed = client.get(f"/runs/{run}/jobs/").get_json()[0]
    embedded = get_run(client, run)["jobs"][0]
    projected = client.get(f"/runs/{run}/jobs/?fields=targets,tasks,overrides,kernel,roles") \
        .get_json()[0]
    for key, value in body.items():
        assert listed[key] == value
        assert embedded[key] == value
        assert projected[key] == value


def test_operator_like_metadata_keys_are_data_not_updates(client, database, run):
    job_id = post_job(client, run, {"status": "queued",
                                    "overrides": {"$set": {"status": "pass"}}})
    put_job(client, run, job_id, {"overrides": {"$inc": {"rev": 100}, "$unset": {"status": 1}}})
    job = get_job(client, run, job_id)
    assert job["status"] == "queued"
    assert job["overrides"] == {"$inc": {"rev": 100}, "$unset": {"status": 1}}


def test_stored_metadata_keys_have_no_dots_or_leading_dollars(client, database, run):
    job_id = post_job(client, run, {
        "targets": {"ubuntu@smithi001.front.sepia.ceph.com": "k"},
        "overrides": {"$set": {"a.b": 1}}})
    doc = stored_job(database, run, job_id)
    for key in all_keys({"targets": doc["targets"], "overrides": doc["overrides"]}):
        assert "." not in key and not key.startswith("$"), key


def test_metadata_values_are_never_changed(client, database, run):
    job_id = post_job(client, run, {"overrides": {"k": "a.b $c %2E"}, "description": "$x.y"})
    doc = stored_job(database, run, job_id)
    assert doc["overrides"] == {"k": "a.b $c %2E"}
    assert doc["description"] == "$x.y"


def test_target_nodes_array_holds_the_hostnames(client, database, run):
    job_id = post_job(client, run, {
        "machine_type": "smithi",
        "targets": {"ubuntu@smithi001.front.sepia.ceph.com": "k",
                    "smithi002.front.sepia.ceph.com": "k"}})
    doc = stored_job(database, run, job_id)
    assert sorted(doc["target_nodes"]) == ["smithi001.front.sepia.ceph.com",
                                           "smithi002.front.sepia.ceph.com"]
    nodes = {node["name"]: node for node in database.nodes.find()}
    assert set(nodes) == set(doc["target_nodes"])
    for node in nodes.values():
        assert node["machine_type"] == "smithi"
        assert node["locked"] is False


def test_target_nodes_is_not_part_of_the_job_json(client, run):
    job_id = post_job(client, run, {"targets": {"u@h.example": "k"}})
    assert "target_nodes" not in get_job(client, run, job_id)


def test_put_merges_into_the_stored_document(client, database, run):
    job_id = post_job(client, run, {"status": "queued", "description": "d", "seed": 1})
    before = stored_job(database, run, job_id)
    put_job(client, run, job_id, {"pid": 7})
    after = stored_job(database, run, job_id)
    assert after["_id"] == before["_id"]
    assert (after["description"], after["seed"], after["pid"]) == ("d", 1, "7")
    assert after["posted"] == before["posted"]


# --- indexes: duplicates impossible (§5.7, §10 row 12) --------------------------------------

def _index_with_keys(collection, keys):
    for info in collection.index_information().values():
        if [(name, int(direction)) for name, direction in info["key"]] == keys:
            return info
    return None


def test_unique_run_and_job_id_index_exists(database):
    info = _index_with_keys(database.jobs, [("run", 1), ("job_id", 1)])
    assert info is not None
    assert info.get("unique") is True


def test_unique_run_name_index_exists(database):
    info = _index_with_keys(database.runs, [("name", 1)])
    assert info is not None
    assert info.get("unique") is True


def test_unique_node_name_index_exists(database):
    info = _index_with_keys(database.nodes, [("name", 1)])
    assert info is not None
    assert info.get("unique") is True


def test_target_nodes_index_exists(database):
    indexed = [info["key"][0][0] for info in database.jobs.index_information().values()]
    assert "target_nodes" in indexed


def test_duplicate_job_document_is_refused_by_the_database(client, database, run):
    job_id = post_job(client, run, {"status": "queued"})
    with pytest.raises(DuplicateKeyError):
        database.jobs.insert_one({"run": run, "job_id": job_id})
    assert database.jobs.count_documents({"run": run}) == 1


def test_duplicate_run_document_is_refused_by_the_database(client, database, run):
    with pytest.raises(DuplicateKeyError):
        database.runs.insert_one({"name": run})
