"""Creating sessions, their link and QR code, emailing the link; on SQLite and PostgreSQL."""
from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlmodel import select

from identity_app.models import AuditEvent, SessionState, VerificationSession
from identity_app.services.sessions import links as sessions
from identity_app.services.errors import Conflict, Forbidden, NotFound, ValidationError
from tests import seed


def test_a_session_gets_a_link_and_a_searchable_text(db, settings):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    created = sessions.create_session(db, actor=op, application_id=app_id, user_name=" Ada Lovelace ",
                                      user_email="Ada@Example.COM", reference="CUST-42")
    vs = db.get(VerificationSession, created.id)
    assert created.link == settings.public_base_url.rstrip("/") + "/s/" + created.token
    assert len(created.token) >= 43  # 256 bits
    assert vs.search_text == "ada lovelace ada@example.com cust-42" and vs.state == SessionState.ONGOING
    assert sessions.find_by_token(db, created.token).id == created.id and sessions.is_open(vs)
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "session.created")).one()
    assert "Ada" not in str(event.details) and event.session_id == created.id


def test_the_link_comes_with_a_qr_code_of_the_same_link(db):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    created = sessions.create_session(db, actor=op, application_id=app_id, user_name="Ada", user_email="a@example.com")
    link = sessions.get_link(db, actor=op, session_id=created.id)
    assert link.link == created.link and link.state_label == "IN PROGRESS" and link.state == "ONGOING"
    svg = base64.b64decode(link.qr_svg_data_uri.split(",", 1)[1])
    assert link.qr_svg_data_uri.startswith("data:image/svg+xml;base64,") and b"<svg" in svg
    # The QR code decodes back to the link: draw the SVG's unit squares (M x,y H x+1 V y+1 H x z).
    import re

    import cv2
    import numpy as np

    size = int(re.search(rb'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    scale = 6
    canvas = np.full((size * scale, size * scale), 255, np.uint8)
    for x, y in re.findall(rb"M(\d+),(\d+)H", svg):
        x0, y0 = int(x) * scale, int(y) * scale
        canvas[y0:y0 + scale, x0:x0 + scale] = 0
    # OpenCV's classic QR detector misses about 1 valid code in 30 (random links); the ArUco-based
    # one read all of 300.
    decoded, _, _ = cv2.QRCodeDetectorAruco().detectAndDecode(canvas)
    assert decoded == created.link


@pytest.mark.parametrize("name, email, reference, message", [
    ("", "a@example.com", "", "name"),
    ("Ada", "not an email", "", "valid email"),
    ("Ada", "ada@localhost", "", "valid email"),
    ("A" * 201, "a@example.com", "", "too long"),
    ("Ada", "a@example.com", "R" * 201, "too long"),
])
def test_bad_input_is_refused(db, name, email, reference, message):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    with pytest.raises(ValidationError, match=message):
        sessions.create_session(db, actor=op, application_id=app_id, user_name=name, user_email=email,
                                reference=reference)


def test_creating_needs_the_create_permission_and_the_application(db):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    other = seed.new_app(db, op, "Other")
    viewer = seed.account(db, app_id, ["VIEW_SESSIONS"])
    creator = seed.account(db, app_id, ["VIEW_SESSIONS", "CREATE_SESSIONS"], email="cat@example.com")
    stranger = seed.account(db, other, ["VIEW_SESSIONS", "CREATE_SESSIONS"], email="sam@example.com")
    with pytest.raises(Forbidden, match="Create sessions"):
        sessions.create_session(db, actor=viewer, application_id=app_id, user_name="Ada", user_email="a@example.com")
    with pytest.raises(NotFound):
        sessions.create_session(db, actor=stranger, application_id=app_id, user_name="Ada", user_email="a@example.com")
    created = sessions.create_session(db, actor=creator, application_id=app_id, user_name="Ada",
                                      user_email="a@example.com")
    assert sessions.get_link(db, actor=viewer, session_id=created.id).session_id == created.id
    with pytest.raises(NotFound):
        sessions.get_link(db, actor=stranger, session_id=created.id)
    with pytest.raises(Forbidden):
        sessions.send_link_email(db, actor=viewer, session_id=created.id)


def test_the_link_is_emailed_to_the_person(db, settings):
    op = seed.owner(db)
    app_id = seed.new_app(db, op, "Acme Bank")
    created = sessions.create_session(db, actor=op, application_id=app_id, user_name="Ada Lovelace",
                                      user_email="ada@example.com")
    before = set(Path(settings.outbox_dir).glob("*.eml")) if Path(settings.outbox_dir).exists() else set()
    assert sessions.send_link_email(db, actor=op, session_id=created.id) == "outbox"
    new = set(Path(settings.outbox_dir).glob("*.eml")) - before
    assert len(new) == 1
    mail = new.pop().read_text()
    assert "To: ada@example.com" in mail and created.link in mail and "Acme Bank" in mail
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "session.link_emailed")).one()
    assert event.details == {"transport": "outbox"}
    vs = db.get(VerificationSession, created.id)
    vs.state = SessionState.EXPIRED
    db.add(vs)
    with pytest.raises(Conflict, match="not open"):
        sessions.send_link_email(db, actor=op, session_id=created.id)


def test_state_labels_are_the_console_names():
    assert [s.label for s in SessionState] == ["IN PROGRESS", "COMPLETED", "EXPIRED"]
