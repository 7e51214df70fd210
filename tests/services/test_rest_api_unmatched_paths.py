"""A path no route of the REST API matches is answered as the API's document says every 404 is: a
problem (application/problem+json), also when the path holds what stops the mount's pattern (a newline,
found by the Schemathesis run of test_rest_api_schema.py). Paths outside the API keep their plain 404."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from identity_app.web.api import api_app


@pytest.fixture(scope="module")
def http():
    return TestClient(api_app())


@pytest.mark.parametrize("method,path", [
    ("DELETE", "/api/v1/sessions/%C2%BEr%0A%15/media"),  # the generated case: a newline in the id
    ("GET", "/api/v1/sessions/1%0A"),
    ("GET", "/api/v1/no-such-thing"),
    ("POST", "/api/v1/sessions/1/email/again"),
])
def test_an_unmatched_api_path_is_a_problem(http, method, path):
    r = http.request(method, path)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert (body["status"], body["title"]) == (404, "Not Found") and body["detail"]


def test_an_unmatched_path_outside_the_api_stays_plain(http):
    r = http.get("/api/nothing-here%0A")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/plain")
