"""What the benchmark needs in the app before the load, made through the services (as the CLI
does): an application, operators who can sign in (password and TOTP, enrolled here with pyotp),
one session holding a document photo for operators to open, and the links people capture with.

Runs in the benchmark's process against the app's database and media (its IDV_* environment).
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import pyotp

PASSWORD_BYTES = 18


@dataclass(frozen=True)
class Operator:
    email: str
    password: str
    totp_secret: str


@dataclass(frozen=True)
class World:
    application_id: int
    operators: tuple[Operator, ...]
    seeded_session_id: int
    seeded_media_id: int


def _enrolled(w, email: str, password: str) -> Operator:
    """Sign in once and enrol TOTP with the previous time step's code, so that the benchmark's own
    sign-in, even within this 30 s step, uses a code the app has not seen (codes are single-use)."""
    from identity_app.services.access import auth
    from identity_app.services.access.totp import STEP_SECONDS

    step = auth.sign_in_password(w.db, email=email, password=password)
    enrol = auth.start_enrolment(w.db, token_hash=step.token_hash)
    code = pyotp.TOTP(enrol.secret).at(time.time() - STEP_SECONDS)
    auth.confirm_enrolment(w.db, token_hash=step.token_hash, code=code)
    return Operator(email, password, enrol.secret)


def build(operators: int, document: bytes) -> World:
    """An application named for this run, `operators` console users (the owner first when this
    run creates it; else invited managers), and a session with a document photo."""
    from identity_app.crypto import hash_token
    from identity_app.models import MediaKind
    from identity_app.services import doorway
    from identity_app.services.access import auth, invitations
    from identity_app.services.applications import registry as applications
    from identity_app.services.capture import media
    from identity_app.services.sessions import links

    run_id = secrets.token_hex(3)

    def setup(w) -> World:
        made: list[Operator] = []
        if not auth.owner_exists(w.db):
            password = secrets.token_urlsafe(PASSWORD_BYTES)
            auth.create_owner(w.db, name="Load Owner", email=f"owner-{run_id}@example.com", password=password)
            made.append(_enrolled(w, f"owner-{run_id}@example.com", password))
        owner = next(o for o in auth.list_operators(w.db) if o.is_owner)
        app = applications.create_application(w.db, actor=owner, name=f"Load benchmark {run_id}")
        while len(made) < operators:
            email, password = f"operator-{run_id}-{len(made)}@example.com", secrets.token_urlsafe(PASSWORD_BYTES)
            sent = invitations.invite(w.db, actor=owner, application_id=app.id, email=email,
                                      permissions=["VIEW_SESSIONS", "CREATE_SESSIONS", "DECIDE"])
            invitations.accept_invitation(w.db, token_hash=hash_token(sent.link.rsplit("/", 1)[-1]),
                                          name=f"Operator {len(made)}", password=password)
            made.append(_enrolled(w, email, password))
        seeded = links.create_session(w.db, actor=owner, application_id=app.id, user_name="Seeded Person",
                                      user_email="seeded@example.com", reference="LOAD-SEED")
        item = media.store_session_media(w.db, w.store, session_id=seeded.id, kind=MediaKind.DOCUMENT_FRONT,
                                         data=document, content_type="image/jpeg")
        return World(app.id, tuple(made), seeded.id, int(item.id))

    return doorway.run(setup)


def new_links(application_id: int, count: int, start: int = 0) -> list[str]:
    """`count` fresh session links' tokens, created as the owner would from the console."""
    from identity_app.services import doorway
    from identity_app.services.access import auth
    from identity_app.services.sessions import links

    def create(w) -> list[str]:
        owner = next(o for o in auth.list_operators(w.db) if o.is_owner)
        return [links.create_session(w.db, actor=owner, application_id=application_id,
                                     user_name=f"Person {start + i}", user_email=f"person{start + i}@example.com",
                                     reference=f"LOAD-{start + i}").token for i in range(count)]

    return doorway.run(create)
