"""What the REST API adds to the session services: creation that a retried request cannot repeat
(Idempotency-Key), and pages of sessions behind an opaque cursor. Reading, deciding and deleting
are the console's own services, called with the key as the actor."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from identity_app.models import IdempotencyRecord, utcnow
from identity_app.services.access.auth import ApiKeyActor
from identity_app.services.applications.overrides import SessionOverrides
from identity_app.services.errors import DomainError, ValidationError
from identity_app.services.sessions import links
from identity_app.services.sessions.search import SearchQuery, SessionRow, sessions_after

IDEMPOTENCY_WINDOW = timedelta(hours=24)
MAX_IDEMPOTENCY_KEY = 200


class IdempotencyConflict(DomainError):
    """The key was used before with another request body."""


@dataclass(frozen=True)
class NewSession:
    id: int
    link: str
    expires_at: datetime
    replayed: bool  # True: the answer of an earlier request with the same Idempotency-Key

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "link": self.link, "expires_at": self.expires_at.isoformat()}


def request_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def create(db: Session, *, actor: ApiKeyActor, user_name: str, user_email: str, reference: str,
           overrides: SessionOverrides | None, idempotency_key: str | None, body: dict[str, Any],
           ip: str = "") -> NewSession:
    """A session, or (same key, same body, within 24 hours) the session an earlier request made."""
    key = (idempotency_key or "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise ValidationError(f"The Idempotency-Key is too long ({MAX_IDEMPOTENCY_KEY} characters at most).")
    digest = request_hash(body)
    if key:
        db.exec(sa.delete(IdempotencyRecord).where(  # type: ignore[call-overload]
            IdempotencyRecord.api_key_id == actor.key_id, IdempotencyRecord.created_at < utcnow() - IDEMPOTENCY_WINDOW))
        earlier = db.exec(select(IdempotencyRecord).where(IdempotencyRecord.api_key_id == actor.key_id,
                                                          IdempotencyRecord.key == key)).first()
        if earlier is not None:
            if earlier.request_hash != digest:
                raise IdempotencyConflict("This Idempotency-Key was used with a different request body.")
            r = earlier.response
            return NewSession(int(r["id"]), str(r["link"]), datetime.fromisoformat(r["expires_at"]), True)
    made = links.create_session(db, actor=actor, application_id=actor.application_id, user_name=user_name,
                                user_email=user_email, reference=reference, ip=ip, overrides=overrides)
    new = NewSession(made.id, made.link, made.expires_at, False)
    if key:
        # A concurrent request with the same key fails on the unique constraint at commit (the edge
        # answers 409): one of the two makes the session.
        db.add(IdempotencyRecord(api_key_id=actor.key_id, key=key, request_hash=digest, response=new.to_dict()))
    return new


@dataclass(frozen=True)
class CursorPage:
    rows: tuple[SessionRow, ...]
    next_cursor: str | None


# A cursor names the last session of a page ("s" and its id): the next page starts after it, and
# stays right while sessions are created or deleted meanwhile (ids are never reused).
CURSOR = re.compile(r"^s([1-9][0-9]{0,9})$")


def _encode(session_id: int) -> str:
    return f"s{session_id}"


def _decode(cursor: str) -> int:
    m = CURSOR.match(cursor)
    if m is None:
        raise ValidationError("That cursor is not one this API gave.")
    return int(m.group(1))


def page(db: Session, *, actor: ApiKeyActor, query: SearchQuery, cursor: str | None, limit: int) -> CursorPage:
    rows, more = sessions_after(db, actor=actor, application_id=actor.application_id, query=query,
                                after_id=_decode(cursor) if cursor else None, limit=limit)
    return CursorPage(rows, _encode(rows[-1].id) if more and rows else None)
