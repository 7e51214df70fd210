"""The strings that identify a session's person, gathered before the session is deleted,
so that caches outside the database (the UI state store) can be searched and emptied.
They are handed to those caches only: never logged, never stored."""
from __future__ import annotations

from sqlmodel import Session, select

from identity_app.models import Task, VerificationSession

# Fields read from the document that name the person (dates and codes are shared by many).
PERSONAL_FIELDS = frozenset({"surname", "given_names", "names", "document_number", "personal_number",
                             "optional_data_1", "optional_data_2"})


def _document_values(result: dict) -> set[str]:
    found: set[str] = set()
    for key in ("fields", "printed_fields"):
        for pair in result.get(key) or ():
            if isinstance(pair, (list, tuple)) and len(pair) == 2 and pair[0] in PERSONAL_FIELDS:
                found.add(str(pair[1]).strip("<").strip())
    found.update(str(line) for line in result.get("mrz_lines") or ())
    return found


def of_session(db: Session, session_id: int) -> tuple[str, ...]:
    vs = db.get(VerificationSession, session_id)
    if vs is None:
        return ()
    found = {vs.user_name, vs.user_email, vs.reference, vs.token}
    found.update(part for part in vs.user_name.split() if len(part) >= 4)
    for task in db.exec(select(Task).where(Task.session_id == session_id)).all():
        found |= _document_values(task.result or {})
    return tuple(sorted(t for t in found if t))
