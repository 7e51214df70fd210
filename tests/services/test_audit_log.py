"""The audit log: who sees what, filters, pagination; session and media views are events."""
from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from identity_app.models import MediaKind, utcnow
from identity_app.services import audit_log
from identity_app.services.access import auth
from identity_app.services.errors import Forbidden, NotFound, ValidationError
from identity_app.services.capture.media import read_media
from identity_app.services.sessions.detail import get_session_detail
from identity_app.storage import LocalMediaStore
from tests import seed
from tests.conftest import SHARED_DATA, shared_data


@pytest.fixture
def world(db, tmp_path):
    shared_data("mrz-passporteye")
    store = LocalMediaStore(tmp_path / "media", "test-secret-" + "y" * 40)
    owner = seed.owner(db)
    # A sign-in of the owner (an event without an application).
    step = auth.sign_in_password(db, email=seed.OWNER_EMAIL, password=seed.PASSWORD, ip="10.0.0.9")
    enrol = auth.start_enrolment(db, token_hash=step.token_hash)
    auth.confirm_enrolment(db, token_hash=step.token_hash, code=pyotp.TOTP(enrol.secret).now())
    app_a = seed.application(db, owner, "Alpha")
    app_b = seed.application(db, owner, "Beta")
    viewer = seed.member(db, owner, app_a, "viewer@example.com", ["VIEW_SESSIONS"])
    s_a = seed.created_session(db, owner, app_a, "Ada Lovelace", "ada@example.org").id
    s_b = seed.created_session(db, owner, app_b, "Bob Beta", "bob@example.org").id
    media_id = seed.store_image(db, store, s_a, SHARED_DATA / "mrz-passporteye" / "testdata" / "100_pass-uto.jpg",
                                MediaKind.DOCUMENT_FRONT)
    db.commit()
    return dict(db=db, store=store, owner=owner, viewer=viewer, app_a=app_a, app_b=app_b, s_a=s_a, s_b=s_b,
                media_id=media_id)


def test_the_owner_sees_everything_including_sign_ins(world):
    db = world["db"]
    page = audit_log.list_events(db, actor=world["owner"])
    actions = {r.action for r in page.rows}
    assert {"owner.created", "auth.totp_enrolled", "application.created", "session.created",
            "user.invited"} <= actions
    assert any(r.application_id is None for r in page.rows)
    assert page.total == len(page.rows) and page.rows == tuple(sorted(page.rows, key=lambda r: (r.at, r.id),
                                                                        reverse=True))


def test_an_operator_sees_only_the_applications_they_belong_to(world):
    db = world["db"]
    page = audit_log.list_events(db, actor=world["viewer"])
    assert page.total > 0
    assert {r.application_id for r in page.rows} == {world["app_a"]}
    assert {r.application_name for r in page.rows} == {"Alpha"}
    assert not any(r.action.startswith("auth.") or r.action == "owner.created" for r in page.rows)
    assert world["s_b"] not in {r.session_id for r in page.rows}
    with pytest.raises(NotFound):
        audit_log.list_events(db, actor=world["viewer"], application_id=world["app_b"])
    with pytest.raises(Forbidden):
        audit_log.list_events(db, actor=None)
    assert "auth.totp_enrolled" not in audit_log.action_names(db, actor=world["viewer"])
    assert "auth.totp_enrolled" in audit_log.action_names(db, actor=world["owner"])


def test_session_detail_views_and_media_views_are_events(world):
    db, viewer = world["db"], world["viewer"]
    get_session_detail(db, actor=viewer, session_id=world["s_a"], ip="10.1.1.1")
    content = read_media(db, world["store"], actor=viewer, media_id=world["media_id"], ip="10.1.1.1")
    assert content.data[:2] == b"\xff\xd8"
    db.commit()
    page = audit_log.list_events(db, actor=world["owner"], session_id=world["s_a"], operator="VIEWER@")
    assert [r.action for r in page.rows] == ["media.viewed", "session.viewed"]
    assert all(r.actor == "viewer@example.com" and r.ip == "10.1.1.1" for r in page.rows)
    assert page.rows[0].target == f"media:{world['media_id']}"


def test_filters_by_operator_action_session_and_date_and_pages(world):
    db, owner = world["db"], world["owner"]
    created = audit_log.list_events(db, actor=owner, action="session.created")
    assert created.total == 2 and {r.session_id for r in created.rows} == {world["s_a"], world["s_b"]}
    only_a = audit_log.list_events(db, actor=owner, action="session.created", session_id=world["s_a"])
    assert [r.session_id for r in only_a.rows] == [world["s_a"]]
    assert audit_log.list_events(db, actor=owner, operator="nobody@").total == 0
    by_owner = audit_log.list_events(db, actor=owner, operator="owner@example")
    assert by_owner.total > 0 and all(r.actor == "owner@example.com" for r in by_owner.rows)
    today = utcnow().date()
    everything = audit_log.list_events(db, actor=owner).total
    assert audit_log.list_events(db, actor=owner, date_from=today, date_to=today).total == everything
    assert audit_log.list_events(db, actor=owner, date_to=today - timedelta(days=1)).total == 0
    assert audit_log.list_events(db, actor=owner, date_from=today + timedelta(days=1)).total == 0
    with pytest.raises(ValidationError):
        audit_log.list_events(db, actor=owner, date_from=today, date_to=today - timedelta(days=1))
    pages = [audit_log.list_events(db, actor=owner, page=p, page_size=3) for p in (1, 2, 3, 99)]
    assert pages[0].pages == -(-everything // 3) and all(len(p.rows) <= 3 for p in pages)
    ids = [r.id for p in pages[:3] for r in p.rows]
    assert len(ids) == len(set(ids)) == min(9, everything)
    assert pages[3].rows == ()


def test_an_action_comes_from_the_vocabulary_and_is_stored_as_its_plain_value(db):
    from identity_app.models import AuditAction
    from identity_app.services import audit

    event = audit.record(db, AuditAction.SESSION_VIEWED, session_id=1)
    assert type(event.action) is str and event.action == "session.viewed"
    with pytest.raises(TypeError, match="AuditAction"):
        audit.record(db, "session.viewed")  # type: ignore[arg-type]
    db.rollback()
