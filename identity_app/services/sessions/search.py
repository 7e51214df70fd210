"""The sessions list of an application: search, filters, sorting, pages, CSV export.

Search is case- and accent-insensitive ("muller" finds Müller) and matches part of
a word in the name, the email or the reference, through the `search_text` column
(folded: lower case without accents, services/sessions/links.fold; the query is
folded the same way):
- PostgreSQL: `search_text LIKE '%x%'`, served by a pg_trgm GIN index
  (migration 'session search indexes');
- SQLite: `instr(search_text, x) > 0` over a covering index
  (application_id, created_at, search_text), so a search scans a compact
  index instead of the table rows with their JSON snapshots (measured with
  `python -m identity_app.cli bench search`).

The name sort orders by that folded text too (index ix_vs_app_sort_text), so accents
sort with their letter on both databases: descending, Zoë comes before Élodie.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlmodel import Session, col, func, select

from identity_app.models import (AuditAction, Check, DecisionValue, Permission, ReviewState, SessionState,
                                 VerificationSession)
from identity_app.services.console_words import shown_name
from identity_app.services import audit, forms
from identity_app.services.access.auth import OperatorView
from identity_app.services.forms import Page
from identity_app.services.errors import ValidationError
from identity_app.services.access.permissions import require
from identity_app.services.sessions.links import fold, session_link
from identity_app.services.sessions.progress import progress_note

SORTS = ("created", "name", "state")
DECISION_FILTERS = ("", "APPROVE", "REJECT", "NONE")  # NONE: no decision yet
MAX_PAGE_SIZE = 200
EXPORT_COLUMNS = ("session_id", "name", "email", "reference", "state", "decision", "created_at", "expires_at",
                  "completed_at", "link")


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    states: tuple[str, ...] = ()          # API names: ONGOING, COMPLETED, EXPIRED
    decision: str = ""                    # "", APPROVE, REJECT, NONE
    created_from: date | None = None      # inclusive, UTC day
    created_to: date | None = None        # inclusive, UTC day
    needs_review: bool = False            # only sessions with a check waiting for a person
    sort: str = "created"                 # created, name, state
    descending: bool = True
    page: int = 1
    page_size: int = 25


@dataclass(frozen=True)
class SessionRow:
    id: int
    user_name: str
    user_email: str
    reference: str
    state: str
    state_label: str
    decision: str
    created_at: datetime
    expires_at: datetime
    needs_review: bool = False  # a check waits for a person (filled in for the console's pages)
    progress_kind: str = ""  # whom an IN PROGRESS session waits for (progress.progress_note), "" for nobody
    shown_name: str = ""  # the name, or what the console calls a session without one (console_words)


SearchResult = Page  # Page[SessionRow]: one page of them


def clean_query(q: SearchQuery) -> SearchQuery:
    states = tuple(s for s in (x.strip().upper() for x in q.states) if s)
    for s in states:
        if s not in SessionState.__members__:
            raise ValidationError("Filter by state IN PROGRESS, COMPLETED or EXPIRED.")
    decision = (q.decision or "").strip().upper()
    if decision not in DECISION_FILTERS:
        raise ValidationError("Filter by decision APPROVE, REJECT or none.")
    if q.sort not in SORTS:
        raise ValidationError("Sort by created, name or state.")
    if q.created_from and q.created_to and q.created_from > q.created_to:
        raise ValidationError("The 'from' date is after the 'to' date.")
    # Control characters never match (names are stored without them) and PostgreSQL refuses NUL.
    text = " ".join(fold("".join(c for c in (q.text or "") if c.isprintable() or c.isspace())).split())[:200]
    return replace(q, text=text, states=states, decision=decision, page=max(1, int(q.page)),
                   page_size=min(MAX_PAGE_SIZE, max(1, int(q.page_size))))


def _text_filter(db: Session, text: str) -> Any:
    if db.get_bind().dialect.name == "sqlite":
        return func.instr(VerificationSession.search_text, text) > 0
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return col(VerificationSession.search_text).like(f"%{escaped}%", escape="\\")


def _conditions(db: Session, application_id: int, q: SearchQuery) -> list[Any]:
    vs = VerificationSession
    where: list[Any] = [vs.application_id == application_id]
    if q.text:
        where.append(_text_filter(db, q.text))
    if q.states:
        where.append(col(vs.state).in_([SessionState(s) for s in q.states]))
    if q.decision == "NONE":
        where.append(col(vs.decision).is_(None))
    elif q.decision:
        where.append(vs.decision == DecisionValue(q.decision))
    if q.created_from:
        where.append(vs.created_at >= datetime.combine(q.created_from, time.min, timezone.utc))
    if q.created_to:
        where.append(vs.created_at < datetime.combine(q.created_to + timedelta(days=1), time.min, timezone.utc))
    if q.needs_review:
        where.append(col(vs.id).in_(_reviewing()))
    return where


def _reviewing() -> Any:
    """The ids of sessions with a check waiting for a person (Check.review_state is indexed)."""
    return select(Check.session_id).where(Check.review_state == ReviewState.PENDING)


def _sqlite_from_hint(self: Any, table: Any, text: str | None) -> str | None:
    return text


# SQLAlchemy's SQLite compiler ignores FROM hints; SQLite's own "INDEXED BY" is one.
# Only statements that call with_hint(..., "sqlite") are affected.
SQLiteCompiler.get_from_hint_text = _sqlite_from_hint  # type: ignore[method-assign]


def _hinted(db: Session, q: SearchQuery, stmt: Any) -> Any:
    """SQLite cannot estimate how selective instr() is and may walk another index
    with a row lookup per entry; with a search text, scanning the covering index
    and sorting the matches is always the fast plan."""
    if q.text and db.get_bind().dialect.name == "sqlite":
        return stmt.with_hint(VerificationSession.__table__, "INDEXED BY ix_vs_app_search", "sqlite")
    return stmt


def _order(q: SearchQuery) -> list[Any]:
    vs = VerificationSession
    # The name sort reads the folded "name email reference": accents sort with their letter.
    key = {"created": [vs.created_at], "name": [vs.search_text, vs.created_at],
           "state": [vs.state, vs.created_at]}[q.sort]
    key = key + [vs.id]  # a stable order for pagination
    return [col(k).desc() if q.descending else col(k).asc() for k in key]


_COLUMNS = (VerificationSession.id, VerificationSession.user_name, VerificationSession.user_email,
            VerificationSession.reference, VerificationSession.state, VerificationSession.decision,
            VerificationSession.created_at, VerificationSession.expires_at, VerificationSession.started_at,
            VerificationSession.capture_finished_at)


def _row(r: Any) -> SessionRow:
    state = SessionState(r.state)
    decision = r.decision.value if isinstance(r.decision, DecisionValue) else (r.decision or "")
    return SessionRow(r.id, r.user_name, r.user_email, r.reference, state.value, state.label, decision,
                      r.created_at, r.expires_at, shown_name=shown_name(r.user_name, r.id),
                      progress_kind=progress_note(state, r.started_at, r.capture_finished_at, 0)[0])


def search_sessions(db: Session, *, actor: OperatorView, application_id: int, query: SearchQuery) -> SearchResult:
    require(db, actor, application_id, Permission.VIEW_SESSIONS)
    q = clean_query(query)
    where = _conditions(db, application_id, q)
    offset = (q.page - 1) * q.page_size
    stmt = _hinted(db, q, select(*_COLUMNS).where(*where).order_by(*_order(q)).offset(offset).limit(q.page_size))
    rows = tuple(_row(r) for r in db.exec(stmt).all())
    reviewing = set(db.exec(_reviewing().where(col(Check.session_id).in_([r.id for r in rows])))) if rows else set()
    rows = tuple(replace(r, needs_review=r.id in reviewing) for r in rows)
    if 0 < len(rows) < q.page_size or (not rows and q.page == 1):
        # A short page is the last one: the total is known without a second scan
        # (the common case of a precise search, which would otherwise scan twice).
        total = offset + len(rows)
    else:
        count_stmt = _hinted(db, q, select(func.count()).select_from(VerificationSession).where(*where))
        total = int(db.exec(count_stmt).one())
    return SearchResult(rows, total, q.page, q.page_size)


def sessions_after(db: Session, *, actor: OperatorView, application_id: int, query: SearchQuery,
                   after_id: int | None, limit: int) -> tuple[tuple[SessionRow, ...], bool]:
    """Newest first, the sessions created before session `after_id` (a cursor that stays right while
    sessions are created or deleted: ids are never reused). Returns the rows and whether more follow."""
    require(db, actor, application_id, Permission.VIEW_SESSIONS)
    q = clean_query(replace(query, sort="created", descending=True))
    where = _conditions(db, application_id, q)
    if after_id is not None:
        where.append(VerificationSession.id < after_id)
    limit = min(MAX_PAGE_SIZE, max(1, limit))
    stmt = _hinted(db, q, select(*_COLUMNS).where(*where).order_by(col(VerificationSession.id).desc())
                   .limit(limit + 1))
    rows = tuple(_row(r) for r in db.exec(stmt).all())
    return rows[:limit], len(rows) > limit


def export_csv(db: Session, *, actor: OperatorView, application_id: int, query: SearchQuery,
               ip: str = "") -> str:
    """The whole filtered list as CSV (text columns only: never media)."""
    require(db, actor, application_id, Permission.VIEW_SESSIONS)
    q = clean_query(query)
    stmt = (select(*_COLUMNS, VerificationSession.completed_at, VerificationSession.token)
            .where(*_conditions(db, application_id, q)).order_by(*_order(q)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for r in db.exec(stmt):
        row = _row(r)
        # The state as the console shows it (IN PROGRESS, not the API's ONGOING); the link while
        # the session is open, for sending it from another system.
        writer.writerow([row.id, _safe(row.user_name), _safe(row.user_email), _safe(row.reference), row.state_label,
                         row.decision, row.created_at.isoformat(), row.expires_at.isoformat(),
                         r.completed_at.isoformat() if r.completed_at else "",
                         session_link(r.token) if row.state == SessionState.ONGOING.value else ""])
        count += 1
    # The audit says that a list left the system and how big it was, not what was in it.
    audit.record(db, AuditAction.SESSIONS_EXPORTED, operator_id=actor.id, actor=actor.email,
                 application_id=application_id, ip=ip, rows=count,
                 filtered=bool(q.text or q.states or q.decision or q.created_from or q.created_to
                               or q.needs_review))
    return out.getvalue()


def _safe(value: str) -> str:
    """Defuse spreadsheet formulas (CSV injection): a leading = + - @ is quoted."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def query_from_params(params: dict[str, str]) -> SearchQuery:
    """A query from URL parameters (the export link carries the list's filters, the list is searched by them)."""
    return SearchQuery(
        text=params.get("q", ""),
        states=tuple(s for s in (params.get("state") or "").split(",") if s),
        decision=params.get("decision", ""),
        created_from=forms.day(params.get("from")),
        created_to=forms.day(params.get("to")),
        needs_review=params.get("review") == "PENDING",
        sort=params.get("sort", "created") or "created",
        descending=(params.get("dir", "desc") != "asc"),
    )


__all__ = ["SearchQuery", "SessionRow", "SearchResult", "search_sessions", "export_csv", "query_from_params",
           "clean_query"]
