import requests


def test_doubled_slash_is_served_like_a_single_one(server):
    url, _ = server
    run = "teuthology-2026-01-02_03:04:05-rados-main-distro-default-smithi"
    assert requests.post(f"{url}/runs/{run}/jobs/", json={"job_id": "1"}).status_code == 200
    response = requests.get(f"{url}//runs/{run}//jobs/1/")
    assert response.status_code == 200
    assert response.json()["job_id"] == "1"
