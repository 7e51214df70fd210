"""Admitting a Yoti-signed request, on both databases: the SDK key that signed it, its nonce used
once, its timestamp near ours, a revoked key refused at once, the key's rate limit counted from the
audit trail, every admitted request on it (a request naming no sdkId is told by its signature)."""
from __future__ import annotations

import base64
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select
from yoti_python_sdk.crypto import Crypto

from identity_app.models import AuditAction, AuditEvent, utcnow
from identity_app.services.api import keys, sdk_keys, yoti_signing
from identity_app.services.api.yoti_signing import BadSignature, SignedRequest
from tests import seed


@pytest.fixture
def world(db):
    owner = seed.owner(db)
    app_id = seed.new_app(db, owner)
    other_id = seed.new_app(db, owner, "Other")
    mine = sdk_keys.create_sdk_key(db, actor=owner, application_id=app_id)
    theirs = sdk_keys.create_sdk_key(db, actor=owner, application_id=other_id)
    return owner, app_id, mine, theirs


def _request(made, path="/sessions/1", *, sdk_id=None, nonce=None, when=None, method="GET") -> SignedRequest:
    stamp = int((when or utcnow()).timestamp() * 1000)
    params = ([f"sdkId={made.key.sdk_id if sdk_id is None else sdk_id}"] if sdk_id != "" else []) + [
        f"nonce={nonce or uuid.uuid4()}", f"timestamp={stamp}"]
    query = "&".join(params)
    digest = Crypto(made.private_key_pem.encode()).sign(f"{method}&{path}?{query}")
    return SignedRequest(method, path, query, b"", digest)


def test_a_signed_request_is_admitted_once_as_its_key_and_audited(db, world):
    owner, app_id, mine, _ = world
    request = _request(mine)
    actor = yoti_signing.admit(db, request, limit_per_minute=100, ip="203.0.113.7")
    assert (actor.application_id, actor.sdk_key_id, actor.id) == (app_id, mine.key.id, None)
    assert actor.via.startswith("Yoti SDK key") and "results:read" in actor.scopes
    with pytest.raises(BadSignature):
        yoti_signing.admit(db, request, limit_per_minute=100)  # replayed
    event = db.exec(select(AuditEvent).where(AuditEvent.action == AuditAction.API_REQUEST)).one()
    assert event.target == f"sdk_key:{mine.key.id}" and event.ip == "203.0.113.7"
    assert event.details["nonce"] == request.param("nonce") and event.details["path"] == "/sessions/1"


def test_stale_future_unsigned_and_other_keys_requests_are_refused(db, world):
    owner, app_id, mine, theirs = world
    for request in (_request(mine, when=utcnow() - timedelta(minutes=6)),
                    _request(mine, when=utcnow() + timedelta(minutes=6)),
                    _request(mine, sdk_id=theirs.key.sdk_id),  # signed by mine, naming theirs
                    _request(mine, nonce="x" * 101),
                    SignedRequest("GET", "/sessions/1", f"sdkId={mine.key.sdk_id}&nonce=a&timestamp=1", b"", "")):
        with pytest.raises(BadSignature):
            yoti_signing.admit(db, request, limit_per_minute=100)
    sdk_keys.revoke_sdk_key(db, actor=owner, application_id=app_id, key_id=mine.key.id)
    with pytest.raises(BadSignature):
        yoti_signing.admit(db, _request(mine), limit_per_minute=100)
    assert db.exec(select(AuditEvent).where(AuditEvent.action == AuditAction.API_REQUEST)).all() == []


def test_a_request_without_sdk_id_is_the_key_that_signed_it(db, world):
    _, _, mine, theirs = world
    assert yoti_signing.admit(db, _request(theirs, "/supported-documents", sdk_id=""),
                              limit_per_minute=100).sdk_key_id == theirs.key.id
    forged = _request(mine, "/supported-documents", sdk_id="")
    forged = SignedRequest(forged.method, forged.path, forged.query, b"", base64.b64encode(b"1" * 256).decode())
    with pytest.raises(BadSignature):
        yoti_signing.admit(db, forged, limit_per_minute=100)


def test_a_key_makes_at_most_its_limit_of_requests_a_minute(db, world):
    _, _, mine, theirs = world
    for _ in range(3):
        yoti_signing.admit(db, _request(mine), limit_per_minute=3)
    with pytest.raises(keys.RateLimited) as refused:
        yoti_signing.admit(db, _request(mine), limit_per_minute=3)
    assert 1 <= refused.value.retry_after_s <= 60
    yoti_signing.admit(db, _request(theirs), limit_per_minute=3)  # counted per key
