"""The session page's state banner says whom an IN PROGRESS session waits for, and why an EXPIRED one
ended, and the session list marks the same: through the services on a real database, from a link nobody
opened to a capture left half done."""
from __future__ import annotations

from datetime import timedelta

from identity_app.models import SessionState, VerificationSession, utcnow
from identity_app.services.capture import flow as capture
from identity_app.services.sessions.detail import get_session_detail
from identity_app.services.sessions.progress import progress_note
from identity_app.services.sessions.search import SearchQuery, search_sessions
from tests import seed


def _detail(db, actor, session_id: int):
    return get_session_detail(db, actor=actor, session_id=session_id, audit_view=False)


def test_a_link_nobody_opened_waits_for_the_person_then_the_capture_is_under_way(db):
    actor = seed.owner(db)
    created = seed.created_session(db, actor, seed.new_app(db, actor))
    d = _detail(db, actor, created.id)
    assert (d.state_label, d.progress_kind) == ("IN PROGRESS", "WAITING_FOR_PERSON")
    assert d.progress == "Waiting for the person to open the link."

    capture.open_link(db, token=created.token, user_agent="Mozilla/5.0 (iPhone)", ip="10.0.0.9")
    d = _detail(db, actor, created.id)
    assert d.progress_kind == "CAPTURING"
    assert d.progress == "The person opened the link and has not finished the capture yet."


def test_an_expired_link_says_how_far_the_person_got(db):
    actor = seed.owner(db)
    app_id = seed.new_app(db, actor)
    never_opened = seed.created_session(db, actor, app_id, email="a@example.org")
    half_done = seed.created_session(db, actor, app_id, email="b@example.org")
    capture.open_link(db, token=half_done.token)
    for sid in (never_opened.id, half_done.id):
        vs = db.get(VerificationSession, sid)
        vs.expires_at = utcnow() - timedelta(minutes=1)  # its lifetime is over: the console shows EXPIRED
        db.add(vs)
    db.flush()
    first, second = _detail(db, actor, never_opened.id), _detail(db, actor, half_done.id)
    assert (first.state_label, first.progress) == ("EXPIRED", "The link expired before the person opened it.")
    assert (second.state_label, second.progress) == (
        "EXPIRED", "The link expired before the person finished the capture.")
    assert first.progress_kind == second.progress_kind == ""


def test_after_the_capture_the_banner_names_the_checks_or_the_reviews_left():
    now = utcnow()
    assert progress_note(SessionState.ONGOING, now, now, 0) == (
        "CHECKING", "The person finished the capture; the checks are running.")
    assert progress_note(SessionState.ONGOING, now, now, 1) == ("REVIEW", "1 check waits for manual review.")
    assert progress_note(SessionState.ONGOING, now, now, 2) == ("REVIEW", "2 checks wait for manual review.")
    assert progress_note(SessionState.COMPLETED, now, now, 0) == ("", "")
    assert progress_note(SessionState.EXPIRED, now, now, 0) == ("", "")


def test_the_session_list_marks_a_link_nobody_opened_apart_from_a_capture_under_way(db):
    actor = seed.owner(db)
    app_id = seed.new_app(db, actor)
    waiting = seed.created_session(db, actor, app_id, "Wendy Waiting", "w@example.org")
    opened = seed.created_session(db, actor, app_id, "Otto Opened", "o@example.org")
    capture.open_link(db, token=opened.token)
    rows = {r.id: r for r in search_sessions(db, actor=actor, application_id=app_id, query=SearchQuery()).rows}
    assert rows[waiting.id].progress_kind == "WAITING_FOR_PERSON"
    assert rows[opened.id].progress_kind == "CAPTURING"
    assert rows[waiting.id].state_label == rows[opened.id].state_label == "IN PROGRESS"
