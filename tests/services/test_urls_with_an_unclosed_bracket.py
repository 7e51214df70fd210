"""A web address with an IPv6 bracket never closed ("http://[") is refused with the address's own
message, not a 500: found by the Schemathesis run of test_rest_api_schema.py on a session's error_url.
Through the API over HTTP (its document's URL pattern refuses it, as the services do), and the services
behind the console's forms (redirect URLs, webhooks)."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from identity_app.db import get_engine, session_scope
from identity_app.migrations import upgrade
from identity_app.models import ApiScope
from identity_app.services.api import keys
from identity_app.services.api.webhooks import check_url
from identity_app.services.applications.settings import url_or_empty
from identity_app.services.errors import ValidationError
from identity_app.settings import get_settings
from tests import seed

UNCLOSED = ["HTTP://[", "https://[::1/x", "https://]example.org"]
# Brackets closed round no IPv6 address: Python's parser refuses these too (found by Schemathesis after
# the document's pattern let bracketed hosts through).
BAD_BRACKETS = ["hTTPs://[b40:.9a5B1598d]"]


@pytest.fixture(scope="module")
def api():
    upgrade(get_settings().database_url)
    from tests.conftest import _truncate

    _truncate(get_engine())
    with session_scope() as db:
        owner = seed.owner(db)
        app_id = seed.new_app(db, owner)
        token = keys.create_key(db, actor=owner, application_id=app_id, name="CRM",
                                scopes=[s.value for s in ApiScope]).token
    from identity_app.web.api import api_app

    return TestClient(api_app()), token


@pytest.mark.parametrize("url", UNCLOSED + BAD_BRACKETS)
def test_a_session_asked_with_such_a_redirect_url_is_refused_as_a_problem(api, url):
    http, token = api
    r = http.post("/api/v1/sessions", headers={"Authorization": f"Bearer {token}"},
                  json={"user_name": "Ada Lovelace", "user_email": "ada@example.org", "error_url": url})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"] == "error_url: is not an http(s) URL"  # the document's pattern refuses it now


@pytest.mark.parametrize("url", UNCLOSED + BAD_BRACKETS)
def test_the_services_refuse_it_in_words(url):
    with pytest.raises(ValidationError, match="web address"):
        url_or_empty(url, "success redirect URL")
    with pytest.raises(ValidationError, match="URL"):
        check_url(url)


@pytest.mark.parametrize("url", ["https://example.org/done?x=1", "http://127.0.0.1:8080/back", "https://e.org/[x]"])
def test_the_document_and_the_services_still_take_real_addresses(api, url):
    http, token = api
    r = http.post("/api/v1/sessions", headers={"Authorization": f"Bearer {token}"},
                  json={"user_name": "Ada Lovelace", "user_email": "ada@example.org", "error_url": url})
    assert r.status_code == 201, r.text
    assert url_or_empty(url, "error redirect URL") == url
