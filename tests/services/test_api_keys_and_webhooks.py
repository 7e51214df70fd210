"""API keys and webhooks at the service level, on both databases: keys kept as hashes, scoped,
revoked at once, rate-limited; endpoints only where a production server may call; deliveries
signed per Standard Webhooks (checked with the `standardwebhooks` package), retried with backoff,
endpoints disabled after a run of failures, secrets rotated with an overlap."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlmodel import select
from standardwebhooks import Webhook, WebhookVerificationError

from identity_app.models import (ApiKey, AuditAction, AuditEvent, DeliveryState, Permission, WebhookDelivery,
                                 WebhookEndpoint, WebhookTopic, utcnow)
from identity_app.services.api import events, keys, webhooks
from identity_app.services.api.webhooks import Event
from identity_app.services.errors import Forbidden, ValidationError
from tests import seed

RECEIVER = "https://hooks.example.com/idv"


@pytest.fixture
def world(db):
    owner = seed.owner(db)
    app_id = seed.new_app(db, owner)
    other_id = seed.new_app(db, owner, "Other")
    viewer = seed.account(db, app_id, [Permission.VIEW_SESSIONS.value])
    return owner, app_id, other_id, viewer


def test_a_key_is_shown_once_kept_as_a_hash_and_refused_once_revoked(db, world):
    owner, app_id, other_id, viewer = world
    made = keys.create_key(db, actor=owner, application_id=app_id, name="CRM", scopes=["results:read", "sessions:create"])
    assert made.token.startswith(f"idv_{made.key.prefix}_") and len(made.token) > 40
    row = db.get(ApiKey, made.key.id)
    assert made.token not in (row.key_hash, row.prefix, row.name) and row.key_hash != made.token
    actor = keys.authenticate_key(db, made.token)
    assert actor is not None and actor.application_id == app_id and actor.id is None
    assert actor.scopes == {"results:read", "sessions:create"} and actor.via.startswith("API key CRM")
    assert [k.prefix for k in keys.list_keys(db, actor=owner, application_id=app_id)] == [made.key.prefix]
    assert keys.list_keys(db, actor=owner, application_id=other_id) == []
    keys.revoke_key(db, actor=owner, application_id=app_id, key_id=made.key.id)
    assert keys.authenticate_key(db, made.token) is None
    for forged in ("", "idv_", made.token[:-1] + ("A" if made.token[-1] != "A" else "B"), made.token + "x",
                   f"idv_{made.key.prefix}_" + "a" * 43, "Bearer " + made.token):
        assert keys.authenticate_key(db, forged) is None
    audited = db.exec(select(AuditEvent.action).where(AuditEvent.target == f"api_key:{made.key.id}")).all()
    assert set(audited) == {AuditAction.API_KEY_CREATED, AuditAction.API_KEY_REVOKED}


def test_only_a_manager_of_the_application_handles_its_keys_and_scopes_are_checked(db, world):
    owner, app_id, other_id, viewer = world
    with pytest.raises(Forbidden):
        keys.create_key(db, actor=viewer, application_id=app_id, name="x", scopes=["results:read"])
    with pytest.raises(Forbidden):
        keys.list_keys(db, actor=viewer, application_id=app_id)
    for scopes in ([], ["admin"], ["results:read", "everything"]):
        with pytest.raises(ValidationError):
            keys.create_key(db, actor=owner, application_id=app_id, name="x", scopes=scopes)
    with pytest.raises(ValidationError):
        keys.create_key(db, actor=owner, application_id=app_id, name="  ", scopes=["results:read"])
    made = keys.create_key(db, actor=owner, application_id=other_id, name="other", scopes=["delete"])
    with pytest.raises(Exception):
        keys.revoke_key(db, actor=owner, application_id=app_id, key_id=made.key.id)  # another application's key


def test_a_key_makes_at_most_its_limit_of_requests_a_minute(db, world):
    owner, app_id, _, _ = world
    made = keys.create_key(db, actor=owner, application_id=app_id, name="CRM", scopes=["results:read"])
    actor = keys.authenticate_key(db, made.token)
    for _ in range(3):
        keys.check_rate(db, actor, 3)
        keys.record_use(db, actor, method="GET", path="/api/v1/sessions", ip="203.0.113.9")
    with pytest.raises(keys.RateLimited) as refused:
        keys.check_rate(db, actor, 3)
    assert 1 <= refused.value.retry_after_s <= 60
    keys.check_rate(db, actor, 3, now=utcnow() + timedelta(seconds=61))  # a minute later it may go on
    other = keys.authenticate_key(db, keys.create_key(db, actor=owner, application_id=app_id, name="B",
                                                      scopes=["results:read"]).token)
    keys.check_rate(db, other, 3)  # counted per key


def test_endpoints_must_be_https_and_never_private_in_production(db, world, monkeypatch):
    owner, app_id, _, _ = world
    for bad in ("http://hooks.example.com/x", "ftp://hooks.example.com", "https://127.0.0.1/x", "https://10.0.0.8/",
                "https://[::1]/x", "https://169.254.169.254/latest", "https://localhost/x", "https://user:pw@example.com/",
                "https://192.168.1.20:8443/", "not a url", ""):
        with pytest.raises(ValidationError):
            webhooks.create_endpoint(db, actor=owner, application_id=app_id, url=bad, topics=["session.completed"])
    with pytest.raises(ValidationError):
        webhooks.create_endpoint(db, actor=owner, application_id=app_id, url=RECEIVER, topics=["nope"])
    made = webhooks.create_endpoint(db, actor=owner, application_id=app_id, url=RECEIVER,
                                    topics=["session.completed", "session.created"])
    assert made.secret.startswith("whsec_") and made.endpoint.topics == ("session.created", "session.completed")
    assert made.secret not in db.get(WebhookEndpoint, made.endpoint.id).secret_enc
    monkeypatch.setenv("IDV_TEST_HOOKS", "true")
    monkeypatch.setenv("IDV_TEST_LOOPBACK_WEBHOOKS", "true")
    assert webhooks.check_url("http://127.0.0.1:9999/hook") == "http://127.0.0.1:9999/hook"


def _endpoint(db, owner, app_id, topics=("session.created",), personal=False):
    return webhooks.create_endpoint(db, actor=owner, application_id=app_id, url=RECEIVER, topics=list(topics),
                                    include_personal_data=personal)


def test_an_event_goes_to_the_subscribed_enabled_endpoints_of_its_application_only(db, world):
    owner, app_id, other_id, _ = world
    ids_only = _endpoint(db, owner, app_id)
    personal = _endpoint(db, owner, app_id, personal=True)
    _endpoint(db, owner, app_id, topics=("session.completed",))
    _endpoint(db, owner, other_id)
    off = _endpoint(db, owner, app_id)
    webhooks.update_endpoint(db, actor=owner, application_id=app_id, endpoint_id=off.endpoint.id, enabled=False)
    created = seed.created_session(db, owner, app_id)
    rows = db.exec(select(WebhookDelivery).where(WebhookDelivery.session_id == created.id)).all()
    assert sorted(d.endpoint_id for d in rows) == sorted([ids_only.endpoint.id, personal.endpoint.id])
    by_endpoint = {d.endpoint_id: d.payload for d in rows}
    plain = by_endpoint[ids_only.endpoint.id]
    assert plain["type"] == "session.created" and plain["data"]["session_id"] == created.id
    assert "user_email" not in plain["data"] and "Ada" not in str(plain)
    assert by_endpoint[personal.endpoint.id]["data"]["user_email"] == "ada@example.org"


def test_a_delivery_is_signed_so_the_standard_library_verifies_it_and_a_rotation_signs_with_both(db, world):
    owner, app_id, _, _ = world
    made = _endpoint(db, owner, app_id)
    seed.created_session(db, owner, app_id)
    delivery = db.exec(select(WebhookDelivery)).one()
    out = webhooks.outgoing(db, delivery.id)
    payload = Webhook(made.secret).verify(out.body.decode(), out.headers)
    assert payload["type"] == "session.created" and out.headers["webhook-id"] == delivery.message_id
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(out.body.decode(), out.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(made.secret).verify(out.body.decode().replace("session.created", "session.deleted"), out.headers)
    rotated = webhooks.rotate_secret(db, actor=owner, application_id=app_id, endpoint_id=made.endpoint.id)
    assert rotated.endpoint.rotation_until is not None
    both = webhooks.outgoing(db, delivery.id)
    assert len(both.headers["webhook-signature"].split()) == 2
    for secret in (made.secret, rotated.secret):
        Webhook(secret).verify(both.body.decode(), both.headers)
    later = webhooks.outgoing(db, delivery.id, now=utcnow() + webhooks.ROTATION_OVERLAP + timedelta(minutes=1))
    assert len(later.headers["webhook-signature"].split()) == 1
    with pytest.raises(WebhookVerificationError):  # the old secret is over (checked against the signature only)
        Webhook(made.secret).verify(later.body.decode(), {**later.headers, "webhook-timestamp": both.headers["webhook-timestamp"]})


def test_failures_back_off_with_jitter_until_three_days_then_the_delivery_is_dead(db, world):
    owner, app_id, _, _ = world
    _endpoint(db, owner, app_id)
    seed.created_session(db, owner, app_id)
    d = db.exec(select(WebhookDelivery)).one()
    rng = random.Random(7)
    delays = []
    now = d.created_at
    while True:
        delay = webhooks.record_attempt(db, d.id, status=503, elapsed_ms=12, now=now, rng=rng)
        if delay is None:
            break
        delays.append(delay.total_seconds())
        now += delay
        if d.attempts >= webhooks.DISABLE_AFTER_FAILURES - 1:  # keep the endpoint on: reset its failure run
            db.get(WebhookEndpoint, d.endpoint_id).consecutive_failures = 0
    assert 4 <= delays[0] <= 6 and 8 <= delays[1] <= 12 and max(delays) <= 6 * 3600 * 1.2
    assert all(b >= a * 1.5 for a, b in zip(delays[:8], delays[1:8]))  # doubling (jitter within 20%)
    assert d.state == DeliveryState.DEAD and timedelta(days=2.5) < now - d.created_at <= webhooks.RETRY_FOR
    assert d.last_status_code == 503 and d.next_attempt_at is None


def test_a_run_of_failures_disables_the_endpoint_and_tells_the_owner(db, world, settings):
    owner, app_id, _, _ = world
    made = _endpoint(db, owner, app_id)
    for n in range(webhooks.DISABLE_AFTER_FAILURES):
        seed.created_session(db, owner, app_id, email=f"p{n}@example.org")
    rows = db.exec(select(WebhookDelivery)).all()
    for d in rows[:webhooks.DISABLE_AFTER_FAILURES]:
        webhooks.record_attempt(db, d.id, status=None, elapsed_ms=10000, error="ConnectTimeout")
    e = db.get(WebhookEndpoint, made.endpoint.id)
    assert not e.enabled and e.disabled_at is not None
    assert db.exec(select(AuditEvent).where(AuditEvent.action == AuditAction.WEBHOOK_DISABLED)).first() is not None
    mails = [p.read_text() for p in settings.outbox_dir.glob("*.eml")]
    assert any("Webhook endpoint disabled" in m and RECEIVER in m for m in mails)
    assert webhooks.outgoing(db, rows[0].id) is None  # nothing goes to a disabled endpoint
    # enabled again, the failed delivery can be resent from the log
    webhooks.update_endpoint(db, actor=owner, application_id=app_id, endpoint_id=e.id, enabled=True)
    again = webhooks.resend(db, actor=owner, application_id=app_id, delivery_id=rows[0].id)
    assert again.state == "PENDING" and again.attempts == 0
    assert webhooks.record_attempt(db, rows[0].id, status=204, elapsed_ms=30) is None
    log = webhooks.list_deliveries(db, actor=owner, application_id=app_id, endpoint_id=e.id)
    assert any(v.id == rows[0].id and v.state == "DELIVERED" and v.last_status_code == 204 for v in log)


def test_deleting_a_session_forgets_deliveries_that_carried_its_persons_data(db, world):
    owner, app_id, _, _ = world
    ids_only = _endpoint(db, owner, app_id, topics=("session.created", "session.deleted"))
    _endpoint(db, owner, app_id, personal=True)
    created = seed.created_session(db, owner, app_id)
    assert webhooks.forget_session(db, created.id) == 1
    left = db.exec(select(WebhookDelivery).where(WebhookDelivery.session_id == created.id)).all()
    assert [d.endpoint_id for d in left] == [ids_only.endpoint.id]
    events.session_deleted(db, application_id=app_id, session_id=created.id)
    topics = sorted(d.topic for d in db.exec(select(WebhookDelivery)).all())
    assert topics == ["session.created", "session.deleted"]


def test_many_sessions_at_once_make_one_delivery_each(db, world):
    owner, app_id, _, _ = world
    _endpoint(db, owner, app_id)
    n = webhooks.emit(db, application_id=app_id, topic=WebhookTopic.SESSION_CREATED,
                      events=[Event(i, {"state": "ONGOING"}) for i in range(1, 51)])
    assert n == 50 and len({d.message_id for d in db.exec(select(WebhookDelivery)).all()}) == 50


def test_a_secret_sealed_under_another_server_key_ends_the_delivery_instead_of_retrying(db, world):
    import base64
    import os

    owner, app_id, _, _ = world
    hook = _endpoint(db, owner, app_id)
    created = seed.created_session(db, owner, app_id)
    (delivery,) = db.exec(select(WebhookDelivery).where(WebhookDelivery.session_id == created.id)).all()
    endpoint = db.get(WebhookEndpoint, hook.endpoint.id)
    endpoint.secret_enc = base64.b64encode(os.urandom(60)).decode()  # as after IDV_SECRET_KEY changed
    db.add(endpoint)
    db.flush()
    assert webhooks.outgoing(db, delivery.id) is None
    db.commit()
    db.refresh(delivery)
    assert delivery.state == DeliveryState.DEAD and "rotate" in delivery.last_error
