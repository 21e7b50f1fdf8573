"""Adding a run filter dimension is one row of run_dimensions.RUN_DIMENSIONS: its routes, its
index and the query plan all follow from the table.

The test makes that change to a copy of the package (one row added to the table, nothing
else) and runs the copy on a test database."""
import json
import os
import shutil
import subprocess
import sys

import paddles_mongo
from paddles_mongo.run_dimensions import RUN_DIMENSIONS
from tests.conftest import RUNS_SCRIPTS

TABLE_END = "\n    RunDimension(\"status\", \"status\", counted=True),\n)\n"
NEW_ROW = "    RunDimension(\"os_type\", \"os_type\"),\n"

USE_THE_COPY = r'''
import json, os, sys
from paddles_mongo import create_app
from paddles_mongo.config import load_settings
from paddles_mongo.db import Database, create_indexes
from paddles_mongo.domain.filters import parse_filter_path
from paddles_mongo.services.run_filters import filter_index, filter_query

settings = load_settings(path=os.devnull, environ={}, mongo_uri=sys.argv[1])
database = Database(settings)
created = create_indexes(database)["runs"]
client = create_app(settings, database).test_client()
runs = {"teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi": "ubuntu",
        "teuthology-2026-01-03_03:04:05-rados-main-distro-default-smithi": "centos",
        "teuthology-2026-01-04_03:04:05-fs-main-distro-default-smithi": "ubuntu"}
for name, os_type in runs.items():
    assert client.post("/runs/", json={"name": name}).status_code == 200
    database.runs.update_one({"name": name}, {"$set": {"os_type": os_type}})

def names(url):
    response = client.get(url)
    return response.status_code, [run["name"] for run in response.get_json()]

run_filter = parse_filter_path(["os_type", "ubuntu"], "UTC")
query = filter_query(run_filter)
plan = database.runs.find(query).hint(filter_index(run_filter)).explain()["queryPlanner"]
print(json.dumps({
    "indexes": created,
    "value": names("/runs/os_type/ubuntu/"),
    "chain": names("/runs/suite/rados/os_type/ubuntu/"),
    "values": client.get("/runs/os_type/").get_json(),
    "index": filter_index(run_filter),
    "plan": json.dumps(plan["winningPlan"]),
    "module": __import__("paddles_mongo").__file__,
}))
'''


def package_with_a_new_dimension(directory):
    """A copy of the package in `directory` whose table has an os_type row at its end."""
    copy = directory / "paddles_mongo"
    shutil.copytree(os.path.dirname(paddles_mongo.__file__), copy,
                    ignore=shutil.ignore_patterns("__pycache__"))
    table = copy / "run_dimensions.py"
    text = table.read_text()
    assert text.count(TABLE_END) == 1, "the table's last row moved: update TABLE_END"
    table.write_text(text.replace(TABLE_END, TABLE_END[:-2] + NEW_ROW + ")\n"))
    return directory


@RUNS_SCRIPTS
def test_a_dimension_added_to_the_table_gets_its_routes_index_and_plan(database_uri,
                                                                     tmp_path):
    directory = package_with_a_new_dimension(tmp_path)
    result = subprocess.run([sys.executable, "-c", USE_THE_COPY, database_uri],
                            capture_output=True, text=True, timeout=120, cwd=directory,
                            env={**os.environ, "PYTHONPATH": str(directory)})
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["module"] == str(directory / "paddles_mongo" / "__init__.py")
    assert "os_type_scheduled" in found["indexes"]
    assert found["value"] == [200, ["teuthology-2026-01-04_03:04:05-fs-main-distro-default-smithi",
                                    "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"]]
    assert found["chain"] == [200, [
        "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"]]
    assert found["values"] == ["centos", "ubuntu"]
    assert found["index"] == "os_type_scheduled"
    assert '"os_type_scheduled"' in found["plan"] and "COLLSCAN" not in found["plan"]


def test_the_table_names_each_segment_field_and_index_once():
    segments = [segment for dimension in RUN_DIMENSIONS
                for segment in (dimension.segment, *dimension.aliases)]
    assert len(segments) == len(set(segments))
    assert len({dimension.field for dimension in RUN_DIMENSIONS}) == len(RUN_DIMENSIONS)
    assert len({dimension.index for dimension in RUN_DIMENSIONS}) == len(RUN_DIMENSIONS)
