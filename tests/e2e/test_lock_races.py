"""§5.11 lock races against 4 gunicorn workers (ports of §7.6 test_lock_many_threaded and
test_unlock_many_threaded, plus concurrent unlock_many of overlapping sets mixed with single-node
locks and unlocks): whatever the interleaving, every node ends fully locked by one requester
that was answered 200, or unlocked, consistent with the answers (§5.9, §10 row 18)."""
import json
import re
import uuid

import requests

from tests.e2e.conftest import run_together

TIMEOUT = 60
ONLY_N_AVAILABLE = re.compile(r"^only \d+ nodes available$")
# (c): rounds of the mixed race, and lock attempts per locker (no sleeps: pressure instead)
ROUNDS = 30
LOCK_ATTEMPTS = 25


def create_nodes(url, machine_type, count, **fields):
    names = [f"{machine_type}-{i:02d}" for i in range(count)]
    for name in names:
        response = requests.post(f"{url}/nodes/", json={
            "name": name, "machine_type": machine_type, "up": True, **fields}, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
    return names


def lock_many(url, machine_type, count, owner):
    return requests.post(f"{url}/nodes/lock_many/", json={
        "count": count, "machine_type": machine_type, "description": "desc",
        "locked_by": owner}, timeout=TIMEOUT)


def fresh_type(label):
    return f"{label}{uuid.uuid4().hex[:8]}"


def assert_well_formed(node):
    """A node is either fully locked (owner and time) or fully unlocked."""
    if node["locked"]:
        assert node["locked_by"], node
        assert node["locked_since"], node
    else:
        assert node["locked_by"] is None, node
        assert node["locked_since"] is None, node


# --- (a) lock_many: 20 callers, 10 nodes, exactly one winner --------------------------------

def test_concurrent_lock_many_for_all_nodes_has_exactly_one_winner(server):
    url, database = server
    for round_number in range(4):
        machine_type = fresh_type(f"multi{round_number}x")
        names = create_nodes(url, machine_type, 10)
        users = [f"user{i}-{machine_type}" for i in range(20)]
        tasks = [lambda user=user: lock_many(url, machine_type, 10.0, user) for user in users]
        responses = run_together(tasks, workers=len(tasks))

        codes = [r.status_code for r in responses]
        assert codes.count(200) == 1, (round_number, codes, [r.text for r in responses])
        assert codes.count(503) == 19, (round_number, codes)
        for response in responses:
            if response.status_code == 503:
                assert ONLY_N_AVAILABLE.match(response.json()["message"]), response.text
        winner_index = codes.index(200)
        winner = users[winner_index]
        locked = responses[winner_index].json()
        assert sorted(node["name"] for node in locked) == names
        assert {node["locked_by"] for node in locked} == {winner}
        assert {node["locked"] for node in locked} == {True}

        stored = list(database.nodes.find({"machine_type": machine_type}))
        assert len(stored) == 10
        for node in stored:
            assert node["locked"] is True
            assert node["locked_by"] == winner
            assert node["locked_since"] is not None
        losers = [user for user in users if user != winner]
        assert database.nodes.count_documents({"locked_by": {"$in": losers}}) == 0


# --- (b) read, then unlock as the owner: 10 at once ----------------------------------------

def test_concurrent_read_then_unlock_as_owner_all_succeed(server):
    url, database = server
    for round_number in range(3):
        machine_type = fresh_type(f"rw{round_number}x")
        names = create_nodes(url, machine_type, 10)
        # as upstream: 20 users try lock_many in turn; the first takes all ten
        codes = [lock_many(url, machine_type, 10.0, f"user{i}").status_code for i in range(20)]
        assert codes == [200] + [503] * 19

        def unlock_attempt(name):
            node = requests.get(f"{url}/nodes/{name}/", timeout=TIMEOUT).json()
            body = {"locked": False, "up": True, "locked_by": node.get("locked_by")}
            # teuthology's unlock_one: a JSON string, no Content-Type header
            return requests.put(f"{url}/nodes/{name}/lock/", data=json.dumps(body),
                                timeout=TIMEOUT)

        responses = run_together([lambda name=name: unlock_attempt(name) for name in names],
                                 workers=len(names))
        for name, response in zip(names, responses):
            assert response.status_code == 200, (name, response.status_code, response.text)
            assert response.request.headers.get("Content-Type") is None
            assert response.json() == {"name": name, "locked": False, "locked_by": None,
                                       "machine_type": machine_type, "is_vm": False}
        listed = requests.get(f"{url}/nodes/?machine_type={machine_type}",
                              timeout=TIMEOUT).json()
        assert [node["locked"] for node in listed].count(False) == len(names)
        for node in listed:
            assert_well_formed(node)
            assert node["up"] is True  # the unlock body's `up: true` was applied
        assert database.nodes.count_documents({"machine_type": machine_type,
                                               "locked": True}) == 0


# --- (c) overlapping unlock_many + single-node locks/unlocks --------------------------------

def test_concurrent_unlock_many_and_single_locks_stay_consistent(server):
    url, _ = server
    for round_number in range(ROUNDS):
        machine_type = fresh_type(f"mix{round_number}x")
        owner_a, owner_b = f"ownerA-{machine_type}", f"ownerB-{machine_type}"
        names = [f"{machine_type}-{i}" for i in range(8)]
        original_owner = {}
        for index, name in enumerate(names):
            owner = owner_a if index < 4 else owner_b
            original_owner[name] = owner
            response = requests.post(f"{url}/nodes/", json={
                "name": name, "machine_type": machine_type, "up": True, "locked": True,
                "locked_by": owner, "description": "original"}, timeout=TIMEOUT)
            assert response.status_code == 200

        n = names
        unlock_many_calls = [  # (owner, names): overlapping sets
            (owner_a, [n[0], n[1], n[2]]), (owner_a, [n[2], n[3]]), (owner_a, [n[3], n[1]]),
            (owner_b, [n[4], n[5], n[6], n[7]]), (owner_b, [n[5], n[6]]),
            (owner_b, [n[7], n[4]]),
        ]
        single_unlocks = [(owner_a, n[1]), (owner_a, n[3]), (owner_b, n[6]), (owner_b, n[7])]
        lockers = [(f"locker{k}-{name}", name, k == 0) for name in names[:6] for k in range(2)]

        def do_unlock_many(owner, node_names):
            response = requests.post(f"{url}/nodes/unlock_many/", json={
                "names": node_names, "locked_by": owner}, timeout=TIMEOUT)
            return ("unlock_many", owner, node_names, response)

        def do_single_unlock(owner, name):
            response = requests.put(f"{url}/nodes/{name}/lock/", data=json.dumps(
                {"name": name, "locked": False, "locked_by": owner, "description": None}),
                timeout=TIMEOUT)
            return ("single_unlock", owner, [name], response)

        def do_locker(locker, name, release):
            """Try to lock a few times; having locked, maybe release it again."""
            attempts = []
            for attempt in range(LOCK_ATTEMPTS):
                response = requests.put(f"{url}/nodes/{name}/lock/", data=json.dumps(
                    {"name": name, "locked": True, "locked_by": locker,
                     "description": f"job of {locker}"}), timeout=TIMEOUT)
                attempts.append(response)
                if response.status_code == 200:
                    break
            released = None
            if attempts[-1].status_code == 200 and release:
                released = requests.put(f"{url}/nodes/{name}/lock/", data=json.dumps(
                    {"name": name, "locked": False, "locked_by": locker,
                     "description": f"job of {locker}"}), timeout=TIMEOUT)
            return ("locker", locker, [name], attempts, released)

        tasks = ([lambda o=o, ns=ns: do_unlock_many(o, ns) for o, ns in unlock_many_calls]
                 + [lambda o=o, nm=nm: do_single_unlock(o, nm) for o, nm in single_unlocks]
                 + [lambda l=l, nm=nm, r=r: do_locker(l, nm, r) for l, nm, r in lockers])
        results = run_together(tasks, workers=len(tasks))

        # every answer is a 200 or a lock-rule refusal; never a 5xx
        owner_unlocked = {name: 0 for name in names}
        holders = {name: [] for name in names}  # lockers answered 200 and not released
        successful_unlock_many = []
        for result in results:
            if result[0] in ("unlock_many", "single_unlock"):
                _, owner, node_names, response = result
                assert response.status_code in (200, 403), (result[0], response.status_code,
                                                            response.text)
                if response.status_code == 200:
                    for name in node_names:
                        owner_unlocked[name] += 1
                    if result[0] == "unlock_many":
                        successful_unlock_many.append((owner, node_names))
                        assert sorted(item["name"] for item in response.json()) == sorted(
                            node_names)
            else:
                _, locker, (name,), attempts, released = result
                for response in attempts:
                    assert response.status_code in (200, 403), (response.status_code,
                                                                response.text)
                if attempts[-1].status_code == 200:
                    if released is None:
                        holders[name].append(locker)
                    else:
                        # nobody else can unlock a locker's node: its own release succeeds
                        assert released.status_code == 200, released.text

        nodes = {node["name"]: node for node in requests.get(
            f"{url}/nodes/?machine_type={machine_type}", timeout=TIMEOUT).json()}
        assert sorted(nodes) == sorted(names)
        for name, node in nodes.items():
            assert_well_formed(node)
            # only its owner could unlock it, and once unlocked the owner never re-locks it
            assert owner_unlocked[name] <= 1, (name, owner_unlocked[name])
            if owner_unlocked[name] == 0:
                refused = [(r[0], r[2], r[3].status_code, r[3].json().get("message"))
                           for r in results if r[0] != "locker" and name in r[2]]
                assert node["locked_by"] == original_owner[name], (
                    f"{name} was unlocked although every unlock of it was refused: {refused}; "
                    f"now locked by {node['locked_by']}")
                assert holders[name] == [], (name, holders[name])
            else:
                assert len(holders[name]) <= 1, (name, holders[name])
                if holders[name]:
                    assert node["locked"] is True
                    assert node["locked_by"] == holders[name][0], (name, node)
                else:
                    assert node["locked"] is False, (name, node)
        for owner, node_names in successful_unlock_many:
            for name in node_names:
                assert nodes[name]["locked_by"] != owner, (owner, name, nodes[name])
