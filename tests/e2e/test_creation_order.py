"""Lists that promise creation order keep it when 4 gunicorn workers create the items within
the same second (ObjectIds alone order such items by process, not by time)."""
import requests

from tests.e2e.conftest import run_together

ROUNDS = 12
PER_ROUND = 4
RUN = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi-order"


def create_in_rounds(create):
    """Create ROUNDS batches of PER_ROUND items, the items of a batch at once (so several
    workers create them), each batch after the previous one was acknowledged. Returns the
    batches of names."""
    rounds = []
    for number in range(ROUNDS):
        names = [f"r{number:02d}-{index}" for index in range(PER_ROUND)]
        responses = run_together([lambda name=name: create(name) for name in names],
                                 workers=PER_ROUND)
        assert [response.status_code for response in responses] == [200] * PER_ROUND
        rounds.append(names)
    return rounds


def assert_in_round_order(listed, rounds):
    """Every item of a round is listed after every item of the rounds before it."""
    wanted = {name for names in rounds for name in names}
    position = {name: index for index, name in enumerate(n for n in listed if n in wanted)}
    assert set(position) == wanted
    for earlier, later in zip(rounds, rounds[1:]):
        assert max(position[name] for name in earlier) < min(position[name] for name in later), (
            earlier, later, [n for n in listed if n in wanted])


def test_nodes_created_by_several_workers_list_in_creation_order(server):
    url, _database = server
    rounds = create_in_rounds(lambda name: requests.post(
        f"{url}/nodes/", json={"name": f"post-{name}", "machine_type": "order"}, timeout=60))
    listed = [node["name"] for node in requests.get(f"{url}/nodes/", timeout=60).json()]
    assert_in_round_order(listed, [[f"post-{name}" for name in names] for names in rounds])
    by_type = requests.get(f"{url}/nodes/?machine_type=order&count=20&page=2", timeout=60).json()
    assert [node["name"] for node in by_type] == [n for n in listed if n.startswith("post-")][20:40]


def test_nodes_a_job_creates_list_in_creation_order(server):
    url, _database = server
    assert requests.post(f"{url}/runs/", json={"name": RUN}, timeout=60).status_code == 200

    def report(name):
        return requests.post(f"{url}/runs/{RUN}/jobs/", json={
            "job_id": name, "status": "running",
            "targets": {f"ubuntu@target-{name}.front.sepia.ceph.com": "ssh-ed25519 AAAA"}},
            timeout=60)

    rounds = create_in_rounds(report)
    listed = [node["name"] for node in requests.get(f"{url}/nodes/", timeout=60).json()]
    assert_in_round_order(listed, [[f"target-{name}.front.sepia.ceph.com" for name in names]
                                   for names in rounds])


def test_queues_created_by_several_workers_list_in_creation_order(server):
    url, _database = server
    rounds = create_in_rounds(lambda name: requests.post(
        f"{url}/queue/", json={"queue": f"queue-{name}"}, timeout=60))
    listed = [queue["queue"] for queue in requests.get(f"{url}/queue/", timeout=60).json()]
    assert_in_round_order(listed, [[f"queue-{name}" for name in names] for names in rounds])
