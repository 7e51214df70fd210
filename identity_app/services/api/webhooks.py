"""Webhooks: an application's endpoints, the events they subscribe to, and delivering them.

An event (`emit`, called by the services where something happens) becomes one delivery per
subscribed endpoint, written in the same unit of work and sent from the durable queue once it
commits. A delivery is signed per the Standard Webhooks specification (`webhook-id`,
`webhook-timestamp`, `webhook-signature`: HMAC-SHA256 over id.timestamp.body, made with the
`standardwebhooks` package) and retried with exponential backoff and jitter for up to three days.
An endpoint that keeps failing is disabled and the owner told by email. Payloads carry ids, not
personal data, unless the team asks for names and emails on that endpoint.
"""
from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import random
import secrets
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session, select

from identity_app import jobs, test_hooks
from identity_app.crypto import DecryptionError, decrypt, derive_key, encrypt
from identity_app.models import (
    Application,
    AuditAction,
    DeliveryState,
    Operator,
    Permission,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookTopic,
    utcnow,
)
from identity_app.services import audit
from identity_app.services.access.auth import OperatorView
from identity_app.services.access.permissions import require
from identity_app.services.errors import NotFound, ValidationError
from identity_app.settings import get_settings

RETRY_FOR = timedelta(days=3)
ROTATION_OVERLAP = timedelta(hours=24)  # the old secret still signs (beside the new one) this long
DISABLE_AFTER_FAILURES = 20             # failed attempts in a row, over any deliveries
TIMEOUT_S = 10.0
MAX_PAGE = 100


@dataclass(frozen=True)
class EndpointView:
    id: int
    url: str
    description: str
    topics: tuple[str, ...]
    include_personal_data: bool
    enabled: bool
    consecutive_failures: int
    disabled_at: datetime | None
    rotation_until: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class CreatedSecret:
    endpoint: EndpointView
    secret: str  # "whsec_...": shown once, kept encrypted


@dataclass(frozen=True)
class DeliveryView:
    id: int
    message_id: str
    topic: str
    state: str
    attempts: int
    last_status_code: int | None
    last_response_ms: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None


# --- secrets ---------------------------------------------------------------------------


def _key() -> bytes:
    return derive_key(get_settings().secret_key.get_secret_value(), "webhooks")


def seal(value: str) -> str:
    return base64.b64encode(encrypt(_key(), value.encode(), b"webhooks")).decode()


def unseal(value: str) -> str:
    return decrypt(_key(), base64.b64decode(value), b"webhooks").decode()


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


# --- endpoints ---------------------------------------------------------------------------


def _view(e: WebhookEndpoint) -> EndpointView:
    assert e.id is not None
    until = e.previous_until if e.previous_secret_enc and e.previous_until and e.previous_until > utcnow() else None
    return EndpointView(e.id, e.url, e.description, tuple(e.topics), e.include_personal_data, e.enabled,
                        e.consecutive_failures, e.disabled_at, until, e.created_at)


def clean_topics(topics: list[str] | tuple[str, ...]) -> list[str]:
    chosen = set(topics)
    if not chosen or chosen - {t.value for t in WebhookTopic}:
        raise ValidationError("Choose at least one topic: " + ", ".join(t.value for t in WebhookTopic) + ".")
    return [t.value for t in WebhookTopic if t.value in chosen]


def _private(host: str) -> bool:
    """True when the host is, or resolves to, a loopback, private, link-local or reserved address."""
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in socket.getaddrinfo(host, None)}
        except (socket.gaierror, UnicodeError, ValueError):
            return False  # unresolvable now: a delivery checks again before it connects
    return any(a.is_private or a.is_loopback or a.is_link_local or a.is_reserved or a.is_multicast
               or a.is_unspecified for a in addresses)


def check_url(url: str) -> str:
    """An endpoint URL the server may call: https (http in development), never loopback or private
    addresses in a production configuration (a receiver must not reach the server's own network)."""
    url = (url or "").strip()
    relaxed = get_settings().env == "development" or test_hooks.loopback_webhooks()
    wrong = ValidationError("The endpoint must be an https:// URL." if not relaxed else "Enter an http(s) URL.")
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # "https://[": an IPv6 bracket never closed
        raise wrong from None
    if parts.scheme not in (("https", "http") if relaxed else ("https",)) or not hostname or len(url) > 2000:
        raise wrong
    if parts.username or parts.password:
        raise ValidationError("Put no credentials in the endpoint URL.")
    if not relaxed and _private(hostname):
        raise ValidationError("The endpoint may not be a loopback or private network address.")
    return url


def _endpoint(db: Session, actor: OperatorView, application_id: int, endpoint_id: int) -> WebhookEndpoint:
    require(db, actor, application_id, Permission.MANAGE_APPLICATION)
    e = db.get(WebhookEndpoint, endpoint_id)
    if e is None or e.application_id != application_id:
        raise NotFound("That webhook endpoint does not exist.")
    return e


def _audit(db: Session, action: AuditAction, actor: OperatorView, e: WebhookEndpoint, ip: str, **details: Any) -> None:
    audit.record(db, action, operator_id=actor.id, actor=actor.email, application_id=e.application_id,
                 target=f"webhook:{e.id}", ip=ip, **details)


def create_endpoint(db: Session, *, actor: OperatorView, application_id: int, url: str, topics: list[str],
                    description: str = "", include_personal_data: bool = False, ip: str = "") -> CreatedSecret:
    require(db, actor, application_id, Permission.MANAGE_APPLICATION)
    secret = new_secret()
    e = WebhookEndpoint(application_id=application_id, url=check_url(url), topics=clean_topics(topics),
                        description=(description or "").strip()[:200], secret_enc=seal(secret),
                        include_personal_data=bool(include_personal_data))
    db.add(e)
    db.flush()
    _audit(db, AuditAction.WEBHOOK_CREATED, actor, e, ip, topics=list(e.topics))
    return CreatedSecret(_view(e), secret)


def list_endpoints(db: Session, *, actor: OperatorView, application_id: int) -> list[EndpointView]:
    require(db, actor, application_id, Permission.MANAGE_APPLICATION)
    rows = db.exec(select(WebhookEndpoint).where(WebhookEndpoint.application_id == application_id)
                   .order_by(WebhookEndpoint.id))  # type: ignore[arg-type]
    return [_view(e) for e in rows]


def update_endpoint(db: Session, *, actor: OperatorView, application_id: int, endpoint_id: int,
                    topics: list[str] | None = None, enabled: bool | None = None, ip: str = "") -> EndpointView:
    e = _endpoint(db, actor, application_id, endpoint_id)
    if topics is not None:
        e.topics = clean_topics(topics)
    if enabled is not None and enabled != e.enabled:
        e.enabled, e.consecutive_failures = enabled, 0
        e.disabled_at = None if enabled else utcnow()
    db.add(e)
    _audit(db, AuditAction.WEBHOOK_UPDATED, actor, e, ip, topics=list(e.topics), enabled=e.enabled)
    return _view(e)


def rotate_secret(db: Session, *, actor: OperatorView, application_id: int, endpoint_id: int,
                  ip: str = "") -> CreatedSecret:
    """A new secret; for ROTATION_OVERLAP deliveries are signed with both, so a receiver can switch."""
    e = _endpoint(db, actor, application_id, endpoint_id)
    secret = new_secret()
    e.previous_secret_enc, e.previous_until = e.secret_enc, utcnow() + ROTATION_OVERLAP
    e.secret_enc = seal(secret)
    db.add(e)
    _audit(db, AuditAction.WEBHOOK_SECRET_ROTATED, actor, e, ip)
    return CreatedSecret(_view(e), secret)


def delete_endpoint(db: Session, *, actor: OperatorView, application_id: int, endpoint_id: int, ip: str = "") -> None:
    e = _endpoint(db, actor, application_id, endpoint_id)
    _audit(db, AuditAction.WEBHOOK_DELETED, actor, e, ip)
    db.exec(sa.delete(WebhookEndpoint).where(WebhookEndpoint.id == e.id))  # type: ignore[call-overload]


def _delivery_view(d: WebhookDelivery) -> DeliveryView:
    assert d.id is not None
    return DeliveryView(d.id, d.message_id, d.topic, d.state.value, d.attempts, d.last_status_code,
                        d.last_response_ms, d.last_error, d.created_at, d.delivered_at, d.next_attempt_at)


def list_deliveries(db: Session, *, actor: OperatorView, application_id: int, endpoint_id: int,
                    limit: int = 50) -> list[DeliveryView]:
    _endpoint(db, actor, application_id, endpoint_id)
    rows = db.exec(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
                   .order_by(WebhookDelivery.id.desc()).limit(min(MAX_PAGE, max(1, limit))))  # type: ignore[union-attr]
    return [_delivery_view(d) for d in rows]


def resend(db: Session, *, actor: OperatorView, application_id: int, delivery_id: int, ip: str = "") -> DeliveryView:
    """Deliver a message again (same webhook-id, so a receiver that has it can tell)."""
    d = db.get(WebhookDelivery, delivery_id)
    if d is None or d.endpoint_id is None:
        raise NotFound("That delivery does not exist.")
    e = _endpoint(db, actor, application_id, d.endpoint_id)
    d.state, d.attempts, d.next_attempt_at, d.delivered_at = DeliveryState.PENDING, 0, utcnow(), None
    db.add(d)
    _audit(db, AuditAction.WEBHOOK_RESENT, actor, e, ip, delivery=d.id)
    jobs.later(db, jobs.Job(jobs.JobKind.WEBHOOK_DELIVERY, int(d.id)))  # type: ignore[arg-type]
    return _delivery_view(d)


# --- events ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """Something a webhook tells: ids and states in `data`; `personal` (names, emails) only goes to
    endpoints that asked for it."""

    session_id: int | None
    data: dict[str, Any]
    personal: dict[str, Any] | None = None


def emit(db: Session, *, application_id: int, topic: WebhookTopic, events: Sequence[Event]) -> int:
    """One delivery per event and enabled endpoint of the application subscribed to `topic`, sent
    once the unit of work commits. Returns how many deliveries were made."""
    endpoints = [e for e in db.exec(select(WebhookEndpoint).where(WebhookEndpoint.application_id == application_id,
                                                                  WebhookEndpoint.enabled == True)).all()  # noqa: E712
                 if topic.value in e.topics]
    if not endpoints or not events:
        return 0
    now = utcnow()
    rows = []
    for e in endpoints:
        for ev in events:
            body = {"application_id": application_id, **({"session_id": ev.session_id} if ev.session_id else {}),
                    **ev.data, **((ev.personal or {}) if e.include_personal_data else {})}
            rows.append(WebhookDelivery(application_id=application_id, endpoint_id=e.id, session_id=ev.session_id,
                                        message_id=f"msg_{uuid.uuid4().hex}", topic=topic.value, url=e.url,
                                        payload={"type": topic.value, "timestamp": now.isoformat(), "data": body},
                                        next_attempt_at=now, created_at=now))
    db.add_all(rows)
    db.flush()
    for d in rows:
        jobs.later(db, jobs.Job(jobs.JobKind.WEBHOOK_DELIVERY, int(d.id)))  # type: ignore[arg-type]
    return len(rows)


def forget_session(db: Session, session_id: int) -> int:
    """A deleted session's deliveries that carried its person's data go too (ids-only ones stay in the log)."""
    rows = db.exec(select(WebhookDelivery, WebhookEndpoint)
                   .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id, isouter=True)
                   .where(WebhookDelivery.session_id == session_id)).all()
    gone = [d.id for d, e in rows if d.auth_enc is not None or (e is not None and e.include_personal_data)]
    if gone:
        db.exec(sa.delete(WebhookDelivery).where(WebhookDelivery.id.in_(gone)))  # type: ignore[union-attr,call-overload]
    return len(gone)


# --- delivering --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """What the worker sends for one delivery (read in one unit of work, sent outside any)."""

    delivery_id: int
    url: str
    headers: dict[str, str]
    body: bytes


def due_deliveries(db: Session, now: datetime | None = None, grace: timedelta = timedelta(minutes=5)) -> list[int]:
    """Pending deliveries whose attempt is overdue by more than `grace` (their job was lost)."""
    cutoff = (now or utcnow()) - grace
    return list(db.exec(select(WebhookDelivery.id).where(WebhookDelivery.state == DeliveryState.PENDING,
                                                         WebhookDelivery.next_attempt_at < cutoff).limit(500)))


def retry_delay(attempt: int, rng: random.Random | None = None) -> timedelta:
    """After failed attempt n (1, 2, ...): 5 s doubling, at most 6 hours, with +-20% jitter."""
    base = min(6 * 3600.0, 5.0 * 2 ** (attempt - 1))
    return timedelta(seconds=base * (0.8 + 0.4 * (rng or random).random()))


def outgoing(db: Session, delivery_id: int, now: datetime | None = None) -> Outgoing | None:
    """The signed request for a pending delivery, or None (delivered, dead, endpoint disabled or gone)."""
    from standardwebhooks import Webhook

    now = now or utcnow()
    d = db.get(WebhookDelivery, delivery_id)
    if d is None or d.state != DeliveryState.PENDING:
        return None
    try:
        check_url(d.url)  # again at send time: a name may resolve elsewhere now
    except ValidationError as exc:
        d.state, d.last_error = DeliveryState.DEAD, str(exc)
        db.add(d)
        return None
    body = json.dumps(d.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {"content-type": "application/json", "user-agent": "identity-verification-webhooks/1"}
    if d.endpoint_id is None:  # a session's own notification endpoint (Yoti compatibility)
        if d.auth_enc:
            headers["authorization"] = unseal(d.auth_enc)
        return Outgoing(delivery_id, d.url, headers, body)
    e = db.get(WebhookEndpoint, d.endpoint_id)
    if e is None or not e.enabled:
        d.state, d.last_error = DeliveryState.DEAD, "endpoint disabled or deleted"
        db.add(d)
        return None
    try:
        secrets_now = [unseal(e.secret_enc)]
        if e.previous_secret_enc and e.previous_until and e.previous_until > now:
            secrets_now.append(unseal(e.previous_secret_enc))
    except DecryptionError:  # sealed under another IDV_SECRET_KEY: retrying cannot help
        d.state, d.last_error = DeliveryState.DEAD, "the endpoint's secret cannot be read: rotate it"
        db.add(d)
        return None
    stamp = datetime.fromtimestamp(int(now.timestamp()), tz=now.tzinfo)
    signatures = [Webhook(s).sign(d.message_id, stamp, body.decode()) for s in secrets_now]
    headers.update({"webhook-id": d.message_id, "webhook-timestamp": str(int(stamp.timestamp())),
                    "webhook-signature": " ".join(signatures)})
    return Outgoing(delivery_id, e.url, headers, body)


def record_attempt(db: Session, delivery_id: int, *, status: int | None, elapsed_ms: int, error: str = "",
                   now: datetime | None = None, rng: random.Random | None = None) -> timedelta | None:
    """Write an attempt's outcome. Returns when to try again (None: delivered or dead)."""
    now = now or utcnow()
    d = db.get(WebhookDelivery, delivery_id)
    if d is None or d.state != DeliveryState.PENDING:
        return None
    e = db.get(WebhookEndpoint, d.endpoint_id) if d.endpoint_id else None
    d.attempts += 1
    d.last_status_code, d.last_response_ms, d.last_error = status, elapsed_ms, error[:500]
    if status is not None and 200 <= status < 300:
        d.state, d.delivered_at, d.next_attempt_at = DeliveryState.DELIVERED, now, None
        if e is not None and e.consecutive_failures:
            e.consecutive_failures = 0
            db.add(e)
        db.add(d)
        return None
    delay = retry_delay(d.attempts, rng)
    dead = now + delay - d.created_at > RETRY_FOR
    d.state = DeliveryState.DEAD if dead else DeliveryState.PENDING
    d.next_attempt_at = None if dead else now + delay
    db.add(d)
    if e is not None:
        e.consecutive_failures += 1
        db.add(e)
        if e.enabled and (dead or e.consecutive_failures >= DISABLE_AFTER_FAILURES):
            _disable(db, e)
    return None if dead else delay


def _disable(db: Session, e: WebhookEndpoint) -> None:
    from identity_app.services.mailer import EmailError, send_email

    e.enabled, e.disabled_at = False, utcnow()
    db.add(e)
    audit.record(db, AuditAction.WEBHOOK_DISABLED, application_id=e.application_id, target=f"webhook:{e.id}",
                 failures=e.consecutive_failures)
    app = db.get(Application, e.application_id)
    for owner in db.exec(select(Operator).where(Operator.is_owner == True, Operator.disabled == False)).all():  # noqa: E712
        with contextlib.suppress(EmailError):  # the console shows the endpoint disabled anyway
            send_email(owner.email, f"Webhook endpoint disabled: {app.name if app else e.application_id}",
                       f"Deliveries to {e.url} failed {e.consecutive_failures} times in a row, so the endpoint "
                       "was disabled. Fix the receiver, then enable the endpoint again in the application's "
                       "Integrations tab; you can resend the failed deliveries from its delivery log.\n")
