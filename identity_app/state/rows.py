"""How a check report, a document's fields and a timestamp read in the console, once for
every page (session detail, review queue). Plain dataclasses: Reflex sends them to the
browser as they are; the services' frozen views stay on the server."""
from __future__ import annotations

import dataclasses
from datetime import datetime

from identity_app import routes
from identity_app.checks.report import Detail, SubCheck
from identity_app.services.sessions.detail import CheckCard, DecisionView, MediaView, SessionDetail
from identity_app.services.console_words import readable, shown_name


@dataclasses.dataclass
class DetailRow:
    name: str
    value: str


@dataclasses.dataclass
class SubCheckRow:
    sub_check: str
    label: str  # the sub-check's name as a person reads it
    result: str
    process: str
    details: list[DetailRow]  # what it looked at, names readable


@dataclasses.dataclass
class CheckRow:
    id: int
    label: str
    attempt: int
    state: str
    recommendation: str
    reason: str
    recovery_suggestion: str
    process: str
    manual_check: str
    review_state: str
    reviewed: str  # "PASS by ... at ..." once a person reviewed it
    review_reason: str
    breakdown: list[SubCheckRow]
    failed: list[SubCheckRow]  # the sub-checks that failed: why a REJECT is a REJECT


@dataclasses.dataclass
class MediaRow:
    id: int
    kind: str
    size: str
    url: str


@dataclasses.dataclass
class DecisionRow:
    value: str
    note: str
    by: str
    at: str


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def size_label(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def details(items: tuple[Detail, ...]) -> list[DetailRow]:
    """Named as a person reads them: 'Printed date of birth', not printed_date_of_birth."""
    return [DetailRow(readable(d.name), d.value) for d in items]


def breakdown(subs: tuple[SubCheck, ...]) -> list[SubCheckRow]:
    return [SubCheckRow(s.sub_check, readable(s.sub_check), s.result.value, s.process.value,
                        [DetailRow(readable(d.name), d.value) for d in s.details]) for s in subs]


def outcome(recommendation: str, reason: str) -> str:
    """"REJECT (DIFFERENT_PERSON)": a recommendation with its reason."""
    return recommendation + (f" ({reason})" if reason else "")


def check_row(c: CheckCard) -> CheckRow:
    return CheckRow(
        id=c.id, label=c.label, attempt=c.attempt, state=c.state, recommendation=c.recommendation or "PENDING",
        reason=c.reason, recovery_suggestion=c.recovery_suggestion, process=c.process,
        manual_check=c.manual_check, review_state=c.review_state,
        reviewed=f"{c.review_result} by {c.reviewed_by} at {when(c.reviewed_at)}" if c.reviewed_at else "",
        review_reason=c.review_reason, breakdown=breakdown(c.breakdown),
        failed=[s for s in breakdown(c.breakdown) if s.result != "PASS"])


def media_row(m: MediaView) -> MediaRow:
    return MediaRow(m.id, m.kind, size_label(m.size), routes.media_path(m.id))


def decision_row(d: DecisionView) -> DecisionRow:
    return DecisionRow(d.value, d.note, d.decided_by, when(d.decided_at))


def reason_row(code: str) -> DetailRow:
    """A manual review's FAIL reason as the select shows it (words) and sends it (the code)."""
    return DetailRow(code.replace("_", " ").capitalize(), code)


def session_heading(user_name: str, session_id: int) -> str:
    """The session page's heading: the name, or 'Session N (no name)' (the APIs keep it empty)."""
    return shown_name(user_name, session_id)


def detail_actions(d: SessionDetail) -> tuple[bool, bool, bool, bool, bool]:
    """What the session page offers its viewer: (manage the link: open, capture not finished; may decide,
    whatever the state; decide now: COMPLETED; delete media; delete the session)."""
    may_decide = "DECIDE" in d.permissions
    return ("CREATE_SESSIONS" in d.permissions and d.link_open, may_decide, may_decide and d.state == "COMPLETED",
            "DELETE_MEDIA" in d.permissions, "DELETE_SESSIONS" in d.permissions)
