"""scripts/import-from-paddles end to end: a source paddles-mongo under gunicorn holds a
realistic lab written through its HTTP API; the importer copies it into a second database,
whose API must then serve exactly what the source serves (apart from `href`, which names the
host). Interruption, resumption, `--since`, retries and failures are exercised through a tiny
HTTP proxy in front of the source."""
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, urlsplit

import pytest
import requests
from pymongo import MongoClient

from paddles_mongo import create_app
from paddles_mongo.config import load_settings
from paddles_mongo.db import Database
from paddles_mongo.services import run_summary
from tests.conftest import SCRIPTS, drop_test_database, free_port, run_script, script_env
from tests.e2e.conftest import gunicorn_server

DOMAIN = "front.sepia.ceph.com"
DESTINATION_ADDRESS = "http://destination.test"
SINCE = "2026-04-01"
BIG_RUN_JOBS = 310
NODE_COUNT = 40

USERS = ("teuthology", "yuriw", "pdonnell", "amathuria", "lflores")
SUITES = ("rados", "rbd", "fs", "rgw", "krbd", "upgrade:reef-x", "smoke")
BRANCHES = ("main", "squid", "wip-yuri-testing-2026-01-05", "reef")

# run status -> job statuses of each run of that status ("unknown": posted without a status)
RUN_PLANS = [
    ("empty", []), ("empty", []),
    ("queued", ["queued"] * 3), ("queued", ["queued", "queued"]),
    ("queued", ["pass", "queued", "queued"]),
    ("running", ["running", "queued", "queued"]), ("running", ["running", "pass", "fail"]),
    ("running", ["running", "running"]), ("running", ["waiting", "running", "pass"]),
    ("waiting", ["waiting", "queued"]), ("waiting", ["waiting", "pass", "fail"]),
    ("finished pass", ["pass"] * 4), ("finished pass", ["pass", "pass"]),
    ("finished pass", ["pass"]), ("finished pass", ["pass"] * 5), ("finished pass", ["pass"] * 3),
    ("finished pass", ["pass", "pass"]),
    ("finished fail", ["pass", "fail", "pass"]), ("finished fail", ["fail", "fail"]),
    ("finished fail", ["pass", "dead"]), ("finished fail", ["fail", "dead", "pass", "pass"]),
    ("finished fail", ["pass"] * (BIG_RUN_JOBS - 20) + ["fail"] * 15 + ["dead"] * 5),
    ("finished fail", ["fail"]),
    ("finished dead", ["dead", "dead"]), ("finished dead", ["dead"]),
    ("finished dead", ["dead"] * 3),
    ("unknown", ["unknown"]), ("unknown", ["pass", "unknown"]),
    ("unknown", ["unknown", "unknown", "pass"]), ("unknown", ["unknown"]),
]
RUN_COUNT = len(RUN_PLANS)
RUN_KEYS = ("name", "user", "suite", "branch", "machine_type", "status", "results", "jobs_count",
            "posted", "scheduled", "started", "updated", "sha1", "priority", "flavor")


def hostname(number):
    return f"smithi{number:03d}.{DOMAIN}"


def run_name(index):
    if index == RUN_COUNT - 1:
        return "ad-hoc-debugging-run"  # no timestamp: scheduled when posted
    scheduled = datetime(2026, 1, 5, 2, 0, 1) + timedelta(days=5 * index, hours=index)
    return (f"{USERS[index % len(USERS)]}-{scheduled:%Y-%m-%d_%H:%M:%S}-"
            f"{SUITES[index % len(SUITES)]}-{BRANCHES[index % len(BRANCHES)]}"
            f"-distro-default-smithi")


def ok(response):
    assert response.status_code == 200, (response.request.method, response.url,
                                         response.status_code, response.text)
    return response.json()


def job_config(run, index, number):
    """What teuthology sends with every report of a job: the whole job config."""
    suite, branch = SUITES[index % len(SUITES)], BRANCHES[index % len(BRANCHES)]
    sha1 = f"{index:02x}{number:02x}".ljust(40, "a")
    return {
        "name": run, "description": f"{suite}/thrash/{{clusters/fixed-2 msgr/async-v{number % 3}"
                                    f" objectstore/bluestore-{'bitmap' if number % 2 else 'lz4'}}}",
        "suite": suite, "branch": branch, "sha1": sha1, "machine_type": "smithi",
        "os_type": "ubuntu", "os_version": "22.04", "owner": "scheduled_teuthology@teuthology",
        "flavor": "crimson" if number % 4 == 3 else "default", "email": "ceph-qa@ceph.io",
        "archive_path": f"/archive/{run}/{number}", "seed": 1000 + number, "subset": "1/64",
        "suite_branch": branch, "suite_repo": "https://github.com/ceph/ceph.git",
        "suite_sha1": sha1, "suite_path": "/home/teuthworker/src/qa", "suite_relpath": "qa",
        "teuthology_branch": "main", "verbose": number % 2 == 0, "nuke-on-error": True,
        "last_in_suite": number == 0, "timestamp": "2026-01-05_02:00:01",
        "pid": str(40000 + number), "user": USERS[index % len(USERS)], "queue": "smithi",
        "package_source": "shaman", "kernel": {"kdb": True, "sha1": "distro"},
        "overrides": {
            "ceph": {"conf": {"osd": {"osd shutdown pgref assert": True, "debug osd": 20},
                              "mon.a": {"mon warn on pool no app": False}},
                     "log-ignorelist": ["\\(MDS_ALL_DOWN\\)", "overall HEALTH_"],
                     "sha1": sha1},
            "install": {"ceph": {"flavor": "default", "sha1": sha1}},
            "selinux": {"allowlist": ["scontext=system_u:system_r:logrotate_t:s0"]},
            "$vars": {"$ref": "osd.0", "a.b": [1, 2.5, None, True, {"$in": ["x.y"]}]},
            "50%": "percent key", "": "empty key",
        },
        "tasks": [{"internal.check_packages": None}, {"internal.buildpackages_prep": None},
                  {"install": None},
                  {"ceph": {"client.0": {"debug client": 20}, "mon.a": {"mon.x": "y"}}},
                  {"workunit": {"clients": {"client.0": ["rados/test.sh"]}}}],
        "roles": [["mon.a", "mgr.x", "osd.0", "osd.1", "client.0"],
                  ["mon.b", "osd.2", "osd.3", "client.1"]],
    }


def job_targets(number):
    first, second = number * 2 % NODE_COUNT + 1, (number * 2 + 1) % NODE_COUNT + 1
    return {f"ubuntu@{hostname(n)}": f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA{n:03d}"
            for n in (first, second)}


def report_job(session, url, run, index, number, status, explicit_id):
    """A job's life as teuthology reports it: queued, running with targets, then its result."""
    config = job_config(run, index, number)
    jobs_url = f"{url}/runs/{quote(run, safe='')}/jobs/"
    if explicit_id:
        config["job_id"] = str(100000 + index * 1000 + number)
    if status == "unknown":
        return ok(session.post(jobs_url, json=config))["job_id"]
    job_id = ok(session.post(jobs_url, json={**config, "status": "queued",
                                             "priority": 50 + number}))["job_id"]
    if status == "queued":
        return job_id
    job_url = f"{jobs_url}{job_id}/"
    config["targets"] = job_targets(number)
    ok(session.put(job_url, json={**config, "status": "running"}))
    if status == "running":
        return job_id
    if status == "waiting":
        ok(session.put(job_url, json={"status": "waiting"}))
        return job_id
    result = {**config, "status": status, "duration": 600 + number * 7.4}
    if status in ("pass", "fail"):
        result["success"] = status == "pass"
    if status != "pass":
        result["failure_reason"] = (f"Command failed on {hostname(number % NODE_COUNT + 1)}"
                                    f" with status 1: 'sudo ceph osd pool create p{number}'")
    if number == 1:
        result["updated"] = "2026-01-06 10:11:12"  # a client-set update time
    ok(session.put(job_url, json=result))
    return job_id


def post_finished_job(session, url, run, index, number, status):
    """The big run: each job reported once, finished."""
    body = {**job_config(run, index, number), "job_id": str(number + 1), "status": status,
            "targets": job_targets(number), "duration": 300 + number}
    if status in ("pass", "fail"):
        body["success"] = status == "pass"
    ok(session.post(f"{url}/runs/{quote(run, safe='')}/jobs/", json=body))


def build_lab(url):
    session = requests.Session()
    names = []
    for index, (_, statuses) in enumerate(RUN_PLANS):
        name = run_name(index)
        names.append(name)
        ok(session.post(f"{url}/runs/", json={"name": name}))
        for number, status in enumerate(statuses):
            if len(statuses) > 100:
                post_finished_job(session, url, name, index, number, status)
            else:
                report_job(session, url, name, index, number, status, explicit_id=index % 3 != 1)
    # nodes beyond the ones the jobs' targets created
    ok(session.post(f"{url}/nodes/", json={
        "name": f"mira001.{DOMAIN}", "machine_type": "mira", "up": True, "arch": "x86_64",
        "os_type": "centos", "os_version": "9.stream", "mac_address": "52:54:00:12:34:56",
        "ssh_pub_key": "ssh-rsa AAAAB3NzaC1yc2E mira001"}))
    ok(session.post(f"{url}/nodes/", json={
        "name": f"mira002.{DOMAIN}", "machine_type": "mira", "up": True, "locked": True,
        "locked_by": "ceph-ansible@infra", "description": "reimaging after disk swap"}))
    ok(session.post(f"{url}/nodes/", json={"name": f"vpshost01.{DOMAIN}",
                                            "machine_type": "vpshost", "up": True}))
    for vm in ("vpm001", "vpm002"):
        ok(session.post(f"{url}/nodes/", json={
            "name": f"{vm}.{DOMAIN}", "machine_type": "vps", "is_vm": True, "up": True,
            "vm_host": f"vpshost01.{DOMAIN}"}))
    ok(session.put(f"{url}/nodes/vpm002.{DOMAIN}/lock", json={
        "locked": True, "locked_by": "kyrylo@teuthology"}))
    ok(session.put(f"{url}/nodes/{hostname(1)}/lock", json={
        "locked": True, "locked_by": "yuriw@teuthology",
        "description": f"/archive/{names[5]}/100005000"}))
    ok(session.put(f"{url}/nodes/{hostname(2)}/lock", json={
        "locked": True, "locked_by": "pdonnell@teuthology"}))
    ok(session.put(f"{url}/nodes/{hostname(3)}/lock", json={
        "locked": True, "locked_by": "pdonnell@teuthology"}))
    ok(session.put(f"{url}/nodes/{hostname(3)}/lock", json={
        "locked": False, "locked_by": "pdonnell@teuthology"}))
    ok(session.put(f"{url}/nodes/{hostname(4)}/", json={"up": False,
                                                       "description": "dead disk"}))
    # queues: one paused, one never paused, one paused then un-paused
    ok(session.post(f"{url}/queue/", json={"queue": "smithi", "paused_by": "dmick",
                                           "pause_duration": 86400}))
    ok(session.post(f"{url}/queue/", json={"queue": "mira"}))
    ok(session.post(f"{url}/queue/", json={"queue": "multi", "paused_by": "zack",
                                           "pause_duration": 3600}))
    ok(session.put(f"{url}/queue/", json={"queue": "multi", "paused_until": None}))
    return names


class Source:
    def __init__(self, url, names):
        self.url = url
        self.names = names
        self.session = requests.Session()

    def get(self, path):
        return ok(self.session.get(self.url + path, timeout=60))


@pytest.fixture(scope="module")
def source(mongo_server_uri):
    with gunicorn_server(mongo_server_uri, "import_source") as (url, _database):
        lab = Source(url, build_lab(url))
        # the lab is what it is meant to be
        for (status, statuses), run in zip(RUN_PLANS, lab.names):
            body = lab.get(f"/runs/{quote(run, safe='')}/")
            assert body["status"] == status, run
            assert body["jobs_count"] == len(statuses), run
        yield lab


class Destination:
    def __init__(self, uri, database, client):
        self.uri = uri
        self.database = database
        self.client = client

    def get(self, path):
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.data)
        return response.get_json()


@pytest.fixture
def destination(mongo_server_uri):
    """A fresh database prepared as an operator would (scripts/create-indexes), and a
    paddles-mongo app serving it."""
    name = f"import_destination_{uuid.uuid4().hex[:12]}"
    uri = f"{mongo_server_uri}{name}"
    prepared = run_script("create-indexes", uri)
    assert prepared.returncode == 0, prepared.stderr
    settings = load_settings(path=os.devnull, environ={}, mongo_uri=uri,
                             address=DESTINATION_ADDRESS, log_level="WARNING")
    database = Database(settings)
    try:
        yield Destination(uri, database, create_app(settings, database).test_client())
    finally:
        database.close()
        with MongoClient(mongo_server_uri) as client:
            drop_test_database(client, name)


def import_lab(destination, url, *args):
    return run_script("import-from-paddles", destination.uri, url, *args, timeout=600)


def summary_line(result):
    """(runs, runs copied, runs already complete, jobs copied, nodes, queues)."""
    return summary_numbers(result)[:4] + summary_numbers(result)[5:]


def summary_numbers(result):
    """The import's summary line: (runs, runs copied, runs already complete, jobs copied,
    jobs skipped, nodes, queues)."""
    match = re.search(r"^runs: (\d+) \((\d+) copied, (\d+) already complete\); jobs copied: "
                      r"(\d+); jobs skipped without a job_id: (\d+); nodes: (\d+); "
                      r"queues: (\d+)$", result.stdout, re.MULTILINE)
    assert match, (result.stdout, result.stderr)
    return tuple(int(group) for group in match.groups())


def imported(result):
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert "verified: every run's results match the source" in result.stdout
    return summary_line(result)


def source_totals(source):
    runs = source.get("/runs/?count=1000")
    return len(runs), sum(run["jobs_count"] for run in runs)


def run_path(name):
    return f"/runs/{quote(name, safe='')}/"


def run_differences(source, destination, name):
    """Every way the destination's run JSON (with its jobs) differs from the source's."""
    theirs = source.get(run_path(name))
    ours = destination.get(run_path(name))
    differences = []
    if theirs["href"] != [f"{source.url}/runs/{name}/"]:
        differences.append((name, "source href", theirs["href"]))
    if ours["href"] != [f"{DESTINATION_ADDRESS}/runs/{name}/"]:
        differences.append((name, "href", ours["href"]))
    if set(ours) != set(theirs):
        differences.append((name, "keys", sorted(ours), sorted(theirs)))
    for key in RUN_KEYS:
        if ours.get(key) != theirs.get(key):
            differences.append((name, key, ours.get(key), theirs.get(key)))
    our_ids = [job["job_id"] for job in ours.get("jobs", [])]
    their_ids = [job["job_id"] for job in theirs["jobs"]]
    if our_ids != their_ids:
        differences.append((name, "job ids", our_ids, their_ids))
        return differences
    for our_job, their_job in zip(ours["jobs"], theirs["jobs"]):
        if list(our_job) != list(their_job):
            differences.append((name, our_job["job_id"], "keys", list(our_job), list(their_job)))
        for key in their_job:
            if our_job.get(key) != their_job[key]:
                differences.append((name, our_job["job_id"], key, our_job.get(key),
                                    their_job[key]))
    return differences


def assert_run_copied(source, destination, name):
    assert run_differences(source, destination, name) == []


def assert_lab_copied(source, destination, names=None):
    """Everything the destination serves equals what the source serves."""
    names = source.names if names is None else names
    differences = [difference for name in names
                   for difference in run_differences(source, destination, name)]
    assert differences == []
    # the run lists, and the stored status the filters read
    assert ({run["name"] for run in destination.get("/runs/?count=1000")} == set(names))
    stored = "/runs/?count=1000&fields=name,status"
    theirs = {run["name"]: run["status"] for run in source.get(stored)}
    assert {run["name"]: run["status"] for run in destination.get(stored)} == {
        name: theirs[name] for name in names}
    assert destination.get("/nodes/") == source.get("/nodes/")
    assert destination.get("/queue/") == source.get("/queue/")
    for node in (hostname(1), hostname(7), f"vpm002.{DOMAIN}"):
        path = f"/nodes/{node}/jobs/"
        their_jobs = [job for job in source.get(path) if job["name"] in names]
        assert destination.get(path) == their_jobs, node


def assert_no_duplicates(database):
    runs = Counter(run["name"] for run in database.runs.find({}, {"name": 1}))
    assert [name for name, count in runs.items() if count > 1] == []
    jobs = Counter((job["run"], job["job_id"])
                   for job in database.jobs.find({}, {"run": 1, "job_id": 1}))
    assert [key for key, count in jobs.items() if count > 1] == []
    nodes = Counter(node["name"] for node in database.nodes.find({}, {"name": 1}))
    assert [name for name, count in nodes.items() if count > 1] == []


class SourceProxy:
    """A tiny HTTP proxy in front of the source. It answers 503 to the first `failures`
    requests of each URL, and, with `pass_runs`, lets that many run fetches (`/runs/NAME/`)
    through and holds the next ones until `release` is set."""

    RUN_PATH = re.compile(r"^/runs/[^/]+/$")

    def __init__(self, target, failures=0, pass_runs=None):
        self.target = target
        self.failures = failures
        self.pass_runs = pass_runs
        self.lock = threading.Lock()
        self.requests = Counter()
        self.run_fetches = 0
        self.held = 0
        self.release = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                proxy.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, request):
        with self.lock:
            self.requests[request.path] += 1
            failing = self.requests[request.path] <= self.failures
            hold = False
            if not failing and self.RUN_PATH.match(urlsplit(request.path).path):
                self.run_fetches += 1
                hold = self.pass_runs is not None and self.run_fetches > self.pass_runs
                self.held += hold
        if failing:
            self.reply(request, 503, b'{"message": "service unavailable"}')
            return
        if hold:
            self.release.wait(timeout=300)
        try:
            upstream = requests.get(self.target + request.path, timeout=60)
        except requests.RequestException:
            self.reply(request, 502, b'{"message": "bad gateway"}')
            return
        self.reply(request, upstream.status_code, upstream.content)

    @staticmethod
    def reply(request, status, body):
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except OSError:
            pass  # the importer is gone

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy_factory(source):
    proxies = []

    def make(**options):
        proxy = SourceProxy(source.url, **options)
        proxies.append(proxy)
        return proxy
    yield make
    for proxy in proxies:
        proxy.close()


def check_stored_statuses(destination):
    """The stored run status/sha1s/flavors match the copied jobs (what the filters read)."""
    result = run_script("recount", destination.uri, "--check")
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert result.stdout.splitlines()[-1] == "0 runs differ"


# ------------------------------------------------------------------------------------------


def test_import_copies_the_whole_lab_field_by_field(source, destination):
    runs, jobs = source_totals(source)
    assert runs == RUN_COUNT and jobs > BIG_RUN_JOBS
    nodes = len(source.get("/nodes/"))
    result = import_lab(destination, source.url)
    assert imported(result) == (RUN_COUNT, RUN_COUNT, 0, jobs, nodes, 3)
    assert result.stderr == ""  # progress only on a terminal
    assert_lab_copied(source, destination)
    assert_no_duplicates(destination.database)
    assert destination.database.jobs.count_documents({}) == jobs
    check_stored_statuses(destination)
    # Every copied run is marked: a server's lists of run values follow the copy.
    assert destination.database.runs.count_documents({"values_changed": {"$exists": True}}) \
        == RUN_COUNT


def test_rerunning_a_complete_import_copies_nothing(source, destination):
    runs, jobs = source_totals(source)
    imported(import_lab(destination, source.url))
    again = import_lab(destination, source.url)
    assert imported(again)[:4] == (runs, 0, runs, 0)
    assert_lab_copied(source, destination)
    assert_no_duplicates(destination.database)


def test_interrupted_import_resumes_without_duplicates(source, destination, proxy_factory):
    runs, jobs = source_totals(source)
    half = runs // 2
    proxy = proxy_factory(pass_runs=half)
    process = subprocess.Popen(
        [sys.executable, str(SCRIPTS / "import-from-paddles"), proxy.url, "--concurrency", "1"],
        env=script_env(destination.uri), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd="/", stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not (destination.database.runs.count_documents({}) >= half and proxy.held):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the import did not get halfway"
            time.sleep(0.05)  # polling interval of the bounded wait
        assert process.poll() is None
        process.kill()  # SIGKILL: no chance to clean up
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == -9
    assert destination.database.runs.count_documents({}) == half
    assert destination.database.queues.count_documents({}) == 0

    result = import_lab(destination, source.url)
    assert imported(result)[:3] == (runs, runs - half, half)
    assert f"({runs - half} copied, {half} already complete)" in result.stdout
    assert_no_duplicates(destination.database)
    assert destination.database.jobs.count_documents({}) == jobs
    assert_lab_copied(source, destination)
    check_stored_statuses(destination)


def test_partially_copied_run_is_copied_again(source, destination):
    runs, jobs = source_totals(source)
    imported(import_lab(destination, source.url))
    big = source.names[next(index for index, (_, statuses) in enumerate(RUN_PLANS)
                            if len(statuses) > 100)]
    # as if interrupted in the middle of the big run: some jobs written, no run document
    database = destination.database
    doomed = [job["_id"] for job in database.jobs.find({"run": big}, {"_id": 1}).limit(100)]
    database.jobs.delete_many({"_id": {"$in": doomed}})
    database.runs.delete_one({"name": big})
    # ... and a run whose jobs were all written but whose document is stale
    other = source.names[5]
    database.runs.update_one({"name": other}, {"$set": {"updated": datetime(2020, 1, 1)}})
    result = import_lab(destination, source.url)
    assert imported(result)[:4] == (runs, 2, runs - 2, BIG_RUN_JOBS + len(RUN_PLANS[5][1]))
    assert_no_duplicates(database)
    assert database.jobs.count_documents({}) == jobs
    assert_lab_copied(source, destination)


def test_changed_source_run_is_copied_again(source, destination):
    runs, _ = source_totals(source)
    imported(import_lab(destination, source.url))
    name = "zack-2026-11-01_10:00:00-rados-main-distro-default-smithi"
    session = source.session
    try:
        ok(session.post(f"{source.url}/runs/", json={"name": name}))
        job_id = ok(session.post(f"{source.url}{run_path(name)}jobs/",
                                 json={**job_config(name, 0, 0), "status": "queued"}))["job_id"]
        result = import_lab(destination, source.url)
        assert imported(result)[:4] == (runs + 1, 1, runs, 1)
        assert_run_copied(source, destination, name)
        ok(session.put(f"{source.url}{run_path(name)}jobs/{job_id}/",
                       json={"status": "running", "targets": job_targets(3)}))
        result = import_lab(destination, source.url)
        assert imported(result)[:4] == (runs + 1, 1, runs, 1)
        assert_run_copied(source, destination, name)
        assert destination.get(run_path(name))["status"] == "running"
    finally:
        session.delete(f"{source.url}{run_path(name)}")


def test_since_copies_only_newer_runs(source, destination):
    newer = [run["name"] for run in source.get("/runs/?count=1000")
             if run["scheduled"] >= f"{SINCE} 00:00:00"]
    assert 0 < len(newer) < RUN_COUNT
    result = import_lab(destination, source.url, "--since", SINCE)
    assert imported(result)[:3] == (len(newer), len(newer), 0)
    assert {run["name"] for run in destination.database.runs.find()} == set(newer)
    assert_lab_copied(source, destination, newer)


def test_source_answering_503_is_retried(source, destination, proxy_factory):
    runs, jobs = source_totals(source)
    proxy = proxy_factory(failures=2)
    result = import_lab(destination, proxy.url, "--concurrency", "8")
    assert imported(result)[:4] == (runs, runs, 0, jobs)
    # every URL the importer read answered 503 twice first
    assert proxy.requests and all(count == 3 for count in proxy.requests.values()), \
        proxy.requests
    assert sum(1 for path in proxy.requests if SourceProxy.RUN_PATH.match(path)) == runs
    assert_lab_copied(source, destination)
    assert_no_duplicates(destination.database)


def test_source_that_keeps_failing_exits_1(source, destination, proxy_factory):
    proxy = proxy_factory(failures=1000)
    result = import_lab(destination, proxy.url, "--retries", "1")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: could not read {proxy.url}")
    assert max(proxy.requests.values()) == 2  # the request and one retry
    assert destination.database.runs.count_documents({}) == 0


def test_unreachable_source_exits_1(destination):
    url = f"http://127.0.0.1:{free_port()}"
    result = import_lab(destination, url, "--retries", "1")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: could not read {url}"), \
        result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == errors[0]
    assert destination.database.runs.count_documents({}) == 0


def test_half_made_jobs_of_the_original_are_skipped_and_counted(mongo_server_uri, destination):
    """The original's creation race leaves job rows without a job_id: no job named "None"
    arrives, the report counts them, the results still verify, and a rerun copies nothing."""
    run = "teuthology-2026-01-05_00:00:00-rados-main-distro-default-smithi"
    with gunicorn_server(mongo_server_uri, "import_half_made") as (url, database):
        for job_id in ("1", "2"):
            response = requests.post(f"{url}/runs/{run}/jobs/",
                                     json={"job_id": job_id, "status": "pass"}, timeout=30)
            assert response.status_code == 200
        # What the original's race leaves: a row of the run with nothing but its run.
        database.jobs.insert_one({"run": run, "job_id": None, "status": None, "posted": None})
        run_summary.refresh_run(database, run)
        assert requests.get(f"{url}/runs/{run}/", timeout=30).json()["jobs_count"] == 3

        first = import_lab(destination, url)
        assert first.returncode == 0, (first.stdout, first.stderr)
        assert "verified: every run's results match the source" in first.stdout
        assert summary_numbers(first)[:5] == (1, 1, 0, 2, 1)
        copied = sorted(job["job_id"] for job in destination.database.jobs.find({"run": run}))
        assert copied == ["1", "2"]

        again = import_lab(destination, url)
        assert summary_numbers(again)[:5] == (1, 0, 1, 0, 0)
