"""Seeding real data through the services, for console tests.

A "captured session" goes the end user's way: the link is opened, consent
given, a real passport photographed (PassportEye's UTO specimen from
../shared/data, on a desk, as a 640x480 camera frame), a liveness attempt
streamed (real face stills from ../shared/data), capture finished; then the
real check job (services.verification.run_session_checks) runs the real
check modules and writes the Check/Task/Resource rows. Nothing is faked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from identity_app.crypto import hash_token
from identity_app.models import ALL_PERMISSIONS, Application
from identity_app.services.applications import registry as applications
from identity_app.services.access import auth, invitations
from identity_app.services.sessions import links as sessions
from identity_app.services.applications.checks_config import ChecksConfig, ManualCheckSettings
from identity_app.services.access.auth import OperatorView
from identity_app.storage import MediaStore

OWNER_EMAIL = "owner@example.com"
PASSWORD = "a long test password"
TODAY = date(2026, 11, 25)  # the UTO specimen expires in 2029: "in date" for years to come


@dataclass(frozen=True)
class Captured:
    session_id: int
    token: str


def owner(db: Session) -> OperatorView:
    op = auth.create_owner(db, name="Olive Owner", email=OWNER_EMAIL, password=PASSWORD)
    db.flush()
    return op


def new_app(db: Session, actor: OperatorView, name: str = "Onboarding") -> int:
    """An application with the default configuration, made by `actor`."""
    return applications.create_application(db, actor=actor, name=name).id


def account(db: Session, application_id: int, permissions: list[str], email: str = "ivy@example.com") -> OperatorView:
    """An operator with these permissions on one application, written straight into the
    database (no invitation, no password hashing: for the fast service tests)."""
    from identity_app.models import Membership, Operator

    op = Operator(email=email, name=email.split("@")[0].title(), password_hash="not-a-real-hash")
    db.add(op)
    db.flush()
    db.add(Membership(application_id=application_id, operator_id=op.id, permissions=permissions))
    db.flush()
    return OperatorView.of(op)


def application(db: Session, actor: OperatorView, name: str = "Onboarding", *, face_match: str = "FALLBACK",
                text: str = "FALLBACK", liveness_retries: int = 1) -> int:
    """An application whose manual checks are set as asked (through the settings service)."""
    app = applications.create_application(db, actor=actor, name=name)
    base = ChecksConfig.from_dict(None)
    cfg = ChecksConfig(
        document_authenticity=base.document_authenticity,
        liveness=type(base.liveness)(enabled=True, liveness_type="ACTIVE", max_retries=liveness_retries),
        face_match=ManualCheckSettings(enabled=True, manual_check=face_match),
        text_extraction=ManualCheckSettings(enabled=True, manual_check=text),
    )
    try:
        from identity_app.services.applications import settings as app_settings

        app_settings.update_checks(db, actor=actor, application_id=app.id, checks=cfg)
    except ImportError:  # before the settings service exists
        row = db.get(Application, app.id)
        assert row is not None
        row.checks_config = cfg.to_dict()
        db.add(row)
    db.flush()
    return app.id


def member(db: Session, inviter: OperatorView, application_id: int, email: str,
           permissions: list[str] | tuple[str, ...]) -> OperatorView:
    """A user invited to the application with these permissions, account created from the link."""
    sent = invitations.invite(db, actor=inviter, application_id=application_id, email=email,
                              permissions=list(permissions))
    if sent.existing_user:
        return next(o for o in auth.list_operators(db) if o.email == email)
    token = sent.link.rsplit("/", 1)[-1]
    op = invitations.accept_invitation(db, token_hash=hash_token(token), name=email.split("@")[0].title(),
                                       password=PASSWORD)
    db.flush()
    return op


def all_permissions() -> tuple[str, ...]:
    return ALL_PERMISSIONS


def created_session(db: Session, actor: OperatorView, application_id: int, name: str = "Ada Lovelace",
                    email: str = "ada@example.org", reference: str = "REF-1") -> sessions.CreatedSession:
    return sessions.create_session(db, actor=actor, application_id=application_id, user_name=name,
                                   user_email=email, reference=reference)


def captured_session(db: Session, store: MediaStore, actor: OperatorView, application_id: int, *,
                     name: str = "Ada Lovelace", email: str = "ada@example.org", reference: str = "REF-1",
                     printed_photo_first: bool = False, run_checks: bool = True) -> Captured:
    """A session captured through the capture services and checked by the real check job.

    printed_photo_first: a first liveness attempt with a printed photo tilted in
    front of the camera (the application must allow 2 attempts)."""
    created = created_session(db, actor, application_id, name, email, reference)
    capture(db, store, created.token, printed_photo_first=printed_photo_first, run_checks=run_checks)
    return Captured(created.id, created.token)


def capture(db: Session, store: MediaStore, token: str, *, printed_photo_first: bool = False,
            run_checks: bool = True) -> int:
    """The end user's capture behind an existing link, then (by default) the real check job.
    Returns the session id."""
    from identity_app.services.capture import flow as capture_service
    from identity_app.services.review import verification
    from tests import capture_media as cm

    capture_service.open_link(db, token=token, user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/156")
    capture_service.give_consent(db, token=token)
    capture_service.store_document_image(db, store, token=token, data=cm.jpeg(cm.document_frame(), 95),
                                         side="FRONT", document_type="PASSPORT")
    loops = ([cm.printed_photo_loop()] if printed_photo_first else []) + [cm.face_loop()]
    for frames in loops:
        attempt = capture_service.start_liveness_attempt(db, token=token)
        ms = [round(t * 1000) for t in cm.timestamps(len(frames))]
        capture_service.add_liveness_frames(db, store, token=token, resource_id=attempt.resource_id,
                                            frames=[(m, cm.jpeg(f)) for m, f in zip(ms, frames)])
        capture_service.finish_liveness_attempt(db, token=token, resource_id=attempt.resource_id)
    session_id = capture_service.finish_capture(db, token=token)
    db.commit()
    if run_checks:
        verification.run_session_checks(db, store, session_id=session_id, today=TODAY)
        db.commit()
    return session_id


def store_image(db: Session, store: MediaStore, session_id: int, path, kind) -> int:
    """Real image bytes stored as a media item of the session (no checks run)."""
    from identity_app.services.capture.media import store_session_media

    item = store_session_media(db, store, session_id=session_id, kind=kind, data=path.read_bytes(),
                               content_type="image/jpeg")
    assert item.id is not None
    return item.id


def module_engine(request):
    """A migrated engine of the requested backend, emptied once for the module."""
    from tests.conftest import _truncate

    engine = request.getfixturevalue(f"{request.param}_engine")
    _truncate(engine)
    return engine


def captured_world(request, tmp_path_factory, *, members: dict[str, list[str]], app_name: str = "Onboarding",
                   other_name: str = "Other", face_match: str = "FALLBACK", text: str = "ALWAYS",
                   liveness_retries: int = 1, printed_photo_first: bool = False):
    """The world the console's service tests share, on the requested database (`request.param`):
    the owner, an application with these manual-check settings and these `members`
    ({name: permissions}, each an invited account), another application whose
    `outsider` may do everything there, and one session captured and checked for real.
    Returns a namespace with engine, store, owner, app_id, other_app_id, outsider,
    session_id, token and one attribute per member."""
    from types import SimpleNamespace

    from sqlmodel import Session as DbSession

    from identity_app.storage import LocalMediaStore
    from tests.conftest import shared_data

    shared_data("mrz-passporteye")
    shared_data("liveness-pose-eyes-insightface")
    engine = module_engine(request)
    store = LocalMediaStore(tmp_path_factory.mktemp("media"), "test-secret-" + "y" * 40)
    with DbSession(engine, expire_on_commit=False) as db:
        first = owner(db)
        app_id = application(db, first, app_name, face_match=face_match, text=text, liveness_retries=liveness_retries)
        people = {name: member(db, first, app_id, f"{name}@example.com", perms) for name, perms in members.items()}
        other_app_id = application(db, first, other_name)
        outsider = member(db, first, other_app_id, "outsider@example.com", all_permissions())
        db.commit()
        captured = captured_session(db, store, first, app_id, printed_photo_first=printed_photo_first)
    return SimpleNamespace(engine=engine, store=store, owner=first, app_id=app_id, other_app_id=other_app_id,
                           outsider=outsider, session_id=captured.session_id, token=captured.token, **people)
