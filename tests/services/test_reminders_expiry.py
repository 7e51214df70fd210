"""Reminder emails for sessions not started, and the expiry job; on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from identity_app.models import AuditEvent, SessionState, VerificationSession, utcnow
from identity_app.services.applications import settings as app_settings
from identity_app.services.sessions import links as sessions
from identity_app.services.applications.settings import Preferences
from identity_app.services.sessions.expiry import expire_sessions
from identity_app.services.mailer import SentEmail
from identity_app.services.sessions.reminders import send_due_reminders
from tests import seed


class Outbox:
    """Collects emails (the real mailer is tested in test_sessions.py)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def __call__(self, to: str, subject: str, body: str, tag: str = "") -> SentEmail:
        self.sent.append((to, subject, body))
        return SentEmail(to, subject, "outbox")


def app_with_reminders(db, count: int, interval: int, lifetime: int = 30):
    op = seed.owner(db)
    app_id = seed.new_app(db, op, "Acme Bank")
    app_settings.update_preferences(db, actor=op, application_id=app_id, preferences=Preferences(
        reminder_count=count, reminder_interval_days=interval, session_lifetime_days=lifetime))
    return op, app_id


def test_reminders_follow_the_count_and_interval_and_stop_once_started(db):
    op, app_id = app_with_reminders(db, count=2, interval=3)
    a = sessions.create_session(db, actor=op, application_id=app_id, user_name="Ada", user_email="ada@example.com")
    b = sessions.create_session(db, actor=op, application_id=app_id, user_name="Bob", user_email="bob@example.com")
    db.commit()
    start = utcnow()
    outbox = Outbox()
    assert send_due_reminders(db, start + timedelta(days=2), send=outbox) == 0
    assert send_due_reminders(db, start + timedelta(days=3, minutes=1), send=outbox) == 2
    assert outbox.sent[0][0] == "ada@example.com" and "Reminder" in outbox.sent[0][1] and a.link in outbox.sent[0][2]
    # Bob starts: no more reminders for him.
    vs_b = db.get(VerificationSession, b.id)
    vs_b.started_at = start + timedelta(days=4)
    db.add(vs_b)
    assert send_due_reminders(db, start + timedelta(days=5), send=outbox) == 0  # 2 days since the last one
    assert send_due_reminders(db, start + timedelta(days=6, minutes=2), send=outbox) == 1
    assert send_due_reminders(db, start + timedelta(days=20), send=outbox) == 0  # count reached
    assert [to for to, _, _ in outbox.sent] == ["ada@example.com", "bob@example.com", "ada@example.com"]
    assert db.get(VerificationSession, a.id).reminders_sent == 2
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "session.reminder_sent")).all()
    assert len(events) == 3 and all(e.actor == "system" and "ada" not in str(e.details) for e in events)


def test_no_reminders_when_none_configured_or_after_expiry(db):
    op, app_id = app_with_reminders(db, count=0, interval=1, lifetime=3)
    sessions.create_session(db, actor=op, application_id=app_id, user_name="Ada", user_email="ada@example.com")
    app_settings.update_preferences(db, actor=op, application_id=app_id, preferences=Preferences(
        reminder_count=6, reminder_interval_days=1, session_lifetime_days=3))
    late = sessions.create_session(db, actor=op, application_id=app_id, user_name="Bob", user_email="bob@example.com")
    db.commit()
    outbox = Outbox()
    # The first session keeps its snapshot (no reminders); the second gets them only while its link is valid.
    assert send_due_reminders(db, utcnow() + timedelta(days=1, minutes=1), send=outbox) == 1
    assert send_due_reminders(db, utcnow() + timedelta(days=2, minutes=2), send=outbox) == 1
    assert send_due_reminders(db, utcnow() + timedelta(days=3, minutes=3), send=outbox) == 0
    assert [to for to, _, _ in outbox.sent] == ["bob@example.com"] * 2
    assert db.get(VerificationSession, late.id).reminders_sent == 2


def test_expiry_marks_ongoing_sessions_past_their_lifetime(db):
    op, app_id = app_with_reminders(db, count=0, interval=1, lifetime=7)
    ids = [sessions.create_session(db, actor=op, application_id=app_id, user_name=n, user_email=f"{n}@example.com").id
           for n in ("ada", "bob", "cat", "dan")]
    done = db.get(VerificationSession, ids[1])
    done.state = SessionState.COMPLETED
    checking = db.get(VerificationSession, ids[2])
    checking.capture_finished_at = utcnow() + timedelta(days=6, hours=23)  # submitted just before expiry
    db.add_all([done, checking])
    db.commit()
    assert expire_sessions(db, utcnow() + timedelta(days=6)) == 0
    assert expire_sessions(db, utcnow() + timedelta(days=7, minutes=1)) == 2
    db.commit()
    states = [db.get(VerificationSession, i).state for i in ids]
    assert states == [SessionState.EXPIRED, SessionState.COMPLETED, SessionState.ONGOING, SessionState.EXPIRED]
    assert not sessions.is_open(db.get(VerificationSession, ids[0]))
    # The session whose checks never finished expires after the grace period.
    assert expire_sessions(db, utcnow() + timedelta(days=9)) == 1
    assert expire_sessions(db, utcnow() + timedelta(days=9)) == 0
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "session.expired")).all()
    assert len(events) == 3 and {e.actor for e in events} == {"system"}
    # A session waiting for a person's review never expires: the reviewer completes it.
    from identity_app.models import Check, ReviewState

    waiting = sessions.create_session(db, actor=op, application_id=app_id, user_name="eve",
                                      user_email="eve@example.com").id
    row = db.get(VerificationSession, waiting)
    row.capture_finished_at = utcnow()
    db.add(row)
    db.add(Check(session_id=waiting, type="ID_DOCUMENT_FACE_MATCH", review_state=ReviewState.PENDING))
    db.commit()
    assert expire_sessions(db, utcnow() + timedelta(days=30)) == 0


# One expiry rule (services/sessions/expiry.py) for its three callers: the job, the capture link and the
# session detail. Each case is a session whose link lifetime passed a minute ago unless it says otherwise.
EXPIRY_CASES = {
    # case: (captured how long ago, a review pending, lifetime passed, expires)
    "never started": (None, False, True, True),
    "captured, checks within their grace": (timedelta(hours=1), False, True, False),
    "captured, checks never finished": (timedelta(hours=25), False, True, True),
    "waiting for a person's review": (timedelta(days=3), True, True, False),
    "link still valid": (None, False, False, False),
}


def _expiry_case(db, captured_ago, review_pending, lifetime_passed, now):
    from identity_app.checks.report import CheckType
    from identity_app.models import Check, ReviewState
    from tests.services.session_factory import make_session

    vs = make_session(db, lifetime=timedelta(minutes=-1) if lifetime_passed else timedelta(days=1))
    if captured_ago is not None:
        vs.capture_finished_at = now - captured_ago
        db.add(vs)
    if review_pending:
        db.add(Check(session_id=vs.id, type=CheckType.ID_DOCUMENT_FACE_MATCH, review_state=ReviewState.PENDING))
    db.commit()
    return vs


@pytest.mark.parametrize("case", list(EXPIRY_CASES))
def test_the_capture_link_the_session_detail_and_the_job_apply_one_expiry_rule(db, case):
    from identity_app.models import Check
    from identity_app.services.capture import flow as capture
    from identity_app.services.sessions import expiry
    from identity_app.services.sessions.detail import effective_state

    captured_ago, review_pending, lifetime_passed, expires = EXPIRY_CASES[case]
    want = SessionState.EXPIRED if expires else SessionState.ONGOING
    now = utcnow()
    by_link, by_detail, by_job = (_expiry_case(db, captured_ago, review_pending, lifetime_passed, now)
                                  for _ in range(3))
    # The capture link: a due session expires as its link is opened.
    view = capture.open_link(db, token=by_link.token, now=now)
    db.commit()
    db.refresh(by_link)
    assert by_link.state == want and (view == capture.CLOSED) == expires
    # The session detail shows what the rule says before the job has run, and writes nothing.
    checks = list(db.exec(select(Check).where(Check.session_id == by_detail.id)))
    assert effective_state(by_detail, checks, now) == want
    db.refresh(by_detail)
    assert by_detail.state == SessionState.ONGOING
    # The job marks the other two.
    assert expiry.expire_sessions(db, now) == (2 if expires else 0)
    db.commit()
    for vs in (by_detail, by_job):
        db.refresh(vs)
        assert vs.state == want
