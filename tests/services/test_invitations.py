"""Invitations and per-application permissions, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlmodel import select

from identity_app.crypto import hash_token
from identity_app.models import AuditEvent, Invitation, Permission, utcnow
from identity_app.services.applications import registry as applications
from identity_app.services.access import auth, invitations
from identity_app.services.errors import Forbidden, NotFound, ValidationError

PASSWORD = "correct horse battery"


@pytest.fixture
def owner(db):
    return auth.create_owner(db, name="Olive", email="owner@example.com", password=PASSWORD)


@pytest.fixture
def app_id(db, owner):
    return applications.create_application(db, actor=owner, name="Onboarding").id


def token_of(link: str) -> str:
    return unquote(link.rsplit("/", 1)[-1])


def test_an_invitation_is_emailed_and_creates_the_account_once(db, owner, app_id, settings):
    sent = invitations.invite(db, actor=owner, application_id=app_id, email="Ivy@Example.com",
                              permissions=["CREATE_SESSIONS"])
    assert sent.email == "ivy@example.com" and not sent.existing_user
    assert sent.link.startswith(settings.public_base_url + "/invitation/")
    outbox = sorted(Path(settings.outbox_dir).glob("*.eml"), key=lambda p: p.stat().st_mtime)
    assert sent.link in outbox[-1].read_text()
    token = token_of(sent.link)
    info = invitations.invitation_info(db, token_hash=hash_token(token))
    assert info.email == "ivy@example.com" and info.application_name == "Onboarding"

    ivy = invitations.accept_invitation(db, token_hash=hash_token(token), name="Ivy", password=PASSWORD)
    assert not ivy.totp_enrolled
    perms = applications.list_applications(db, actor=ivy)[0].permissions
    assert set(perms) == {"VIEW_SESSIONS", "CREATE_SESSIONS"}
    with pytest.raises(NotFound, match="not valid any more"):
        invitations.accept_invitation(db, token_hash=hash_token(token), name="Ivy again", password=PASSWORD)
    step = auth.sign_in_password(db, email="ivy@example.com", password=PASSWORD)
    assert step.needs_enrolment
    acts = [e.action for e in db.exec(select(AuditEvent)).all()]
    assert "user.invited" in acts and "user.invitation_accepted" in acts


def test_an_expired_invitation_is_refused(db, owner, app_id):
    sent = invitations.invite(db, actor=owner, application_id=app_id, email="late@example.com")
    token = token_of(sent.link)
    inv = db.exec(select(Invitation).where(Invitation.token_hash == hash_token(token))).one()
    assert inv.expires_at - utcnow() > timedelta(days=6, hours=23)
    inv.expires_at = utcnow() - timedelta(seconds=1)
    db.add(inv)
    db.flush()
    with pytest.raises(NotFound):
        invitations.invitation_info(db, token_hash=hash_token(token))
    with pytest.raises(NotFound):
        invitations.accept_invitation(db, token_hash=hash_token(token), name="Late", password=PASSWORD)
    with pytest.raises(NotFound):
        invitations.invitation_info(db, token_hash=hash_token("forged"))


def test_only_managers_invite_and_change_permissions(db, owner, app_id):
    sent = invitations.invite(db, actor=owner, application_id=app_id, email="viewer@example.com")
    viewer = invitations.accept_invitation(db, token_hash=hash_token(token_of(sent.link)), name="Vi", password=PASSWORD)
    with pytest.raises(Forbidden, match="Manage application"):
        invitations.invite(db, actor=viewer, application_id=app_id, email="x@example.com")
    with pytest.raises(Forbidden):
        applications.set_permissions(db, actor=viewer, application_id=app_id, operator_id=viewer.id,
                                     permissions=list(Permission))
    member = applications.set_permissions(db, actor=owner, application_id=app_id, operator_id=viewer.id,
                                          permissions=["DECIDE", "BOGUS"])
    assert member.permissions == ("VIEW_SESSIONS", "DECIDE")
    changed = db.exec(select(AuditEvent).where(AuditEvent.action == "user.permissions_changed")).one()
    assert changed.details == {"before": ["VIEW_SESSIONS"], "after": ["VIEW_SESSIONS", "DECIDE"]}
    applications.remove_member(db, actor=owner, application_id=app_id, operator_id=viewer.id)
    assert applications.list_applications(db, actor=viewer) == []
    with pytest.raises(NotFound):
        applications.get_application(db, actor=viewer, application_id=app_id)


def test_an_operator_of_another_application_sees_nothing_of_this_one(db, owner, app_id):
    other_app = applications.create_application(db, actor=owner, name="Other").id
    sent = invitations.invite(db, actor=owner, application_id=other_app, email="m@example.com",
                              permissions=list(p.value for p in Permission))
    manager = invitations.accept_invitation(db, token_hash=hash_token(token_of(sent.link)), name="M", password=PASSWORD)
    assert [a.name for a in applications.list_applications(db, actor=manager)] == ["Other"]
    for call in (
        lambda: applications.get_application(db, actor=manager, application_id=app_id),
        lambda: applications.list_members(db, actor=manager, application_id=app_id),
        lambda: invitations.invite(db, actor=manager, application_id=app_id, email="z@example.com"),
    ):
        with pytest.raises(NotFound):
            call()


def test_inviting_an_existing_operator_adds_them_directly(db, owner, app_id):
    other_app = applications.create_application(db, actor=owner, name="Other").id
    sent = invitations.invite(db, actor=owner, application_id=app_id, email="both@example.com")
    op = invitations.accept_invitation(db, token_hash=hash_token(token_of(sent.link)), name="B", password=PASSWORD)
    again = invitations.invite(db, actor=owner, application_id=other_app, email="both@example.com")
    assert again.existing_user
    assert {a.name for a in applications.list_applications(db, actor=op)} == {"Onboarding", "Other"}
    with pytest.raises(ValidationError, match="already a member"):
        invitations.invite(db, actor=owner, application_id=other_app, email="both@example.com")
