"""Every response the API reference documents with a schema (docs/openapi.json, generated from
the code) is what the route really answers: the same keys, values of the documented types, null
only where documented (a property documented "only when ..." may be absent)."""
import json
import pathlib
import re

import pytest

from tests.integration.support import create_node, create_run, post_job

OPENAPI = json.loads((pathlib.Path(__file__).resolve().parents[2] / "docs" / "openapi.json")
                     .read_text())
COMPONENTS = OPENAPI["components"]["schemas"]
TYPES = {"string": str, "integer": int, "boolean": bool, "number": (int, float),
         "array": list, "object": dict}

RUN = "teuthology-2024-03-05_10:00:00-rados-main-distro-default-smithi"
NODE, HOST = "smithi001.front.sepia.ceph.com", "host001.front.sepia.ceph.com"
QUEUE = "smithi"
# A value for each path parameter, and for the rest of each run filter chain.
PARAMETERS = {"run_name": RUN, "job_id": "1", "node_name": NODE, "path_queue": QUEUE}
CHAINS = {"branch": "main", "suite": "rados", "machine_type": "smithi", "status": "queued",
          "user": "teuthology", "sha1": "abc", "flavor": "default", "flavors": "default",
          "date": "2024-03-05"}
OWNER = "me@x"
QUEUE_BODY = {"queue": QUEUE}
# The body each write sends (the others send none).
BODIES = {
    ("POST", "/nodes/"): {"name": "smithi002.front.sepia.ceph.com", "machine_type": "smithi"},
    ("PUT", "/nodes/{node_name}/"): {"description": "reimaging"},
    ("POST", "/nodes/lock_many/"): {"count": 1, "locked_by": OWNER, "machine_type": "smithi",
                                    "description": "d"},
    ("POST", "/nodes/unlock_many/"): {"names": [NODE], "locked_by": OWNER},
    ("PUT", "/nodes/{node_name}/lock"): {"locked": False, "locked_by": OWNER},
    ("POST", "/nodes/{node_name}/lock"): {"locked": False, "locked_by": OWNER},
    ("POST", "/queue/"): {"queue": "mira"},
    ("PUT", "/queue/"): {"queue": QUEUE, "pause_duration": 60, "paused_by": OWNER},
    ("POST", "/runs/"): {"name": "teuthology-2024-03-06_10:00:00-rbd-main-distro-default-smithi"},
    ("POST", "/runs/{run_name}/jobs/"): {"job_id": "3"},
    ("PUT", "/runs/{run_name}/jobs/{job_id}/"): {"status": "running"},
}
# The query each route with required parameters sends.
QUERIES = {"/tests/history/": "?suite=rados&description=rados/t", "/tests/flaky/": "?suite=rados",
           "/failures/jobs/": "?signature=Command%20failed%20on%20%3Chost%3E",
           "/trends/": "?suite=rados"}
# The queue routes, which read the queue's name from a body whatever the method.
QUEUE_READS = ("/queue/pop_queue/", "/queue/pop_queue/{path_queue}", "/queue/queued_jobs/",
               "/queue/stats/", "/queue/stats/{path_queue}")


def documented_answer(operation):
    """The schema of an OpenAPI operation's 200 answer, or None."""
    response = operation.get("responses", {}).get("200", {})
    return response.get("content", {}).get("application/json", {}).get("schema")


def documented_answers():
    """(method, url, body, schema) of every route and method whose 200 answer has a documented
    schema."""
    for path, operations in sorted(OPENAPI["paths"].items()):
        for method, operation in sorted(operations.items()):
            if method == "parameters":
                continue
            schema = documented_answer(operation)
            if schema is None:
                continue
            method = method.upper()
            body = QUEUE_BODY if path in QUEUE_READS else BODIES.get((method, path))
            url = path
            if "{rest}" in path:
                url = path.replace("{rest}", CHAINS[path.split("/")[2]] + "/")
            url = re.sub(r"\{(\w+)\}", lambda match: PARAMETERS[match.group(1)], url)
            yield method, url + QUERIES.get(path, ""), body, schema


def resolved(schema):
    return COMPONENTS[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema


def mismatches(value, schema, where="$"):
    """Where `value` differs from the OpenAPI `schema` (a list of messages)."""
    if "anyOf" in schema:
        # apispec's nullable nested schema: [{"nullable": true, "type": "object"}, {"$ref"}]
        nullable = any(branch.get("nullable") for branch in schema["anyOf"])
        if value is None:
            return [] if nullable else [f"{where}: null, not documented nullable"]
        found = [mismatches(value, branch, where) for branch in schema["anyOf"]
                 if "$ref" in branch]
        return [] if [] in found else [message for branch in found for message in branch]
    schema = resolved(schema)
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null, not documented nullable"]
    kind = schema.get("type", "object" if "properties" in schema else None)
    if kind is None:
        return []  # free-form (job metadata)
    expected = TYPES[kind]
    if not isinstance(value, expected) or (kind in ("integer", "number")
                                           and isinstance(value, bool)):
        return [f"{where}: {type(value).__name__}, documented {kind}"]
    found = []
    if kind == "array":
        for index, item in enumerate(value):
            found += mismatches(item, schema.get("items", {}), f"{where}[{index}]")
    elif "properties" in schema:
        properties = schema["properties"]
        optional = {key for key, value in properties.items()
                    if value.get("description", "").startswith("only when")}
        if not set(properties) - optional <= set(value) <= set(properties):
            found.append(f"{where}: keys {sorted(set(value) ^ set(properties))} differ")
        for key in set(value) & set(properties):
            found += mismatches(value[key], properties[key], f"{where}.{key}")
    elif isinstance(schema.get("additionalProperties"), dict):  # an object keyed by data
        for key, item in value.items():
            found += mismatches(item, schema["additionalProperties"], f"{where}.{key}")
    return found


@pytest.fixture
def lab(client):
    """A run with a queued and a passed job (on a node hosted by another node), a queue."""
    create_node(client, HOST, machine_type="smithi", up=True)
    create_node(client, NODE, machine_type="smithi", up=True, vm_host=HOST, is_vm=True)
    assert client.put(f"/nodes/{NODE}/lock",
                      json={"locked": True, "locked_by": OWNER, "description": "d"}
                      ).status_code == 200
    assert client.post("/queue/", json={"queue": QUEUE}).status_code == 200
    create_run(client, RUN)
    post_job(client, RUN, {"job_id": "1", "status": "queued", "queue": QUEUE, "priority": 5,
                           "sha1": "abc123", "flavor": "default", "user": "teuthology",
                           "branch": "main", "suite": "rados", "machine_type": "smithi",
                           "kernel": {"kdb": True}, "overrides": {"ceph": {"a.b": 1}}})
    post_job(client, RUN, {"job_id": "2", "status": "pass", "duration": 3.5, "success": True,
                           "timestamp": "2024-03-05_10:00:00",
                           "targets": {f"ubuntu@{NODE}": "ssh-ed25519 AAAA"}})
    # a flaky test, its failure (in a run of their own: RUN stays queued)
    for job_id, status in (("4", "pass"), ("5", "fail"), ("6", "pass")):
        reason = "Command failed on smithi001" if status == "fail" else None
        post_job(client, RUN.replace("10:00", "11:00"),
                 {"job_id": job_id, "status": status, "description": "rados/t",
                  "suite": "rados", "failure_reason": reason})


@pytest.mark.parametrize("method, url, body, schema", list(documented_answers()),
                         ids=lambda value: value if isinstance(value, str) else "")
def test_a_documented_answer_is_what_the_route_answers(client, lab, method, url, body, schema):
    response = client.open(url, method=method, json=body)
    assert response.status_code == 200, (method, url, response.data)
    answer = response.get_json()
    if resolved(schema).get("properties") != {}:  # only EmptySchema documents `{}`
        assert answer not in ([], {}), f"{method} {url}: an empty answer would prove nothing"
    assert mismatches(answer, schema) == [], (method, url)


def test_the_null_of_an_empty_queue_is_documented(client):
    assert client.post("/queue/", json=QUEUE_BODY).status_code == 200
    response = client.get(f"/queue/pop_queue/{QUEUE}")
    assert response.status_code == 200 and response.get_json() is None
    operation = OPENAPI["paths"]["/queue/pop_queue/{path_queue}"]["get"]
    assert mismatches(None, documented_answer(operation)) == []
