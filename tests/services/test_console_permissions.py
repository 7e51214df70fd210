"""Every console action, tried as every permission set and as an operator of
another application: each forbidden call is refused by the server (Forbidden,
or NotFound that reveals nothing for other applications), each permitted call
gets past the permission check. Sessions are captured and checked for real."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Callable

import pytest
from sqlmodel import Session, select

from identity_app.models import ALL_PERMISSIONS, Check, MediaItem, MediaKind, ReviewState
from identity_app.services import audit_log
from identity_app.services.applications import registry as applications, settings as app_settings
from identity_app.services.sessions import decisions, deletion, detail as session_detail, links as sessions, search
from identity_app.services.access import invitations
from identity_app.services.capture import media
from identity_app.services.review import manual as review, queue as review_queue
from identity_app.services.applications.checks_config import ChecksConfig
from identity_app.services.errors import DomainError, Forbidden, NotFound
from tests import seed

pytestmark = pytest.mark.slow  # not in the fast tier: sessions captured and checked for real

HIDING = {"That application does not exist.", "That session does not exist.", "That media item does not exist.",
          "That review item does not exist."}
PERMISSION_SETS = {
    "view": ["VIEW_SESSIONS"],
    "create": ["VIEW_SESSIONS", "CREATE_SESSIONS"],
    "decide": ["VIEW_SESSIONS", "DECIDE"],
    "delete_media": ["VIEW_SESSIONS", "DELETE_MEDIA"],
    "delete_sessions": ["VIEW_SESSIONS", "DELETE_SESSIONS"],
    "manage": ["VIEW_SESSIONS", "MANAGE_APPLICATION"],
    "all": list(ALL_PERMISSIONS),
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    w = seed.captured_world(request, tmp_path_factory, app_name="Alpha", other_name="Beta", face_match="FALLBACK",
                            text="ALWAYS", members={**PERMISSION_SETS, "bystander": ["VIEW_SESSIONS"]})
    engine, store, owner, app_id, outsider = w.engine, w.store, w.owner, w.app_id, w.outsider
    actors = {name: getattr(w, name) for name in PERMISSION_SETS}
    bystander = w.bystander
    pending = w  # its captured session's text check waits for review
    with Session(engine, expire_on_commit=False) as db:
        app = applications.get_application(db, actor=owner, application_id=app_id)
        cfg = ChecksConfig.from_dict(None)
        from dataclasses import replace

        cfg = replace(cfg, face_match=replace(cfg.face_match, manual_check="NEVER"),
                      text_extraction=replace(cfg.text_extraction, manual_check="NEVER"),
                      liveness=replace(cfg.liveness, max_retries=1))
        app_settings.update_checks(db, actor=owner, application_id=app_id, checks=cfg)
        db.commit()
        done = seed.captured_session(db, store, owner, app_id, name="Carl Done", email="carl@example.org")
        review_check = db.exec(select(Check).where(Check.session_id == pending.session_id,
                                                   Check.review_state == ReviewState.PENDING)).first()
        frames = [m.id for m in db.exec(select(MediaItem).where(MediaItem.session_id == pending.session_id,
                                                                MediaItem.kind == MediaKind.LIVENESS_FRAME))]
        doc = db.exec(select(MediaItem).where(MediaItem.session_id == done.session_id,
                                              MediaItem.kind == MediaKind.DOCUMENT_FRONT)).one()
    assert app.name == "Alpha" and review_check is not None
    return SimpleNamespace(engine=engine, store=store, owner=owner, actors=actors, outsider=outsider,
                           bystander=bystander, app_id=app_id, pending=pending.session_id, done=done.session_id,
                           check_id=review_check.id, frames=frames, doc_id=doc.id, counter=[0])


def actions(w) -> list[tuple[str, str, Callable]]:
    """(name, permission needed, call(db, actor)). Calls of permitted actors are
    made harmless where the action would destroy what later calls need: they
    fail validation AFTER the permission check (e.g. a wrong confirmation)."""
    def unique(prefix: str) -> str:
        w.counter[0] += 1
        return f"{prefix}{w.counter[0]}"

    out: list[tuple[str, str, Callable]] = [
        ("get_application", "VIEW_SESSIONS", lambda db, a: applications.get_application(
            db, actor=a, application_id=w.app_id)),
        ("list_members", "VIEW_SESSIONS", lambda db, a: applications.list_members(
            db, actor=a, application_id=w.app_id)),
        ("set_permissions", "MANAGE_APPLICATION", lambda db, a: applications.set_permissions(
            db, actor=a, application_id=w.app_id, operator_id=w.bystander.id, permissions=["VIEW_SESSIONS"])),
        ("remove_member", "MANAGE_APPLICATION", lambda db, a: applications.remove_member(
            db, actor=a, application_id=w.app_id, operator_id=w.outsider.id)),  # not a member: NotFound after
        ("invite", "MANAGE_APPLICATION", lambda db, a: invitations.invite(
            db, actor=a, application_id=w.app_id, email=unique("new") + "@example.com")),
        ("create_session", "CREATE_SESSIONS", lambda db, a: sessions.create_session(
            db, actor=a, application_id=w.app_id, user_name="New Person", user_email=unique("p") + "@example.org")),
        ("session_detail", "VIEW_SESSIONS", lambda db, a: session_detail.get_session_detail(
            db, actor=a, session_id=w.done)),
        ("read_media", "VIEW_SESSIONS", lambda db, a: media.read_media(db, w.store, actor=a, media_id=w.doc_id)),
        ("decide", "DECIDE", lambda db, a: decisions.decide(
            db, actor=a, session_id=w.done, value="APPROVE", note="checked")),
        ("review_queue", "VIEW_SESSIONS", lambda db, a: review_queue.list_queue(db, actor=a, application_id=w.app_id)),
        ("review_item", "VIEW_SESSIONS", lambda db, a: review.get_review_item(db, actor=a, check_id=w.check_id)),
        ("record_review", "DECIDE", lambda db, a: review.record_review(
            db, actor=a, check_id=w.check_id, result="UNDECIDED", reason="r")),  # ValidationError after the check
        ("audit_log", "VIEW_SESSIONS", lambda db, a: audit_log.list_events(db, actor=a, application_id=w.app_id)),
        ("delete_session", "DELETE_SESSIONS", lambda db, a: deletion.delete_session(
            db, w.store, actor=a, session_id=w.done, confirmation="not yet")),  # ValidationError after the check
        ("delete_media_item", "DELETE_MEDIA", lambda db, a: deletion.delete_media_item(
            db, w.store, actor=a, media_id=w.frames.pop())),
        ("delete_session_media", "DELETE_MEDIA", lambda db, a: deletion.delete_session_media(
            db, w.store, actor=a, session_id=w.pending)),
    ]
    out += [
        ("search_sessions", "VIEW_SESSIONS", lambda db, a: search.search_sessions(
            db, actor=a, application_id=w.app_id, query=search.SearchQuery(text="ada"))),
        ("export_csv", "VIEW_SESSIONS", lambda db, a: search.export_csv(
            db, actor=a, application_id=w.app_id, query=search.SearchQuery())),
        ("get_link", "VIEW_SESSIONS", lambda db, a: sessions.get_link(db, actor=a, session_id=w.pending)),
        ("send_link_email", "CREATE_SESSIONS", lambda db, a: sessions.send_link_email(
            db, actor=a, session_id=w.pending)),  # closed session: ValidationError after the check
        ("app_settings", "VIEW_SESSIONS", lambda db, a: app_settings.get_settings(
            db, actor=a, application_id=w.app_id)),
        ("update_details", "MANAGE_APPLICATION", lambda db, a: app_settings.update_details(
            db, actor=a, application_id=w.app_id, name="Alpha")),
        ("update_checks", "MANAGE_APPLICATION", lambda db, a: app_settings.update_checks(
            db, actor=a, application_id=w.app_id, checks=ChecksConfig.from_dict(None))),
        ("set_active", "MANAGE_APPLICATION", lambda db, a: app_settings.set_active(
            db, actor=a, application_id=w.app_id, active=True)),
    ]
    return out


def attempt(w, call, actor) -> Exception | None:
    with Session(w.engine, expire_on_commit=False) as db:
        try:
            call(db, actor)
            db.commit()
        except DomainError as exc:
            db.rollback()
            return exc
    return None


def refused(exc: Exception | None) -> bool:
    return isinstance(exc, Forbidden) or (isinstance(exc, NotFound) and str(exc) in HIDING)


def test_every_console_action_as_every_permission_set_and_another_application(world):
    table = []
    for name, needed, call in actions(world):
        for set_name, perms in PERMISSION_SETS.items():
            exc = attempt(world, call, world.actors[set_name])
            allowed = needed in perms
            table.append((name, set_name, allowed, type(exc).__name__ if exc else "ok"))
            if allowed:
                assert not refused(exc), (name, set_name, exc)
            else:
                assert isinstance(exc, Forbidden), (name, set_name, exc)
        # The owner may do everything; an operator of another application (with
        # every permission there) is told the thing does not exist.
        assert not refused(attempt(world, call, world.owner)), name
        exc = attempt(world, call, world.outsider)
        assert refused(exc) and isinstance(exc, NotFound), (name, exc)
        table.append((name, "other application", False, type(exc).__name__))
    refusals = [row for row in table if not row[2]]
    print(f"\n{len(table)} attempts, {len(refusals)} refused as expected")
    assert len({row[0] for row in table}) >= 17


def test_signed_out_calls_are_refused(world):
    for name, _, call in actions(world):
        if name in ("get_application", "list_members", "set_permissions", "remove_member", "invite",
                    "create_session", "search_sessions", "export_csv", "get_link", "send_link_email",
                    "app_settings", "update_details", "update_checks", "set_active"):
            continue  # other services: their callers always pass an operator
        assert isinstance(attempt(world, call, None), Forbidden), name
