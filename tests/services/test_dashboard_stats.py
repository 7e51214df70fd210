"""The application dashboard (services/sessions/stats.py) on SQLite and PostgreSQL: sessions per day,
the funnel with drop-off per step, pass rates per check, time to complete, the reviews waiting;
members of the application only."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from identity_app.checks.report import CheckType
from identity_app.models import (
    Check,
    CheckState,
    ManualCheck,
    Resource,
    ResourceKind,
    ReviewState,
    SessionState,
    VerificationSession,
)
from identity_app.services.errors import NotFound, ValidationError
from identity_app.services.sessions import stats
from tests import seed

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def _session(db, app_id: int, *, days_ago: float, opened: float | None = None, consent: bool = False,
             resources: tuple[ResourceKind, ...] = (), submitted: bool = False, completed_after: float | None = None,
             state: SessionState = SessionState.ONGOING, expires_days: float = 7) -> VerificationSession:
    """A session row with these moments (minutes after it was created, for `opened`/`completed_after`)."""
    import uuid

    created = NOW - timedelta(days=days_ago)
    started = created + timedelta(minutes=opened) if opened is not None else None
    vs = VerificationSession(application_id=app_id, token=uuid.uuid4().hex, user_name="X", user_email="x@example.com",
                             created_at=created, expires_at=created + timedelta(days=expires_days), state=state,
                             started_at=started, consent_at=started if consent else None,
                             capture_finished_at=started + timedelta(minutes=1) if submitted and started else None,
                             completed_at=(started or created) + timedelta(minutes=completed_after)
                             if completed_after is not None else None)
    db.add(vs)
    db.flush()
    for kind in resources:
        db.add(Resource(session_id=vs.id, kind=kind))
    db.flush()
    return vs


def _check(db, session_id: int, type_: CheckType, recommendation: str | None, *, pending_since_h: float | None = None):
    done_at = NOW - timedelta(hours=pending_since_h) if pending_since_h is not None else NOW
    db.add(Check(session_id=session_id, type=type_.value, state=CheckState.DONE if recommendation else CheckState.PENDING,
                 recommendation=recommendation, manual_check=ManualCheck.FALLBACK,
                 review_state=ReviewState.PENDING if pending_since_h is not None else ReviewState.NOT_REQUIRED,
                 created_at=done_at - timedelta(seconds=5), completed_at=done_at))


@pytest.fixture
def world(db):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    other = seed.new_app(db, op, "Other")
    member = seed.account(db, app_id, ["VIEW_SESSIONS"], "member@example.com")
    outsider = seed.account(db, other, list(seed.all_permissions()), "outsider@example.com")
    doc_live = (ResourceKind.ID_DOCUMENT, ResourceKind.LIVENESS)
    # 10 sessions in the last 7 days: every step of the funnel loses some.
    for _ in range(2):
        _session(db, app_id, days_ago=1)                                    # never opened
    _session(db, app_id, days_ago=2, opened=5)                              # opened, no consent
    _session(db, app_id, days_ago=2, opened=5, consent=True)                # consent, nothing captured
    _session(db, app_id, days_ago=3, opened=5, consent=True, resources=(ResourceKind.ID_DOCUMENT,))
    _session(db, app_id, days_ago=3, opened=5, consent=True, resources=doc_live)  # liveness not finished
    sub = _session(db, app_id, days_ago=0.2, opened=1, consent=True, resources=doc_live, submitted=True)
    done = [_session(db, app_id, days_ago=d, opened=10, consent=True, resources=doc_live, submitted=True,
                     completed_after=minutes, state=SessionState.COMPLETED)
            for d, minutes in ((4, 3), (5, 4), (6, 45))]
    # Outside 7 days, inside 30: one expired (its link ended 20 days ago), one completed in 90 s.
    _session(db, app_id, days_ago=27, expires_days=7, state=SessionState.EXPIRED)
    _session(db, app_id, days_ago=20, opened=0, consent=True, resources=doc_live, submitted=True, completed_after=1.5,
             state=SessionState.COMPLETED)
    # Another application's sessions never count.
    _session(db, other, days_ago=1, opened=1, consent=True, submitted=True, completed_after=2,
             state=SessionState.COMPLETED)
    for vs, liveness in zip(done, ("APPROVE", "APPROVE", "REJECT")):
        _check(db, vs.id, CheckType.LIVENESS, liveness)
        _check(db, vs.id, CheckType.ID_DOCUMENT_AUTHENTICITY, "APPROVE")
    _check(db, done[0].id, CheckType.ID_DOCUMENT_FACE_MATCH, "NOT_AVAILABLE", pending_since_h=2)
    _check(db, sub.id, CheckType.ID_DOCUMENT_FACE_MATCH, "REJECT", pending_since_h=30)
    _check(db, sub.id, CheckType.LIVENESS, None)  # still running: not a result
    db.commit()
    return op, app_id, member, outsider


def test_sessions_per_day_count_created_completed_and_expired_by_their_own_day(db, world):
    op, app_id, *_ = world
    week = stats.dashboard(db, actor=op, application_id=app_id, days=7, now=NOW)
    assert len(week.per_day) == 7 and week.per_day[-1].day == "2026-11-30" and week.per_day[0].day == "2026-11-24"
    assert (week.created, week.completed, week.expired) == (10, 3, 0)
    by_day = {d.day: d for d in week.per_day}
    assert by_day["2026-11-29"].created == 2 and by_day["2026-11-30"].created == 1
    assert by_day["2026-11-26"].completed == 1 and by_day["2026-11-25"].completed == 1
    month = stats.dashboard(db, actor=op, application_id=app_id, days=30, now=NOW)
    assert (month.created, month.completed, month.expired) == (12, 4, 1)
    assert {d.day: d.expired for d in month.per_day}["2026-11-10"] == 1  # 27 days ago + a 7-day link


def test_the_funnel_counts_each_step_reached_and_the_drop_off_from_the_step_before(db, world):
    op, app_id, *_ = world
    funnel = stats.dashboard(db, actor=op, application_id=app_id, days=7, now=NOW).funnel
    assert [(s.key, s.count, s.dropped) for s in funnel] == [
        ("created", 10, 0), ("opened", 8, 2), ("consent", 7, 1), ("document", 6, 1), ("liveness", 5, 1),
        ("submitted", 4, 1), ("completed", 3, 1)]
    assert funnel[1].drop_percent == 20.0 and funnel[-1].percent_of_first == 30.0
    assert funnel[-1].label == "Checks completed"


def test_pass_rates_count_every_check_run_with_a_report(db, world):
    op, app_id, *_ = world
    rates = {r.check_type: r for r in stats.dashboard(db, actor=op, application_id=app_id, days=7, now=NOW).pass_rates}
    assert [r for r in rates] == [t.value for t in CheckType]  # every check, in the console's order
    live = rates[CheckType.LIVENESS.value]
    assert (live.done, live.approved, live.rejected, live.pass_rate, live.label) == (3, 2, 1, 66.7, "Liveness")
    face = rates[CheckType.ID_DOCUMENT_FACE_MATCH.value]
    assert (face.done, face.approved, face.rejected, face.not_available) == (2, 0, 1, 1)
    assert rates[CheckType.ID_DOCUMENT_AUTHENTICITY.value].pass_rate == 100.0
    assert rates[CheckType.ID_DOCUMENT_TEXT_DATA_CHECK.value].done == 0


def test_time_to_complete_median_and_p90_from_the_link_opened(db, world):
    op, app_id, *_ = world
    times = stats.dashboard(db, actor=op, application_id=app_id, days=7, now=NOW).times
    assert times.completed == 3
    assert times.median_seconds == pytest.approx(240, abs=0.5)
    assert times.p90_seconds == pytest.approx(240 + 0.8 * 2460, abs=0.5)  # between the 2nd and 3rd
    assert {b.label: b.count for b in times.buckets if b.count} == {"2-5 min": 2, "30-60 min": 1}
    month = stats.dashboard(db, actor=op, application_id=app_id, days=90, now=NOW).times
    assert month.completed == 4 and month.median_seconds == pytest.approx(210, abs=0.5)  # 90, 180, 240, 2700 s


def test_reviews_waiting_and_their_age_whatever_the_range(db, world):
    op, app_id, *_ = world
    reviews = stats.dashboard(db, actor=op, application_id=app_id, days=7, now=NOW).reviews
    assert reviews.waiting == 2
    assert reviews.oldest_seconds == pytest.approx(30 * 3600, abs=1)
    assert {b.label: b.count for b in reviews.buckets if b.count} == {"1-4 h": 1, "1-3 days": 1}


def test_members_only_and_the_ranges_offered(db, world):
    op, app_id, member, outsider = world
    assert stats.dashboard(db, actor=member, application_id=app_id, days=30, now=NOW).created == 12
    with pytest.raises(NotFound):
        stats.dashboard(db, actor=outsider, application_id=app_id, days=30, now=NOW)
    with pytest.raises(ValidationError):
        stats.dashboard(db, actor=op, application_id=app_id, days=365, now=NOW)
    empty = stats.dashboard(db, actor=op, application_id=seed.new_app(db, op, "Empty"), days=7, now=NOW)
    assert empty.created == 0 and empty.times.median_seconds is None and empty.funnel[1].drop_percent == 0.0


def test_the_benchmark_runs_and_prints_each_range(capsys):
    """bench dashboard on a small seed (SQLite): its figures are printed, never asserted."""
    from identity_app.bench.dashboard import main

    assert main(["--db", "sqlite", "--sessions", "300", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "stats.dashboard on sqlite, 300 sessions" in out
    assert all(f"{d:>3} days" in out for d in (7, 30, 90))
