"""The Yoti-compatible endpoint driven by Yoti's own Python SDK (`yoti` on PyPI), on both databases.

The app's HTTP routes run in a real server (granian, the production server, in its own process) on
loopback, on the test's database and media folder; `DocScanClient` is pointed at its /idverify/v1
with the private key the SDK-key service handed out. A session is created from a session
specification, completed through the capture services with real images and the real check job
(tests/seed.py), read back and parsed by the SDK, its media fetched and deleted, the session
deleted. Requests signed with another key, replayed, forged or stale are refused. The session's
notifications reach a receiver on loopback with Yoti's topic and the team's auth header."""
from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import Session, select

from identity_app.models import AuditAction, AuditEvent, SdkKey, WebhookDelivery
from identity_app.services.api import keys, sdk_keys
from identity_app.storage import get_media_store
from tests import seed
from tests.conftest import ROOT, free_port, shared_data

pytestmark = pytest.mark.slow  # a server process, the real check models

yoti = pytest.importorskip("yoti_python_sdk.doc_scan")
from yoti_python_sdk import http as yoti_http  # noqa: E402
from yoti_python_sdk.doc_scan import (  # noqa: E402
    DocScanClient, NotificationConfigBuilder, RequestedDocumentAuthenticityCheckBuilder,
    RequestedFaceMatchCheckBuilder, RequestedLivenessCheckBuilder, RequestedTextExtractionTaskBuilder,
    SdkConfigBuilder, SessionSpecBuilder)
from yoti_python_sdk.doc_scan.exception import DocScanException  # noqa: E402
from yoti_python_sdk.doc_scan.session.create.filter import (  # noqa: E402
    OrthogonalRestrictionsFilterBuilder, RequiredIdDocumentBuilder)

AUTH_TOKEN = "team:hook-password"


class Receiver:
    """A notification receiver on loopback: keeps what it gets, answers 200."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], dict]] = []
        got = self.got

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                got.append(({k.lower(): v for k, v in self.headers.items()}, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/yoti-hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _serve(database_url: str) -> tuple[subprocess.Popen, str]:
    """The app's HTTP routes (web/api.py) in granian on loopback, on this database."""
    port = free_port()
    env = {**os.environ, "IDV_DATABASE_URL": database_url, "IDV_TEST_HOOKS": "true",
           "IDV_TEST_LOOPBACK_WEBHOOKS": "true"}
    proc = subprocess.Popen([sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--no-ws",
                             "--workers", "1", "--log-level", "warning", "--host", "127.0.0.1", "--port", str(port),
                             "identity_app.web.api:api_app"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server stopped: " + proc.stderr.read().decode()[-2000:])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            if requests.get(base + "/api/health", timeout=2).ok:
                return proc, base
        except (OSError, requests.RequestException):
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the server did not start within 60 s")


def _pem(tmp_path_factory, name: str, text: str) -> str:
    path = tmp_path_factory.mktemp("keys") / name
    path.write_text(text)
    return str(path)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    from types import SimpleNamespace

    from identity_app import db as db_module

    engine = seed.module_engine(request)
    patch = pytest.MonkeyPatch()
    patch.setattr(db_module, "get_engine", lambda: engine)  # this process's doorway (worker deliveries)
    patch.setenv("IDV_TEST_HOOKS", "true")
    patch.setenv("IDV_TEST_LOOPBACK_WEBHOOKS", "true")
    with Session(engine, expire_on_commit=False) as db:
        owner = seed.owner(db)
        app_id = seed.application(db, owner, face_match="NEVER", text="NEVER")
        other_id = seed.application(db, owner, "Other")
        key = sdk_keys.create_sdk_key(db, actor=owner, application_id=app_id)
        other = sdk_keys.create_sdk_key(db, actor=owner, application_id=other_id)
        api_key = keys.create_key(db, actor=owner, application_id=app_id, name="CRM", scopes=["results:read"]).token
        db.commit()
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()).decode()
    proc, base = _serve(engine.url.render_as_string(hide_password=False))
    receiver = Receiver()
    api = base + "/idverify/v1"
    try:
        yield SimpleNamespace(
            engine=engine, base=base, api=api, app_id=app_id, owner=owner, receiver=receiver, api_key=api_key,
            sdk_key_id=key.key.id, sdk_id=key.key.sdk_id,
            pem=_pem(tmp_path_factory, "mine.pem", key.private_key_pem),
            client=DocScanClient(key.key.sdk_id, _pem(tmp_path_factory, "mine2.pem", key.private_key_pem), api_url=api),
            other_client=DocScanClient(other.key.sdk_id, _pem(tmp_path_factory, "other.pem", other.private_key_pem),
                                       api_url=api),
            stranger=DocScanClient(key.key.sdk_id, _pem(tmp_path_factory, "stranger.pem", stranger), api_url=api))
    finally:
        receiver.close()
        proc.terminate()
        proc.wait(timeout=20)
        patch.undo()


def _spec(receiver_url: str):
    documents = OrthogonalRestrictionsFilterBuilder().with_whitelisted_document_types(["PASSPORT"]).build()
    return (SessionSpecBuilder()
            .with_client_session_token_ttl(3600)
            .with_user_tracking_id("crm-yoti-1")
            .with_requested_check(RequestedDocumentAuthenticityCheckBuilder().build())
            .with_requested_check(RequestedLivenessCheckBuilder().for_zoom_liveness().with_max_retries(1).build())
            .with_requested_check(RequestedFaceMatchCheckBuilder().with_manual_check_never().build())
            .with_requested_task(RequestedTextExtractionTaskBuilder().with_manual_check_never().build())
            .with_required_document(RequiredIdDocumentBuilder().with_filter(documents).build())
            .with_sdk_config(SdkConfigBuilder().with_allows_camera_and_upload().with_primary_colour("#2d9fff")
                             .with_success_url("https://crm.example.com/done")
                             .with_error_url("https://crm.example.com/oops").build())
            .with_notifications(NotificationConfigBuilder().with_endpoint(receiver_url).with_auth_token(AUTH_TOKEN)
                                .for_session_completion().for_check_completion().build())
            .build())


def _status(call) -> int:
    with pytest.raises(DocScanException) as refused:
        call()
    return refused.value.status_code


def _deliver_notifications(world, session_id: int) -> None:
    from identity_app import worker

    with Session(world.engine) as db:
        ids = db.exec(select(WebhookDelivery.id).where(WebhookDelivery.session_id == session_id,
                                                       WebhookDelivery.endpoint_id.is_(None))).all()
    for delivery_id in ids:
        worker.deliver_webhook.call_local(delivery_id)


def test_the_sdk_creates_a_session_reads_it_completes_it_fetches_and_deletes_its_media_and_the_session(world):
    shared_data("mrz-passporteye")
    shared_data("liveness-pose-eyes-insightface")
    client = world.client
    made = client.create_session(_spec(world.receiver.url))
    assert made.session_id.isdigit() and made.client_session_token and 3500 <= made.client_session_token_ttl <= 3600
    sid = int(made.session_id)

    before = client.get_session(made.session_id)
    assert (before.state, before.session_id, before.user_tracking_id) == ("ONGOING", made.session_id, "crm-yoti-1")
    assert before.client_session_token == made.client_session_token and before.checks == []
    assert before.resources.id_documents == [] and before.resources.liveness_capture == []

    # The person's link, as Yoti's iframe URL names it, opens our capture page.
    opened = requests.get(f"{world.api}/web/index.html", params={"sessionID": made.session_id,
                                                                 "sessionToken": made.client_session_token},
                          allow_redirects=False, timeout=10)
    assert opened.status_code == 303 and opened.headers["location"].endswith("/s/" + made.client_session_token)
    wrong = requests.get(f"{world.api}/web/index.html", params={"sessionID": made.session_id,
                                                                "sessionToken": "x" * 43}, timeout=10)
    assert wrong.status_code == 404

    with Session(world.engine, expire_on_commit=False) as db:
        seed.capture(db, get_media_store(), made.client_session_token)

    after = client.get_session(made.session_id)
    assert after.state == "COMPLETED" and after.client_session_token is None
    for checks in (after.authenticity_checks, after.liveness_checks, after.face_match_checks,
                   after.id_document_text_data_checks):
        assert len(checks) >= 1
    for check in after.checks:
        assert check.state == "DONE", check.type
        assert check.report.recommendation.value in ("APPROVE", "REJECT", "NOT_AVAILABLE"), check.type
        assert check.report.breakdown and all(b.sub_check and b.result for b in check.report.breakdown)
    document = after.resources.id_documents[0]
    assert document.document_type == "PASSPORT" and document.pages and document.pages[0].media.id
    assert document.document_fields is not None and after.resources.liveness_capture[0].frames
    zoom = after.resources.zoom_liveness_resources
    assert zoom and zoom[0].liveness_type == "ZOOM" and all(f.media.id for f in zoom[0].frames)
    extraction = document.text_extraction_tasks
    assert [t.state for t in extraction] == ["DONE"] and extraction[0].generated_media[0].type == "JSON"
    made_checks = {c.id for c in extraction[0].generated_checks}
    assert made_checks and made_checks <= {c.id for c in after.id_document_text_data_checks}
    assert after.biometric_consent_timestamp is not None

    page_id = document.pages[0].media.id
    image = client.get_media_content(made.session_id, page_id)
    assert image.mime_type == "image/jpeg" and image.content[:3] == b"\xff\xd8\xff"
    fields = client.get_media_content(made.session_id, document.document_fields.media.id)
    assert fields.mime_type == "application/json"
    read = json.loads(fields.content)
    assert read["document_type"] == "PASSPORT" and read["document_number"] and read["mrz"]["line1"].startswith("P<")

    # Notifications of the topics asked for only (no resource or task ones), Yoti-named, with the
    # team's token as Basic auth: one per completed check, then the session's completion.
    _deliver_notifications(world, sid)
    got = [(h, b) for h, b in world.receiver.got if b.get("session_id") == made.session_id]
    assert sorted(b.get("check_id", "") for _, b in got if b["topic"] == "check_completion") == sorted(
        c.id for c in after.checks)
    assert [b for _, b in got if b["topic"] != "check_completion"] == [
        {"session_id": made.session_id, "topic": "session_completion"}]
    for headers, _ in got:
        assert headers["authorization"] == "Basic " + base64.b64encode(AUTH_TOKEN.encode()).decode()
        assert headers["content-type"] == "application/json"

    client.delete_media_content(made.session_id, page_id)
    assert _status(lambda: client.get_media_content(made.session_id, page_id)) == 404
    assert page_id not in [p.media.id for p in client.get_session(made.session_id).resources.id_documents[0].pages]
    assert _status(lambda: client.delete_media_content(made.session_id, document.document_fields.media.id)) == 409

    client.delete_session(made.session_id)
    assert _status(lambda: client.get_session(made.session_id)) == 404

    with Session(world.engine) as db:
        used = db.exec(select(AuditEvent).where(AuditEvent.action == AuditAction.API_REQUEST,
                                                AuditEvent.target == f"sdk_key:{world.sdk_key_id}")).all()
    mine = [e for e in used if e.details["path"].startswith(f"/sessions/{sid}")]
    assert len(mine) == 10 and all(e.details.get("nonce") for e in used)  # every request, refused ones too
    assert {e.details["method"] for e in used} == {"POST", "GET", "DELETE"}


def test_another_key_is_refused_and_another_applications_key_sees_nothing(world):
    made = world.client.create_session(SessionSpecBuilder().with_requested_check(
        RequestedLivenessCheckBuilder().for_zoom_liveness().build()).build())
    assert _status(lambda: world.stranger.get_session(made.session_id)) == 401
    assert _status(lambda: world.stranger.create_session(SessionSpecBuilder().build())) == 401
    assert _status(lambda: world.other_client.get_session(made.session_id)) == 404
    assert _status(lambda: world.other_client.delete_session(made.session_id)) == 404
    assert world.client.get_session(made.session_id).state == "ONGOING"
    with Session(world.engine, expire_on_commit=False) as db:
        key = db.get(SdkKey, world.sdk_key_id)
        assert key is not None and key.revoked_at is None


def test_a_yoti_session_is_one_of_ours_for_the_rest_api_too(world):
    made = world.client.create_session(SessionSpecBuilder().with_user_tracking_id("crm-both").with_requested_check(
        RequestedLivenessCheckBuilder().for_zoom_liveness().build()).build())
    read = requests.get(f"{world.base}/api/v1/sessions/{made.session_id}", timeout=10,
                        headers={"Authorization": f"Bearer {world.api_key}"})
    assert read.status_code == 200
    body = read.json()
    assert (body["reference"], body["state"], body["user_name"], body["user_email"]) == ("crm-both", "ONGOING", "", "")
    assert body["link"].endswith("/s/" + made.client_session_token)


def _signed(world, method: str, endpoint: str, payload: bytes | None = None):
    builder = (yoti_http.SignedRequest.builder().with_http_method(method).with_pem_file(world.pem)
               .with_base_url(world.api).with_endpoint(endpoint).with_param("sdkId", world.sdk_id))
    if payload is not None:
        builder = builder.with_payload(payload)
    return builder.build()


def test_a_replayed_forged_or_stale_request_is_refused(world, monkeypatch):
    made = world.client.create_session(SessionSpecBuilder().with_requested_check(
        RequestedLivenessCheckBuilder().for_zoom_liveness().build()).build())
    once = _signed(world, "GET", f"/sessions/{made.session_id}")
    assert once.execute().status_code == 200
    assert once.execute().status_code == 401  # the same nonce again

    fresh = _signed(world, "GET", f"/sessions/{made.session_id}")
    other_path = fresh.url.replace(f"/sessions/{made.session_id}?", "/supported-documents?")
    assert requests.get(other_path, headers=fresh.headers, timeout=10).status_code == 401  # signed for another path
    forged = dict(fresh.headers, **{"X-Yoti-Auth-Digest": base64.b64encode(b"\x00" * 256).decode()})
    assert requests.get(fresh.url, headers=forged, timeout=10).status_code == 401
    unsigned = {k: v for k, v in fresh.headers.items() if k != "X-Yoti-Auth-Digest"}
    assert requests.get(fresh.url, headers=unsigned, timeout=10).status_code == 401

    body = json.dumps({"user_tracking_id": "a"}).encode()
    post = _signed(world, "POST", "/sessions", body)
    assert requests.post(post.url, data=body.replace(b'"a"', b'"b"'), headers=post.headers,
                         timeout=10).status_code == 401  # the body is signed too

    monkeypatch.setattr(yoti_http, "create_timestamp", lambda: int((time.time() - 600) * 1000))
    stale = _signed(world, "GET", f"/sessions/{made.session_id}")
    assert stale.execute().status_code == 401
    refused = requests.get(stale.url, headers=stale.headers, timeout=10)
    assert refused.json()["code"] == "UNAUTHORIZED"


def test_one_request_sent_twice_at_once_is_admitted_once(world):
    made = world.client.create_session(SessionSpecBuilder().with_requested_check(
        RequestedLivenessCheckBuilder().for_zoom_liveness().build()).build())
    for _ in range(4):
        signed = _signed(world, "GET", f"/sessions/{made.session_id}")
        start, statuses = threading.Barrier(2), []

        def send() -> None:
            start.wait()
            statuses.append(requests.get(signed.url, headers=signed.headers, timeout=30).status_code)

        senders = [threading.Thread(target=send) for _ in range(2)]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        assert sorted(statuses) == [200, 401]


def test_a_specification_we_cannot_honour_is_refused_naming_its_property(world):
    spec = {"requested_checks": [{"type": "WATCHLIST_SCREENING", "config": {}}]}
    request = _signed(world, "POST", "/sessions", json.dumps(spec).encode())
    refused = request.execute()
    assert refused.status_code == 400
    assert json.loads(refused.text)["errors"][0]["property"] == "requested_checks[0].type"


def test_a_body_over_64_kb_is_refused_unread(world):
    body = json.dumps({"user_tracking_id": "x", "padding": "y" * 70_000}).encode()
    request = _signed(world, "POST", "/sessions", body)
    assert request.execute().status_code == 413

    def chunks():  # no Content-Length: the server stops reading past the limit
        for _ in range(20):
            yield b"y" * 8192

    assert requests.post(request.url, data=chunks(), headers=request.headers, timeout=30).status_code == 413


def test_supported_documents_are_the_applications(world):
    supported = world.client.get_supported_documents()
    codes = [c.code for c in supported.supported_countries]
    assert len(codes) == 249 and "GBR" in codes
    assert {d.type for d in supported.supported_countries[0].supported_documents} >= {"PASSPORT"}
