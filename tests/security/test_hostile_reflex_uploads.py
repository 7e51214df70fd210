"""The hostile corpus (tests/hostile_images.py) against Reflex's own upload endpoint, /_upload,
on a real app: signed out every input is refused before its body is read (401); as the
application's manager, through the logo and bulk-CSV handlers, nothing answers 5xx, the
web process's memory stays where it was, and the logo kept is a clean re-encoded image.

"""
from __future__ import annotations

import io
import time

import pyotp
import pytest
from PIL import Image
from sqlmodel import Session

from tests import capture_media as cm
from tests import hostile_images as hi
from tests.browser.reflex_socket import ReflexSocket
from tests.security.web_process import WEB_PEAK_LIMIT_MB, Sampler, WebProcess, settle

NAMES = ["logo.png", "../../../etc/passwd.png", "..\\..\\boot.ini", "a" * 300 + ".png", "x.svg", "x.html",
         "%2e%2e%2fx.png", "logo.png\x00.exe"]
TYPES = ["image/png", "image/jpeg", "text/html", "image/svg+xml", "application/zip", "application/octet-stream"]


@pytest.fixture(scope="module")
def manager(hostile_app):
    """The owner (who manages everything), signed in, and one application."""
    from identity_app.db import make_engine
    from identity_app.services.applications import registry as applications
    from identity_app.services.access import auth

    engine = make_engine(f"sqlite:///{hostile_app.data_dir / 'identity.db'}")
    with Session(engine, expire_on_commit=False) as db:
        owner = auth.create_owner(db, name="Olive", email="uploads-owner@example.com", password="a long password!")
        app = applications.create_application(db, actor=owner, name="Logos")
        step = auth.sign_in_password(db, email="uploads-owner@example.com", password="a long password!")
        enrol = auth.start_enrolment(db, token_hash=step.token_hash)
        token = auth.confirm_enrolment(db, token_hash=step.token_hash, code=pyotp.TOTP(enrol.secret).now()).token
        db.commit()
    yield engine, app.id, token
    engine.dispose()


def multipart(name: str, content_type: str, data: bytes) -> tuple[bytes, str]:
    boundary = "----hostile"
    safe = name.replace('"', "")
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{safe}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_reflex_uploads_take_the_hostile_corpus(hostile_app, manager):
    import httpx

    from identity_app.models import Application
    from identity_app.state.application_settings import AppSettingsState
    from identity_app.state.new_sessions import NewSessionsState
    from identity_app.state.sessions_list import SessionsListState
    from identity_app.storage import LocalMediaStore

    engine, app_id, token = manager
    items = hi.corpus({"doc": cm.document_frame(), "face": cm.face_loop()[0]})
    assert len(items) >= 300
    sock = ReflexSocket(hostile_app.url, {"idv_session": token})
    for state, path in ((AppSettingsState, f"/applications/{app_id}/settings"),
                        (SessionsListState, f"/applications/{app_id}")):
        sock.send(f"{state.get_full_name()}.load", path=path, params={"app_id": str(app_id)})
    sock.settle()
    web = WebProcess(hostile_app)
    statuses: dict[int, int] = {}
    with httpx.Client(base_url=hostile_app.url, timeout=120) as client:
        # Signed out: refused before the body is read, whatever it is.
        for i, (_, data) in enumerate(items[:60]):
            body, ctype = multipart(NAMES[i % len(NAMES)], TYPES[i % len(TYPES)], data)
            r = client.post("/_upload", content=body, headers={
                "Content-Type": ctype, "Reflex-Client-Token": sock.token,
                "Reflex-Event-Handler": f"{AppSettingsState.get_full_name()}.upload_logo"})
            assert r.status_code == 401
        before = settle(web, 1.0)
        t0 = time.monotonic()
        with Sampler(web, hostile_app.url) as sampler:
            for i, (name, data) in enumerate(items):
                handler = (NewSessionsState if i % 5 == 4 else AppSettingsState).get_full_name()
                handler += ".upload_bulk" if i % 5 == 4 else ".upload_logo"
                body, ctype = multipart(NAMES[i % len(NAMES)], TYPES[i % len(TYPES)], data)
                r = client.post("/_upload", content=body, cookies={"idv_session": token}, headers={
                    "Content-Type": ctype, "Reflex-Client-Token": sock.token, "Reflex-Event-Handler": handler})
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                assert r.status_code < 500, (name, r.status_code, r.text[:300])
        after = settle(web)
    sock.close()
    print(f"\n/_upload corpus: {len(items)} inputs in {time.monotonic() - t0:.0f} s, statuses {statuses}, "
          f"web RSS {before:.0f} / {sampler.peak:.0f} / {after:.0f} MB")
    assert sampler.peak - before < WEB_PEAK_LIMIT_MB
    # Whatever logo was kept last is a clean image the server encoded itself.
    with Session(engine) as db:
        logo_key = db.get(Application, app_id).logo_key
    assert logo_key, "the corpus holds valid images: one of them became the logo"
    if logo_key:
        data = LocalMediaStore(hostile_app.data_dir / "media", hostile_app.env["IDV_SECRET_KEY"]).get(logo_key)
        image = Image.open(io.BytesIO(data))
        image.load()
        assert image.format in ("PNG", "JPEG") and max(image.size) <= 512
        assert not image.info.get("exif") and not image.info.get("icc_profile")
