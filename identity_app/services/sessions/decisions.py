"""The operator's overall decision on a session: APPROVE or REJECT, with a note.

Only a COMPLETED session can be decided. A decision can be changed; every
decision is kept as its own row (the history) and audited, and the session
row holds the latest one for search and filters.
"""
from __future__ import annotations

from sqlmodel import Session

from identity_app.models import AuditAction, Decision, DecisionValue, Permission, SessionState, utcnow
from identity_app.services import audit
from identity_app.services.api import events
from identity_app.services.access.auth import OperatorView
from identity_app.services.errors import Conflict, ValidationError
from identity_app.services.access.permissions import session_for
from identity_app.services.sessions.detail import DecisionView, decision_views

MAX_NOTE = 4000


def decide(db: Session, *, actor: OperatorView | None, session_id: int, value: str, note: str,
           ip: str = "") -> DecisionView:
    vs = session_for(db, actor, session_id, Permission.DECIDE)
    assert actor is not None and vs.id is not None
    if vs.state != SessionState.COMPLETED:
        raise Conflict("A decision can be made only once the session is COMPLETED.")
    try:
        decision = DecisionValue((value or "").strip().upper())
    except ValueError:
        raise ValidationError("Choose APPROVE or REJECT.") from None
    note = (note or "").strip()
    if "\x00" in note:  # PostgreSQL refuses NUL in text
        raise ValidationError("The note contains characters that are not allowed.")
    if not note:
        raise ValidationError("Add a note that explains the decision.")
    if len(note) > MAX_NOTE:
        raise ValidationError(f"The note is too long ({MAX_NOTE} characters at most).")
    previous = vs.decision.value if vs.decision else None
    row = Decision(session_id=vs.id, value=decision, note=note, decided_by_id=actor.id, decided_via=actor.via,
                   decided_at=utcnow())
    db.add(row)
    vs.decision = decision
    db.add(vs)
    db.flush()
    # The note may name the person: the audit keeps the values and ids only.
    audit.record(db, AuditAction.SESSION_DECIDED, operator_id=actor.id, actor=actor.email,
                 application_id=vs.application_id, session_id=vs.id, target=f"decision:{row.id}", ip=ip,
                 value=decision.value, previous=previous)
    events.decision_recorded(db, vs, decision_id=int(row.id), value=decision.value)  # type: ignore[arg-type]
    return decision_views(db, vs.id)[0]
