"""Bulk session creation from an uploaded CSV (name, email, reference).

Every valid row becomes a session, all in the caller's one transaction; every
invalid row is reported with its line number and the reason, and creates
nothing. The file is read in memory only (never written to a public folder).
"""
from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from sqlmodel import Session

from identity_app.models import AuditAction, utcnow
from identity_app.services import audit
from identity_app.services.api import events
from identity_app.services.access.auth import OperatorView
from identity_app.services.errors import ValidationError
from identity_app.services.sessions.links import (
    CreatedSession,
    Person,
    active_application,
    application_snapshot,
    clean_person,
    new_session_row,
    send_link_email,
    session_link,
)

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
HEADER_NAMES = {
    "name": "name", "full name": "name", "full_name": "name", "user_name": "name",
    "email": "email", "e-mail": "email", "email address": "email", "user_email": "email", "mail": "email",
    "reference": "reference", "ref": "reference", "external reference": "reference",
}


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


@dataclass(frozen=True)
class BulkResult:
    created: tuple[CreatedSession, ...]
    errors: tuple[RowError, ...]
    emailed: int = 0          # links emailed (email_links=True)
    transport: str = ""       # smtp or outbox, when some were emailed

    @property
    def rows(self) -> int:
        return len(self.created) + len(self.errors)


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252 (Excel's default)."""
    if not data.strip():
        raise ValidationError("The file is empty.")
    if len(data) > MAX_BYTES:
        raise ValidationError(f"The file is too large ({len(data) / 1e6:.1f} MB): "
                              f"upload at most {MAX_BYTES // (1024 * 1024)} MB ({MAX_ROWS:,} rows) at a time.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ValidationError("The file is not readable text: save it as CSV (UTF-8).") from None
    if b"\x00" in data:
        raise ValidationError("This is not a CSV text file: save it from your spreadsheet as CSV (UTF-8).")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError("The file's text encoding is not recognised: save it as CSV (UTF-8).")


def _columns(first: list[str]) -> tuple[dict[str, int], bool]:
    """Column positions, and whether the first row is a header."""
    names = [HEADER_NAMES.get(c.strip().lower()) for c in first]
    if "name" in names and "email" in names:
        return {n: i for i, n in enumerate(names) if n}, True
    if any(c.strip().lower() in HEADER_NAMES for c in first):
        raise ValidationError("The header must have the columns name and email (reference is optional).")
    if len(first) >= 2 and "@" in first[1]:
        # No header: the documented order name, email, reference.
        return {"name": 0, "email": 1, "reference": 2}, False
    raise ValidationError("The first line must be a header: name,email,reference.")


def parse_rows(text: str) -> tuple[list[tuple[int, Person]], list[RowError]]:
    """Valid people with their line numbers, and the invalid lines with reasons."""
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample.splitlines()[0], delimiters=",;\t")
    except (csv.Error, IndexError):
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    people: list[tuple[int, Person]] = []
    errors: list[RowError] = []
    columns: dict[str, int] | None = None
    seen: dict[tuple[str, str], int] = {}
    count = 0
    start = 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if columns is None:
                columns, is_header = _columns(row)
                if is_header:
                    continue
            count += 1
            if count > MAX_ROWS:
                raise ValidationError(f"The file has more than {MAX_ROWS:,} rows: split it into smaller files.")

            def cell(name: str) -> str:
                i = columns.get(name)  # type: ignore[union-attr]
                return row[i] if i is not None and i < len(row) else ""

            try:
                person = clean_person(cell("name"), cell("email"), cell("reference"))
            except ValidationError as exc:
                errors.append(RowError(line, str(exc)))
                continue
            key = (person.email, person.reference.lower())
            if key in seen:
                errors.append(RowError(line, f"Same email and reference as line {seen[key]}."))
                continue
            seen[key] = line
            people.append((line, person))
    except csv.Error as exc:
        raise ValidationError(f"The file is not valid CSV near line {reader.line_num}: {exc}.") from None
    if count == 0:
        raise ValidationError("The file has no rows under its header.")
    return people, errors


def email_links(db: Session, *, actor: OperatorView, session_ids: list[int], ip: str = "") -> tuple[int, str]:
    """Email each session its link (each audited as one emailed link); returns how many and the
    transport (smtp or outbox). Every session must still be open, or nothing is sent."""
    transport = ""
    for session_id in session_ids:
        transport = send_link_email(db, actor=actor, session_id=session_id, ip=ip)
    return len(session_ids), transport


def create_from_csv(db: Session, *, actor: OperatorView, application_id: int, data: bytes,
                    ip: str = "", email: bool = False) -> BulkResult:
    """`email`: send each created session its link at once (as "Send by email" does for one)."""
    app = active_application(db, actor, application_id)
    people, errors = parse_rows(decode_csv(data))
    now = utcnow()
    snapshot = application_snapshot(app)
    rows = [new_session_row(app, person, created_by_id=actor.id, now=now, snapshot=snapshot) for _, person in people]
    db.add_all(rows)
    db.flush()
    for vs in rows:
        audit.record(db, AuditAction.SESSION_CREATED, operator_id=actor.id, actor=actor.email,
                     application_id=application_id, session_id=vs.id, ip=ip, bulk=True)
    events.sessions_created(db, rows)
    audit.record(db, AuditAction.SESSIONS_BULK_CREATED, operator_id=actor.id, actor=actor.email,
                 application_id=application_id, ip=ip, created=len(rows), invalid_rows=len(errors))
    db.flush()
    created = tuple(CreatedSession(vs.id, session_link(vs.token), vs.token, vs.expires_at)  # type: ignore[arg-type]
                    for vs in rows)
    emailed, transport = email_links(db, actor=actor, session_ids=[c.id for c in created], ip=ip) if email else (0, "")
    return BulkResult(created, tuple(errors), emailed, transport)
