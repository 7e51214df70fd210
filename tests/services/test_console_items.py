"""Issue 14, console items 11-16, in the services (SQLite and PostgreSQL): accent-insensitive
search and the accent-aware name sort, the CSV export's link and state words, bulk sessions
emailed, invitations listed / revoked / sent again / refused twice / stale links told at
once, and wrong passwords in the audit log without the password."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlmodel import select

from identity_app.crypto import hash_token
from identity_app.models import AuditEvent, Invitation, SessionState, VerificationSession
from identity_app.services import audit_log
from identity_app.services.access import auth, invitations
from identity_app.services.errors import AuthenticationError, Conflict, NotFound
from identity_app.services.sessions import bulk, links
from identity_app.services.sessions.search import SearchQuery, export_csv, query_from_params, search_sessions
from tests import seed


def names(db, op, app_id, **kw) -> list[str]:
    return [r.user_name for r in search_sessions(db, actor=op, application_id=app_id, query=SearchQuery(**kw)).rows]


@pytest.fixture
def people(db):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    for name, email in (("Élodie Durand", "elodie@example.fr"), ("Zoë Müller", "zoe@example.de"),
                        ("Anna Smith", "anna@example.com"), ("Łukasz Øster", "lukasz@example.pl")):
        seed.created_session(db, op, app_id, name, email, "")
    return op, app_id


def test_search_ignores_accents_and_case(db, people):
    op, app_id = people
    assert names(db, op, app_id, text="muller") == ["Zoë Müller"]
    assert names(db, op, app_id, text="MÜLLER") == ["Zoë Müller"]
    assert names(db, op, app_id, text="elodie") == ["Élodie Durand"]
    assert names(db, op, app_id, text="lukasz oster") == ["Łukasz Øster"]
    assert names(db, op, app_id, text="zoe") == ["Zoë Müller"]


def test_the_name_sort_puts_accented_letters_with_their_letter(db, people):
    op, app_id = people
    assert names(db, op, app_id, sort="name", descending=True) == [
        "Zoë Müller", "Łukasz Øster", "Élodie Durand", "Anna Smith"]
    assert names(db, op, app_id, sort="name", descending=False)[:2] == ["Anna Smith", "Élodie Durand"]


def test_the_export_has_the_link_and_the_consoles_state_words(db, people):
    op, app_id = people
    vs = db.exec(select(VerificationSession).where(VerificationSession.user_name == "Anna Smith")).one()
    vs.state = SessionState.EXPIRED
    db.add(vs)
    db.flush()
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(export_csv(
        db, actor=op, application_id=app_id, query=query_from_params({}))))}
    zoe = db.exec(select(VerificationSession).where(VerificationSession.user_name == "Zoë Müller")).one()
    assert rows["Zoë Müller"]["state"] == "IN PROGRESS"  # as the list shows it, not ONGOING
    assert rows["Zoë Müller"]["link"] == links.session_link(zoe.token)
    assert rows["Anna Smith"]["state"] == "EXPIRED" and rows["Anna Smith"]["link"] == ""  # a closed link is no use


def test_bulk_created_sessions_can_be_emailed(db, settings):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    outbox = Path(settings.outbox_dir)
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    data = b"name,email\nAda Lovelace,ada@example.com\nGrace Hopper,grace@example.com\nBad,not-an-email\n"
    result = bulk.create_from_csv(db, actor=op, application_id=app_id, data=data, email=True)
    assert len(result.created) == 2 and len(result.errors) == 1
    assert result.emailed == 2 and result.transport == "outbox"
    new = [p.read_text() for p in set(outbox.glob("*.eml")) - before]
    for created in result.created:
        assert sum(created.link in text for text in new) == 1
    emailed = db.exec(select(AuditEvent).where(AuditEvent.action == "session.link_emailed")).all()
    assert sorted(e.session_id for e in emailed) == sorted(c.id for c in result.created)
    # Without the option nothing is sent; the batch can be emailed afterwards.
    later = bulk.create_from_csv(db, actor=op, application_id=app_id, data=b"name,email\nAlan,alan@example.com\n")
    assert later.emailed == 0
    assert bulk.email_links(db, actor=op, session_ids=[c.id for c in later.created]) == (1, "outbox")


@pytest.fixture
def invited(db):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    sent = invitations.invite(db, actor=op, application_id=app_id, email="ivy@example.com",
                              permissions=["CREATE_SESSIONS", "DECIDE"])
    return op, app_id, sent


def _hash(link: str) -> str:
    from urllib.parse import unquote

    return hash_token(unquote(link.rsplit("/", 1)[-1]))


def test_pending_invitations_are_listed_in_words(db, invited):
    op, app_id, _ = invited
    [pending] = invitations.list_invitations(db, actor=op, application_id=app_id)
    assert pending.email == "ivy@example.com" and pending.invited_by == seed.OWNER_EMAIL
    assert set(pending.permissions) == {"View sessions", "Create sessions", "Make decisions"}
    assert pending.expires_at > pending.sent_at
    viewer = seed.account(db, app_id, ["VIEW_SESSIONS"], email="vic@example.com")
    with pytest.raises(Exception):
        invitations.list_invitations(db, actor=viewer, application_id=app_id)


def test_a_second_invitation_for_the_same_email_is_refused_with_a_reason(db, invited):
    op, app_id, _ = invited
    with pytest.raises(Conflict, match="ivy@example.com was already invited.*Send that invitation again or revoke"):
        invitations.invite(db, actor=op, application_id=app_id, email="IVY@example.com")
    assert len(db.exec(select(Invitation)).all()) == 1


def test_a_revoked_invitation_link_says_so_at_once(db, invited):
    op, app_id, sent = invited
    [pending] = invitations.list_invitations(db, actor=op, application_id=app_id)
    assert invitations.revoke_invitation(db, actor=op, application_id=app_id, invitation_id=pending.id) == sent.email
    assert invitations.list_invitations(db, actor=op, application_id=app_id) == ()
    with pytest.raises(NotFound, match="not valid any more"):
        invitations.invitation_info(db, token_hash=_hash(sent.link))  # the page's load, before any password
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "user.invitation_revoked")).one().target == \
        f"invitation:{pending.id}"
    # Revoked, the email may be invited anew.
    invitations.invite(db, actor=op, application_id=app_id, email="ivy@example.com")


def test_sending_again_makes_a_new_link_and_ends_the_old_one(db, invited, settings):
    op, app_id, sent = invited
    [pending] = invitations.list_invitations(db, actor=op, application_id=app_id)
    again = invitations.resend_invitation(db, actor=op, application_id=app_id, invitation_id=pending.id)
    assert again.link != sent.link and again.email == "ivy@example.com"
    with pytest.raises(NotFound):
        invitations.invitation_info(db, token_hash=_hash(sent.link))
    assert invitations.invitation_info(db, token_hash=_hash(again.link)).email == "ivy@example.com"
    assert any(again.link in p.read_text() for p in Path(settings.outbox_dir).glob("*.eml"))


def test_an_invitation_whose_email_has_an_account_says_so_before_the_password(db):
    op = seed.owner(db)
    first, second = seed.new_app(db, op, "First"), seed.new_app(db, op, "Second")
    a = invitations.invite(db, actor=op, application_id=first, email="ivy@example.com")
    b = invitations.invite(db, actor=op, application_id=second, email="ivy@example.com")
    invitations.accept_invitation(db, token_hash=_hash(a.link), name="Ivy", password="a long password 1")
    with pytest.raises(NotFound, match="already exists. Sign in instead"):
        invitations.invitation_info(db, token_hash=_hash(b.link))


def test_a_wrong_password_is_in_the_audit_log_without_the_password(db):
    op = seed.owner(db)
    with pytest.raises(AuthenticationError):
        auth.sign_in_password(db, email=seed.OWNER_EMAIL, password="my secret guess 123", ip="203.0.113.9")
    page = audit_log.list_events(db, actor=op, action="auth.sign_in_failed")
    [event] = page.rows
    assert event.actor == seed.OWNER_EMAIL and event.ip == "203.0.113.9"
    assert "my secret guess" not in repr(event)


def test_document_fields_are_named_in_words():
    from identity_app.checks.report import Detail
    from identity_app.state import rows

    shown = rows.details((Detail("printed_date_of_birth", "1990-01-01"), Detail("mrz_line_1", "P<UTO")))
    assert [(r.name, r.value) for r in shown] == [("Printed date of birth", "1990-01-01"), ("MRZ line 1", "P<UTO")]


def test_the_migration_folds_the_search_text_of_existing_sessions(tmp_path):
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config
    from sqlmodel import Session as DbSession

    from identity_app.migrations import PROJECT_ROOT, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url)
    engine = sa.create_engine(url)
    with DbSession(engine) as db:
        op = seed.owner(db)
        seed.created_session(db, op, seed.new_app(db, op), "Zoë Müller", "zoe@example.de", "RÉF-1")
        db.commit()
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    cfg.attributes["url"] = url
    command.downgrade(cfg, "9d3e5b7c1a42")  # as the rows were written before: lower case, accents kept
    text = sa.text("SELECT search_text FROM verification_session")
    with engine.connect() as conn:
        assert conn.execute(text).scalar() == "zoë müller zoe@example.de réf-1"
    upgrade(url)
    with engine.connect() as conn:
        assert conn.execute(text).scalar() == "zoe muller zoe@example.de ref-1"
        assert "ix_vs_app_sort_text" in {i["name"] for i in sa.inspect(conn).get_indexes("verification_session")}
    engine.dispose()
