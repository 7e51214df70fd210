"""The REST API against its own OpenAPI document, with Schemathesis: every operation, inputs
generated from the document (valid ones and invalid ones), sent with a live key to the app in
process; no answer may be a 5xx, and every answer must be one the document declares (status,
content type, headers, body schema). The seeded sessions give the generated ids real targets."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from identity_app.db import get_engine, session_scope
from identity_app.migrations import upgrade
from identity_app.models import ApiScope
from identity_app.services.api import keys
from identity_app.settings import get_settings
from tests import seed

pytestmark = pytest.mark.slow  # not in the fast tier: several hundred generated requests

TOKEN: dict[str, str] = {}
EXAMPLES = 60  # per operation and mode


@pytest.fixture(scope="module")
def api_schema():
    upgrade(get_settings().database_url)
    from tests.conftest import _truncate

    _truncate(get_engine())
    with session_scope() as db:
        owner = seed.owner(db)
        app_id = seed.new_app(db, owner)
        TOKEN["key"] = keys.create_key(db, actor=owner, application_id=app_id, name="Schemathesis",
                                       scopes=[s.value for s in ApiScope]).token
        for i in range(1, 6):
            seed.created_session(db, owner, app_id, name=f"Person {i}", email=f"p{i}@example.org", reference=str(i))
    get_settings().api_requests_per_minute = 1_000_000  # the test sends far more than a real backend would
    from identity_app.web.api import api_app

    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", api_app())


# Schemathesis' own pytest decorator reads a pytest internal that pytest 9.2 removed, so each
# operation's Hypothesis test is built here from the schema's strategies (the same generation).
OPERATIONS = [("POST", "/sessions"), ("GET", "/sessions"), ("GET", "/sessions/{session_id}"),
              ("DELETE", "/sessions/{session_id}"), ("DELETE", "/sessions/{session_id}/media"),
              ("POST", "/sessions/{session_id}/email"), ("POST", "/sessions/{session_id}/decisions"),
              ("GET", "/media/{media_id}/content"), ("DELETE", "/media/{media_id}")]


def test_the_list_above_is_every_operation_of_the_document(api_schema):
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


def beyond_the_document(case) -> list:
    """A creation may be refused (422) for what no document can say: overrides beyond what this
    application allows, or an Idempotency-Key reused with another body. Only for those requests is
    "valid data is accepted" not checked; every other check, and the no-5xx rule, still hold."""
    body = case.body if isinstance(case.body, dict) else {}
    rules = {"checks", "preferences"} & set(body) or any(k.lower() == "idempotency-key" for k in case.headers or {})
    return [positive_data_acceptance] if case.operation.path == "/sessions" and rules else []


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("method,path", OPERATIONS)
def test_every_operation_answers_as_its_document_says(api_schema, method, path, mode):
    operation = api_schema[path][method]
    seen = {"cases": 0, "4xx": 0}

    @given(case=operation.as_strategy(generation_mode=mode))
    # The same generated cases every run (derandomize): random ones made this test fail about 1 run in 10,
    # twice on real bugs (tests/services/test_rest_api_unmatched_paths.py, test_urls_with_an_unclosed_bracket.py)
    # and once on Schemathesis' own false alarm (a negative GET /sessions whose invalid part did not survive
    # into the request it sent: cursor=s1 with the key, answered 200). CI must not pass or fail by chance;
    # set derandomize=False locally to explore further.
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=True)
    def answers(case):
        response = case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN['key']}"},
                                          excluded_checks=beyond_the_document(case))
        seen["cases"] += 1
        seen["4xx"] += 400 <= response.status_code < 500
        assert response.status_code < 500

    answers()
    print(f"{method} {path} {mode.value}: {seen['cases']} cases, {seen['4xx']} answered 4xx")
    assert seen["cases"] > 0
