"""§3.1: the root and the original's (publicly reachable) /errors/ routes; §7.1."""
import pytest

from tests.integration.support import JSON_TYPE, assert_envelope

ERROR_ROUTES = [
    ("invalid", 400, "invalid request"),
    ("forbidden", 403, "forbidden"),
    ("not_found", 404, "resource was not found"),
    ("unavailable", 503, "service unavailable"),
]


def test_get_root_answers_200_with_an_empty_object(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == JSON_TYPE
    assert response.get_json() == {}


def test_head_root_answers_200_without_a_body(client):
    response = client.head("/")
    assert response.status_code == 200
    assert response.data == b""


def test_get_bogus_url_is_404(client):
    # §7.1 test_get_not_found
    assert_envelope(client.get("/a/bogus/url"), 404)


@pytest.mark.parametrize("kind,status,default", ERROR_ROUTES)
def test_error_route_answers_its_status_with_the_default_message(client, kind, status, default):
    assert_envelope(client.get(f"/errors/{kind}/"), status, default)


@pytest.mark.parametrize("kind,status,default", ERROR_ROUTES)
def test_error_route_carries_the_error_message_query_parameter(client, kind, status, default):
    response = client.get(f"/errors/{kind}/", query_string={"error_message": "it broke"})
    assert_envelope(response, status, "it broke")


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_error_route_answers_any_method(client, method):
    response = getattr(client, method)("/errors/forbidden/")
    assert_envelope(response, 403, "forbidden")


def test_error_route_reads_error_message_from_a_json_body(client):
    response = client.post("/errors/invalid/", json={"error_message": "from the body"})
    assert_envelope(response, 400, "from the body")


def test_error_route_without_trailing_slash(client):
    assert_envelope(client.get("/errors/unavailable"), 503, "service unavailable")


def test_error_message_percent_sequences_are_not_decoded_twice(client):
    # §2.4 quirk / §10 row 16 (fixed): "%d" must not turn into a carriage return.
    message = "date format must match %Y-%m-%d"
    response = client.get("/errors/invalid/", query_string={"error_message": message})
    assert_envelope(response, 400, message)


def test_error_message_is_not_truncated_at_a_semicolon(client):
    # §2.4 quirk / §10 row 16 (fixed): a ";" no longer truncates the message.
    message = "'names' must be a list; got: <class 'str'>"
    response = client.get("/errors/invalid/", query_string={"error_message": message})
    assert_envelope(response, 400, message)


def test_unknown_error_kind_is_404(client):
    assert_envelope(client.get("/errors/teapot/"), 404)
