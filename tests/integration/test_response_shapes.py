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
# Routes whose answer needs another method or a body (the others: a plain GET).
REQUESTS = {
    "/nodes/lock_many/": ("POST", {"count": 1, "locked_by": OWNER, "machine_type": "smithi",
                                   "description": "d"}),
    "/nodes/unlock_many/": ("POST", {"names": [NODE], "locked_by": OWNER}),
    "/nodes/{node_name}/lock": ("PUT", {"locked": False, "locked_by": OWNER}),
    "/queue/pop_queue/": ("GET", {"queue": QUEUE}),
    "/queue/queued_jobs/": ("GET", {"queue": QUEUE}),
    "/queue/stats/": ("GET", {"queue": QUEUE}),
}


def documented_reads():
    """(url, method, body, schema) of every route whose 200 answer has a documented
    schema."""
    for path, operations in sorted(OPENAPI["paths"].items()):
        method, body = REQUESTS.get(path, ("GET", None))
        response = operations.get(method.lower(), {}).get("responses", {}).get("200", {})
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            continue
        url = path
        if "{rest}" in path:
            url = path.replace("{rest}", CHAINS[path.split("/")[2]] + "/")
        url = re.sub(r"\{(\w+)\}", lambda match: PARAMETERS[match.group(1)], url)
        yield url, method, body, schema


def mismatches(value, schema, where="$"):
    """Where `value` differs from the OpenAPI `schema` (a list of messages)."""
    if "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[-1]]
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


@pytest.mark.parametrize("url, method, body, schema", list(documented_reads()),
                         ids=lambda value: value if isinstance(value, str) else "")
def test_a_documented_answer_is_what_the_route_answers(client, lab, url, method, body, schema):
    response = client.open(url, method=method, json=body)
    assert response.status_code == 200, (url, response.data)
    body = response.get_json()
    assert body not in ([], {}), f"{url}: an empty answer would prove nothing"
    assert mismatches(body, schema) == [], url
