"""The sessions list: search, filters, sorting, pages, CSV export; on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from identity_app.models import AuditEvent, DecisionValue, SessionState, VerificationSession
from identity_app.services.sessions import links as sessions
from identity_app.services.errors import NotFound, ValidationError
from identity_app.services.sessions.search import SearchQuery, export_csv, query_from_params, search_sessions
from tests import seed

PEOPLE = [  # name, email, reference, state, decision, days ago
    ("Ada Lovelace", "ada@example.com", "CUST-001", "COMPLETED", "APPROVE", 1),
    ("Charles Babbage", "charles@engine.example", "CUST-002", "COMPLETED", "REJECT", 3),
    ("Grace Hopper", "grace@navy.example", "", "ONGOING", None, 5),
    ("Alan Turing", "alan.turing@example.com", "CUST-100", "EXPIRED", None, 20),
    ("Émilie du Châtelet", "emilie@example.fr", "FR_50%", "COMPLETED", None, 40),
]


@pytest.fixture
def world(db):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    other = seed.new_app(db, op, "Other")
    now = datetime.now(timezone.utc)
    ids = {}
    for name, email, ref, state, decision, days in PEOPLE:
        created = sessions.create_session(db, actor=op, application_id=app_id, user_name=name, user_email=email,
                                          reference=ref)
        vs = db.get(VerificationSession, created.id)
        vs.state, vs.decision = SessionState(state), DecisionValue(decision) if decision else None
        vs.created_at = now - timedelta(days=days)
        db.add(vs)
        ids[name] = created.id
    sessions.create_session(db, actor=op, application_id=other, user_name="Ada Other", user_email="ada@other.example")
    db.commit()
    return op, app_id, other, ids


def names(result) -> list[str]:
    return [r.user_name for r in result.rows]


def search(db, op, app_id, **kw):
    return search_sessions(db, actor=op, application_id=app_id, query=SearchQuery(**kw))


def test_search_is_case_insensitive_and_matches_part_of_a_word(db, world):
    op, app_id, _, _ = world
    assert names(search(db, op, app_id, text="LOVE")) == ["Ada Lovelace"]
    assert names(search(db, op, app_id, text="engine.ex")) == ["Charles Babbage"]
    assert names(search(db, op, app_id, text="cust-00")) == ["Ada Lovelace", "Charles Babbage"]
    assert names(search(db, op, app_id, text="ÉMILIE")) == ["Émilie du Châtelet"]
    # LIKE wildcards are literal characters.
    assert names(search(db, op, app_id, text="50%")) == ["Émilie du Châtelet"]
    assert names(search(db, op, app_id, text="r_5")) == ["Émilie du Châtelet"]
    assert search(db, op, app_id, text="%").total == 1
    assert search(db, op, app_id, text="_").total == 1
    # Only this application's sessions.
    assert search(db, op, app_id, text="ada").total == 1


def test_filters_by_state_decision_and_creation_date(db, world):
    op, app_id, _, _ = world
    assert names(search(db, op, app_id, states=("ONGOING", "EXPIRED"))) == ["Grace Hopper", "Alan Turing"]
    assert names(search(db, op, app_id, decision="REJECT")) == ["Charles Babbage"]
    assert set(names(search(db, op, app_id, decision="NONE"))) == {"Grace Hopper", "Alan Turing", "Émilie du Châtelet"}
    today = date.today()
    assert names(search(db, op, app_id, created_from=today - timedelta(days=10), created_to=today - timedelta(days=2))) \
        == ["Charles Babbage", "Grace Hopper"]
    assert search(db, op, app_id, created_to=today - timedelta(days=30)).total == 1
    with pytest.raises(ValidationError, match="after"):
        search(db, op, app_id, created_from=today, created_to=today - timedelta(days=1))
    with pytest.raises(ValidationError):
        search(db, op, app_id, states=("FINISHED",))


def test_sorting_and_pagination(db, world):
    op, app_id, _, _ = world
    # Accents sort with their letter: Émilie among the e's, not after Z (issue 14, item 14).
    assert names(search(db, op, app_id, sort="name", descending=False)) == [
        "Ada Lovelace", "Alan Turing", "Charles Babbage", "Émilie du Châtelet", "Grace Hopper"]
    # Grouped by state (PostgreSQL orders its enum by lifecycle, SQLite alphabetically), newest first inside.
    by_state = [r.state for r in search(db, op, app_id, sort="state", descending=False).rows]
    assert len(by_state) == 5 and all(s not in by_state[i + 1:] or by_state[i + 1] == s
                                      for i, s in enumerate(by_state[:-1]))
    page1 = search(db, op, app_id, page_size=2)
    page3 = search(db, op, app_id, page_size=2, page=3)
    assert page1.total == 5 and page1.pages == 3 and names(page1) == ["Ada Lovelace", "Charles Babbage"]
    assert names(page3) == ["Émilie du Châtelet"]
    assert search(db, op, app_id, page_size=2, page=9).rows == ()
    row = page1.rows[0]
    assert row.state == "COMPLETED" and row.state_label == "COMPLETED" and row.decision == "APPROVE"
    assert search(db, op, app_id, text="grace").rows[0].state_label == "IN PROGRESS"


def test_the_csv_export_holds_the_filtered_list_and_defuses_formulas(db, world):
    op, app_id, _, ids = world
    sessions.create_session(db, actor=op, application_id=app_id, user_name="=HYPERLINK(\"http://x\")",
                            user_email="mallory@example.com")
    text = export_csv(db, actor=op, application_id=app_id, query=query_from_params({"q": "example.com", "dir": "asc"}))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["email"] for r in rows] == ["alan.turing@example.com", "ada@example.com", "mallory@example.com"]
    assert rows[0]["state"] == "EXPIRED" and rows[1]["decision"] == "APPROVE"
    assert rows[2]["name"].startswith("'=")
    assert set(rows[0]) == {"session_id", "name", "email", "reference", "state", "decision", "created_at",
                            "expires_at", "completed_at", "link"}
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "sessions.exported")).one()
    assert event.details == {"rows": 3, "filtered": True}


def test_only_members_who_can_view_search_and_export(db, world):
    op, app_id, other, _ = world
    stranger = seed.account(db, other, ["VIEW_SESSIONS"], email="sam@example.com")
    viewer = seed.account(db, app_id, ["VIEW_SESSIONS"])
    assert search(db, viewer, app_id).total == 5
    with pytest.raises(NotFound):
        search(db, stranger, app_id)
    with pytest.raises(NotFound):
        export_csv(db, actor=stranger, application_id=app_id, query=SearchQuery())


def test_query_parameters_are_checked():
    q = query_from_params({"q": " Ada ", "state": "ONGOING,EXPIRED", "decision": "none", "from": "2026-01-02",
                           "sort": "name", "dir": "asc"})
    assert q.states == ("ONGOING", "EXPIRED") and q.created_from == date(2026, 1, 2) and not q.descending
    with pytest.raises(ValidationError, match="not a date"):
        query_from_params({"from": "yesterday"})


def test_a_session_without_a_name_is_named_by_its_id_in_the_console_but_not_in_the_csv(db, world):
    # Sessions made through the Yoti-compatible endpoint have no name: the list showed an empty,
    # unclickable link and the session page an empty heading.
    from identity_app.services.sessions.detail import get_session_detail

    op, app_id, _, ids = world
    vs = db.get(VerificationSession, ids["Grace Hopper"])
    vs.user_name = ""
    db.add(vs)
    db.commit()
    row = next(r for r in search(db, op, app_id).rows if r.id == vs.id)
    assert row.user_name == "" and row.shown_name == f"Session {vs.id} (no name)"
    assert next(r for r in search(db, op, app_id).rows if r.id == ids["Ada Lovelace"]).shown_name == "Ada Lovelace"
    assert get_session_detail(db, actor=op, session_id=vs.id).user_name == ""  # the APIs read it as stored
    exported = list(csv.reader(io.StringIO(export_csv(db, actor=op, application_id=app_id, query=SearchQuery()))))
    assert [r for r in exported if r[0] == str(vs.id)][0][1] == ""
