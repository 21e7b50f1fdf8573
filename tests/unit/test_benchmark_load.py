"""benchmarks/load.py reports a lab in batches of jobs to a server that takes them, step by
step, and job by job to one that does not (the original paddles)."""
import pytest

from benchmarks.lab import Lab
from benchmarks.load import BATCH_JOBS, LoadError, lab_reports, report_run, takes_batches

URL = "http://paddles.test"


class Answer:
    def __init__(self, status_code, body):
        self.status_code, self.body = status_code, body
        self.text = str(body)

    def json(self):
        if isinstance(self.body, str):
            raise ValueError("not JSON")
        return self.body


class Server:
    """A session stand-in: records what is sent, answers `answer(body)`."""

    def __init__(self, answer):
        self.answer = answer
        self.sent = []

    def request(self, method, url, json=None, timeout=None):
        self.sent.append((method, url, json))
        return self.answer(json)

    def post(self, url, json=None, timeout=None):
        return self.request("POST", url, json, timeout)


@pytest.mark.parametrize("answer, taken", [
    (Answer(200, []), True),
    (Answer(400, {"message": "JSON body must be an object"}), False),
    (Answer(500, "<html>Internal Server Error</html>"), False),
    (Answer(200, {"job_id": "1"}), False),
])
def test_a_server_takes_batches_if_it_answers_an_empty_one_with_an_empty_list(answer, taken):
    server = Server(lambda body: answer)
    run = {"name": "teuthology-2026-01-05_03:00:00-rados-main-distro-default-smithi"}
    assert takes_batches(server, URL, run) is taken
    assert server.sent == [("POST", f"{URL}/runs/{run['name']}/jobs/", [])]


def written(body):
    return Answer(200, [{"job_id": item["job_id"], "status": 200} for item in body])


def test_a_run_is_reported_step_by_step_in_batches_of_at_most_the_limit():
    # The first of 4 runs: not left in flight, so each of its jobs has three steps.
    (run, jobs), *_newer = lab_reports(Lab(seed=2, runs=4, jobs_per_run=4,
                                           big_run_jobs=BATCH_JOBS + 20, nodes=4))
    server = Server(written)
    report_run(server, URL, run, jobs, lifecycle=True)
    sizes = [len(body) for _method, _url, body in server.sent]
    assert sizes == [BATCH_JOBS, 20] * 3  # queued, running, results
    assert {url for _method, url, _body in server.sent} == {f"{URL}/runs/{run['name']}/jobs/"}
    queued, running, results = (
        [item for _m, _u, body in server.sent[step:step + 2] for item in body]
        for step in (0, 2, 4))
    assert [item["job_id"] for item in queued] == [job["job_id"] for job, _final in jobs]
    assert {item["status"] for item in queued} == {"queued"}
    assert all("targets" in item and "final" not in item for item in queued)
    assert running == [{"status": "running", "job_id": job["job_id"]} for job, _final in jobs]
    assert [item["status"] for item in results] == [final for _job, final in jobs]


def test_each_job_is_sent_its_own_steps_in_order():
    """Without `lifecycle`, a finished job's second step is its result, sent with the others'
    second steps (`running` of jobs left running); a job left queued has none."""
    [(run, jobs)] = lab_reports(Lab(seed=3, runs=1, big_run_jobs=9, nodes=4))  # in flight
    server = Server(written)
    report_run(server, URL, run, jobs)
    steps = [{item["job_id"]: item["status"] for item in body} for _m, _u, body in server.sent]
    finals = {job["job_id"]: final for job, final in jobs}
    assert {"queued", "running"} < set(finals.values()) and len(set(finals.values())) > 2
    assert steps == [dict.fromkeys(finals, "queued"),
                     {job_id: final for job_id, final in finals.items() if final != "queued"}]


def test_a_refused_job_stops_the_load():
    [(run, jobs)] = lab_reports(Lab(seed=2, runs=1, big_run_jobs=3, nodes=4))
    server = Server(lambda body: Answer(200, [{"job_id": "1", "status": 400,
                                               "message": "bad"}] * len(body)))
    with pytest.raises(LoadError, match="3 jobs refused"):
        report_run(server, URL, run, jobs)
