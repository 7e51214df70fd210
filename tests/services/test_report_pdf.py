"""A session's PDF report: what it holds (on a session captured and checked for real), that it is
built in memory, and its HTTP route (/api/sessions/<id>/report.pdf): signed out 401, another
application's member 404, every download an audit event."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pyotp
import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from identity_app.models import AuditAction, AuditEvent, MediaItem, MediaKind
from identity_app.services.errors import NotFound
from identity_app.services.sessions import decisions, report_pdf
from identity_app.services.console_words import readable
from tests import seed
from tests.pdf_text import image_count, pdf_text

pytestmark = pytest.mark.slow  # a session captured and checked for real


@pytest.fixture(scope="module", params=["sqlite"])
def world(request, tmp_path_factory):
    w = seed.captured_world(request, tmp_path_factory, face_match="NEVER", text="NEVER",
                            members={"viewer": ["VIEW_SESSIONS"]})
    with Session(w.engine, expire_on_commit=False) as db:
        decisions.decide(db, actor=w.owner, session_id=w.session_id, value="APPROVE", note="Checked by hand")
        kinds = set(db.exec(select(MediaItem.kind).where(MediaItem.session_id == w.session_id)).all())
        if MediaKind.MRZ_CROP not in kinds:  # the worker's evidence crop, when it does not keep one yet
            seed.store_image(db, w.store, w.session_id, _mrz_png(tmp_path_factory), MediaKind.MRZ_CROP)
        db.commit()
    return w


def _mrz_png(tmp_path_factory) -> Path:
    from PIL import Image, ImageDraw

    path = tmp_path_factory.mktemp("mrz") / "mrz.jpg"
    img = Image.new("RGB", (600, 60), "white")
    ImageDraw.Draw(img).text((5, 20), "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", fill="black")
    img.save(path, "JPEG")
    return path


class _Writes:
    """Every file opened for writing while active (Python's audit hooks see each open)."""

    def __init__(self) -> None:
        self.active, self.paths = False, []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple) -> None:
        if not self.active or event != "open" or not args:
            return
        path, mode, flags = (list(args) + [None, None, 0])[:3]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                  (isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        if writing:
            self.paths.append(str(path))


WRITES = _Writes()


def _report(world, actor):
    with Session(world.engine, expire_on_commit=False) as db:
        report = report_pdf.session_report(db, world.store, actor=actor, session_id=world.session_id,
                                           sub_check_label=readable, ip="10.0.0.9")
        db.commit()
    return report


def _files(folder: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in folder.rglob("*") if p.is_file()}


def test_the_report_holds_the_decision_checks_fields_images_and_trail(world):
    report = _report(world, world.viewer)
    assert report.pdf.startswith(b"%PDF-") and report.filename == f"session-{world.session_id}-report.pdf"
    text = " ".join(pdf_text(report.pdf).split())
    assert "Ada Lovelace" in text and "ada@example.org" in text and "REF-1" in text
    assert "APPROVED by Olive Owner <owner@example.com>" in text and "Checked by hand" in text
    for label in ("Document authenticity", "Liveness", "Face match", "Document text data"):
        assert f"{label}, attempt 1:" in text, label
    assert "REJECT (SPECIMEN)" in text  # the UTO specimen, as the authenticity check says
    assert "Not a specimen document" in text and "MRZ integrity" in text  # the console's words, not the codes
    assert "specimen FAIL" not in text.lower()
    assert "ERIKSSON" in text and "L898902C3" in text  # the extracted fields of PassportEye's UTO specimen
    assert "Capture: consent given" in text and "Session: report downloaded" in text
    assert image_count(report.pdf) >= 4  # portrait, selfie, MRZ crop, document


def test_it_is_built_in_memory_and_leaves_nothing_on_disk(world, tmp_path_factory):
    import tempfile

    from identity_app.settings import get_settings

    folders = [Path(get_settings().data_dir), Path(tempfile.gettempdir())]
    before = [_files(f) for f in folders if f.is_dir()]
    WRITES.active, WRITES.paths = True, []
    try:
        report = _report(world, world.owner)
    finally:
        WRITES.active = False
    assert report.pdf
    # The database's own files are the only ones written (its audit event; SQLite's journal).
    db_file = str(world.engine.url.database)
    assert [p for p in WRITES.paths if not p.startswith(db_file)] == []
    after = [_files(f) for f in folders if f.is_dir()]
    new = [p for b, a in zip(before, after) for p in a if p not in b and p.endswith(".pdf")]
    assert new == []


def test_every_download_is_audited_and_another_application_sees_nothing(world):
    with pytest.raises(NotFound):
        _report(world, world.outsider)
    _report(world, world.viewer)
    with Session(world.engine) as db:
        events = db.exec(select(AuditEvent).where(AuditEvent.action == AuditAction.REPORT_DOWNLOADED.value,
                                                  AuditEvent.session_id == world.session_id)).all()
    assert {e.actor for e in events} >= {"viewer@example.com"} and "outsider@example.com" not in {e.actor for e in events}
    assert all(e.target == f"session:{world.session_id}" and e.ip == "10.0.0.9" for e in events)


# --- the HTTP route, on the app's own database -----------------------------------------------------


@pytest.fixture(scope="module")
def http():
    """An owner and an operator of another application, both signed in; a session with a selfie."""
    from identity_app.db import get_engine, session_scope
    from identity_app.migrations import upgrade
    from identity_app.services.access import auth
    from identity_app.services.capture.media import store_session_media
    from identity_app.services.sessions import links
    from identity_app.settings import get_settings
    from identity_app.storage import get_media_store
    from identity_app.web.api import api_app
    from tests.conftest import _truncate, shared_data

    upgrade(get_settings().database_url)
    _truncate(get_engine())
    selfie = shared_data("liveness-pose-eyes-insightface") / "reaction" / "close_open_eyes.jpeg"

    def signed_in(db, email: str) -> str:
        step = auth.sign_in_password(db, email=email, password=seed.PASSWORD)
        enrol = auth.start_enrolment(db, token_hash=step.token_hash)
        return auth.confirm_enrolment(db, token_hash=step.token_hash, code=pyotp.TOTP(enrol.secret).now()).token

    with session_scope() as db:
        owner = seed.owner(db)
        app_id = seed.new_app(db, owner)
        other = seed.new_app(db, owner, "Other")
        seed.member(db, owner, other, "outsider@example.com", seed.all_permissions())
        created = links.create_session(db, actor=owner, application_id=app_id, user_name="Grace Hopper",
                                       user_email="grace@example.com")
        store_session_media(db, get_media_store(), session_id=created.id, kind=MediaKind.SELFIE,
                            data=selfie.read_bytes(), content_type="image/jpeg")
        db.flush()
        tokens = signed_in(db, seed.OWNER_EMAIL), signed_in(db, "outsider@example.com")
    return TestClient(api_app()), created.id, tokens


def test_the_route_answers_like_media(http):
    from identity_app import routes
    from identity_app.db import session_scope
    from identity_app.web.cookies import SESSION

    client, session_id, (owner_cookie, outsider_cookie) = http
    url = routes.session_report_path(session_id)
    assert url == f"/api/sessions/{session_id}/report.pdf"
    client.cookies.clear()
    assert client.get(url).status_code == 401  # signed out
    client.cookies.set(SESSION.name, outsider_cookie)
    assert client.get(url).status_code == 404  # another application's session, as a missing one
    assert client.get(routes.session_report_path(999999)).status_code == 404
    assert client.get("/api/sessions/99999999999999999999/report.pdf").status_code == 404
    client.cookies.set(SESSION.name, owner_cookie)
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["content-disposition"] == f'attachment; filename="session-{session_id}-report.pdf"'
    text = " ".join(pdf_text(r.content).split())
    assert "Grace Hopper" in text and "No decision has been made." in text and "Selfie" in text
    assert image_count(r.content) == 1
    client.cookies.clear()
    with session_scope() as db:
        events = db.exec(select(AuditEvent).where(AuditEvent.action == AuditAction.REPORT_DOWNLOADED.value)).all()
    assert [(e.actor, e.session_id) for e in events] == [(seed.OWNER_EMAIL, session_id)]
