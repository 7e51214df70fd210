"""Issue 14, item 3: the sessions list marks and filters the sessions waiting for a person
(a check whose manual review is PENDING); on SQLite and PostgreSQL."""
from __future__ import annotations

from identity_app.models import Check, CheckState, ReviewState
from identity_app.services.sessions import links as sessions
from identity_app.services.sessions.search import SearchQuery, query_from_params, search_sessions
from tests import seed


def test_sessions_waiting_for_a_person_are_marked_and_filtered(db):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    ids = {name: sessions.create_session(db, actor=op, application_id=app_id, user_name=name,
                                         user_email=f"{name.lower()}@example.com").id
           for name in ("Waiting", "Reviewed", "Automated")}
    for name, review in (("Waiting", ReviewState.PENDING), ("Reviewed", ReviewState.DONE),
                         ("Automated", ReviewState.NOT_REQUIRED)):
        db.add(Check(session_id=ids[name], type="ID_DOCUMENT_FACE_MATCH", state=CheckState.DONE,
                     review_state=review))
    db.commit()

    every = search_sessions(db, actor=op, application_id=app_id, query=SearchQuery())
    assert {r.user_name: r.needs_review for r in every.rows} == {"Waiting": True, "Reviewed": False,
                                                                "Automated": False}
    waiting = search_sessions(db, actor=op, application_id=app_id, query=query_from_params({"review": "PENDING"}))
    assert [r.user_name for r in waiting.rows] == ["Waiting"] and waiting.total == 1
    assert query_from_params({"review": "anything else"}).needs_review is False
