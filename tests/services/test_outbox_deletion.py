"""Deleting a session also deletes the outbox copies of the emails sent about it
(the embedded default's outbox holds the person's name, email and link)."""
from __future__ import annotations

from pathlib import Path

from identity_app.services.applications import registry as applications
from identity_app.services.access import auth
from identity_app.services.sessions import deletion, links as sessions
from identity_app.services.mailer import session_tag
from identity_app.storage import LocalMediaStore


def outbox_files(settings, session_id: int) -> list[Path]:
    tag = session_tag(session_id)
    return [p for p in Path(settings.outbox_dir).glob(f"{tag}-*.eml") if len(p.name) == len(tag) + 37]


def test_deleting_a_session_deletes_its_outbox_emails(db, settings, tmp_path):
    owner = auth.create_owner(db, name="Olive", email="owner@example.com", password="correct horse battery")
    app_id = applications.create_application(db, actor=owner, name="Mail").id
    gone = sessions.create_session(db, actor=owner, application_id=app_id, user_name="Ada Lovelace",
                                   user_email="ada@example.com")
    kept = sessions.create_session(db, actor=owner, application_id=app_id, user_name="Bob Stay",
                                   user_email="bob@example.com")
    for s in (gone, kept):
        for f in outbox_files(settings, s.id):  # left by an earlier test with the same id
            f.unlink()
        assert sessions.send_link_email(db, actor=owner, session_id=s.id) == "outbox"
    [email] = outbox_files(settings, gone.id)
    assert "Ada Lovelace" in email.read_text() and gone.link in email.read_text()

    deletion.delete_session(db, LocalMediaStore(tmp_path / "media", "k" * 40), actor=owner,
                            session_id=gone.id, confirmation="DELETE")
    assert outbox_files(settings, gone.id) == []
    assert len(outbox_files(settings, kept.id)) == 1
