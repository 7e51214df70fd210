"""A team's backend drives a verification through the REST API and learns the outcome from its
webhook: an API key and an endpoint made through the services, the session created with the
Python client (idv_client), the capture completed by a person in Chromium with a fake camera,
the events delivered by the real check worker to a receiver on loopback, the report read back
through the API.

The receiver refuses the first two attempts of `session.created`: the worker's retries (backoff
with jitter) bring it once it recovers, and every event is accepted exactly once.
"""
from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from idv_client import Client
from idv_client.webhooks import verify_webhook
from identity_app.models import ApiScope, Application, SessionState, WebhookDelivery
from tests import seed
from tests.browser.capture_flow import TEST_ENV, assert_four_real_reports, capture_by_link, db_of
from tests.browser.conftest import start_app, stop_app
from tests.conftest import shared_data
from tests.services.session_factory import NO_REVIEW

expect.set_options(timeout=20_000)
FAIL_FIRST = 2  # attempts of session.created the receiver refuses


class Receiver:
    """A webhook receiver on loopback: what came, when, and what it answered."""

    def __init__(self) -> None:
        self.received: list[tuple[float, dict[str, str], bytes, int]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                topic = json.loads(body).get("type")
                with receiver.lock:
                    tries = sum(1 for _, h, _, _ in receiver.received
                                if h.get("webhook-id") == self.headers.get("webhook-id"))
                    status = 503 if topic == "session.created" and tries < FAIL_FIRST else 204
                    receiver.received.append((time.time(), dict(self.headers.items()), body, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/idv"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def accepted(self, topic: str) -> list[tuple[float, dict[str, str], bytes]]:
        with self.lock:
            return [(t, {k.lower(): v for k, v in h.items()}, b) for t, h, b, s in self.received
                    if s < 300 and json.loads(b)["type"] == topic]

    def wait_for(self, topic: str, timeout: float) -> tuple[float, dict[str, str], bytes]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.accepted(topic)
            if got:
                return got[0]
            time.sleep(0.1)
        raise AssertionError(f"no {topic} within {timeout} s; got {[json.loads(b)['type'] for *_, b, _ in self.received]}")


@pytest.fixture(autouse=True)
def fresh_settings():
    from identity_app.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def api_app(tmp_path_factory):
    app = start_app(tmp_path_factory.mktemp("api-app"), {**TEST_ENV, "IDV_TEST_LOOPBACK_WEBHOOKS": "true"})
    yield app
    stop_app(app.proc)


def test_a_backend_creates_a_session_hears_it_complete_and_reads_the_report(api_app, playwright_driver, videos,
                                                                            monkeypatch):
    shared_data("mrz-passporteye")
    monkeypatch.setenv("IDV_TEST_HOOKS", "true")  # this process writes the loopback endpoint, as the app allows
    monkeypatch.setenv("IDV_TEST_LOOPBACK_WEBHOOKS", "true")
    monkeypatch.setenv("IDV_SECRET_KEY", api_app.env["IDV_SECRET_KEY"])  # and seals its secret with the app's key
    from identity_app.services.api import keys, webhooks

    receiver = Receiver()
    with db_of(api_app) as db:
        owner = seed.owner(db)
        app = Application(name="Acme Bank", checks_config=NO_REVIEW, privacy_policy_url="https://example.com/privacy")
        db.add(app)
        db.flush()
        key = keys.create_key(db, actor=owner, application_id=app.id, name="CRM",
                              scopes=[s.value for s in ApiScope])
        hook = webhooks.create_endpoint(db, actor=owner, application_id=app.id, url=receiver.url,
                                        topics=["session.created", "resource.updated", "check.completed",
                                                "task.completed", "session.completed"])
        db.commit()

    with Client(api_app.url, key.token) as idv:
        made = idv.create_session(user_name="Grace Hopper", user_email="grace@example.org", reference="crm-1906",
                                  idempotency_key="crm-1906-onboarding")
        assert made.link.startswith(f"{api_app.url}/s/")
        # session.created is refused twice, then delivered by the worker's retries (5 s, then 10 s, +-20%).
        created_at = time.time()
        _, headers, body = receiver.wait_for("session.created", timeout=60)
        event = verify_webhook(hook.secret, body, headers)
        assert event.type == "session.created" and event.data["session_id"] == made.id
        assert "Grace" not in body.decode() and "grace@" not in body.decode()  # ids only, unless asked for
        print(f"\nsession.created delivered after {FAIL_FIRST} refusals in {time.time() - created_at:.1f} s")

        vs = capture_by_link(api_app, playwright_driver, videos, made.link, made.id)
        when, headers, body = receiver.wait_for("session.completed", timeout=60)
        completed = verify_webhook(hook.secret, body, headers)
        finished = vs.capture_finished_at.replace(tzinfo=vs.capture_finished_at.tzinfo or timezone.utc)
        latency = when - finished.timestamp()
        print(f"last capture -> session.completed received: {latency:.1f} s "
              f"(checks {(vs.completed_at.replace(tzinfo=finished.tzinfo) - finished).total_seconds():.1f} s)")
        assert completed.data["session_id"] == made.id and completed.data["state"] == SessionState.COMPLETED.value
        assert_four_real_reports(api_app, made.id, vs)

        # The report, read back through the API, agrees with what the webhook announced.
        session = idv.get_session(made.id)
        assert session.state == "COMPLETED" and session.reference == "crm-1906"
        announced = {c["check_type"]: c["recommendation"] for c in completed.data["checks"]}
        assert {c.type: c.recommendation for c in session.checks} == announced
        assert all(c.report is not None and c.report.breakdown for c in session.checks)
        front = next(m for m in session.media if m.kind == "DOCUMENT_FRONT")
        assert idv.media_content(front.id)[:2] == b"\xff\xd8"

    # Every step was told, each accepted exactly once; nothing more came after the successes.
    time.sleep(3)
    topics = [json.loads(b)["type"] for _, _, b in sum((receiver.accepted(t) for t in (
        "session.created", "resource.updated", "check.completed", "task.completed", "session.completed")), [])]
    assert sorted(topics) == sorted(["session.created", "resource.updated", "resource.updated", "task.completed",
                                     "session.completed"] + ["check.completed"] * 4), topics
    ids = [h.get("webhook-id") for _, h, _, s in receiver.received if s < 300]
    assert len(ids) == len(set(ids)) == len(topics)
    refused = [h.get("webhook-id") for _, h, _, s in receiver.received if s >= 300]
    assert len(refused) == FAIL_FIRST and set(refused) <= set(ids)
    with db_of(api_app) as db:
        delivered = db.exec(select(WebhookDelivery).where(WebhookDelivery.message_id == refused[0])).one()
        assert delivered.attempts == FAIL_FIRST + 1 and delivered.last_status_code == 204
    receiver.server.shutdown()
    print(f"finished at {datetime.now(timezone.utc).isoformat()}")
