import requests


def test_doubled_slash_is_served_like_a_single_one(server):
    url, _ = server
    run = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"
    assert requests.post(f"{url}/runs/{run}/jobs/", json={"job_id": "1"}).status_code == 200
    response = requests.get(f"{url}//runs/{run}//jobs/1/")
    assert response.status_code == 200
    assert response.json()["job_id"] == "1"


def test_chunked_body_over_the_limit_is_413(server):
    """The body limit holds when no Content-Length announces the size (a streamed request)."""
    url, _ = server
    run = "teuthology-2026-01-02_03:04:06-rados-main-distro-default-smithi"
    chunk = b" " * (1024 * 1024)

    def body():  # requests sends a generator with Transfer-Encoding: chunked
        yield b'{"job_id": "1", "padding": "'
        for _ in range(9):
            yield chunk
        yield b'"}'

    response = requests.post(f"{url}/runs/{run}/jobs/", data=body(),
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"message": "request body is larger than 8388608 bytes"}
    assert requests.get(f"{url}/runs/{run}/").status_code == 404


def test_chunked_body_within_the_limit_is_read(server):
    url, _ = server
    run = "teuthology-2026-01-02_03:04:07-rados-main-distro-default-smithi"

    def body():
        yield b'{"job_id": "1", '
        yield b'"status": "queued"}'

    response = requests.post(f"{url}/runs/{run}/jobs/", data=body(),
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert requests.get(f"{url}/runs/{run}/jobs/1/").json()["status"] == "queued"
