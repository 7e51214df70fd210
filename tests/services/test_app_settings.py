"""Application settings: details, checks, preferences, logo, activation; audited, permission-checked."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from sqlmodel import select

from identity_app.models import Application, AuditEvent, VerificationSession
from identity_app.services.applications import settings as app_settings
from identity_app.services.sessions import links as sessions
from identity_app.services.applications.checks_config import ChecksConfig
from identity_app.services.applications.settings import Preferences
from identity_app.services.errors import Conflict, Forbidden, NotFound, ValidationError
from identity_app.storage import LocalMediaStore
from tests import seed


@pytest.fixture
def store(tmp_path):
    return LocalMediaStore(tmp_path / "media", "test-secret-" + "y" * 40)


def png_bytes(w: int = 900, h: int = 300, exif: bool = False) -> bytes:
    rng = np.random.default_rng(1)
    img = Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
    buf = io.BytesIO()
    if exif:
        ex = Image.Exif()
        ex[0x010E] = "secret description"
        img.save(buf, format="JPEG", exif=ex)
    else:
        img.save(buf, format="PNG")
    return buf.getvalue()


def test_defaults_are_the_documented_ones(db):
    op = seed.owner(db)
    s = app_settings.get_settings(db, actor=op, application_id=seed.new_app(db, op))
    assert s.preferences.session_lifetime_days == 7 and s.preferences.media_retention_days == 90
    assert s.checks.liveness.liveness_type == "ACTIVE" and s.checks.liveness.max_retries == 3
    assert s.is_active and not s.has_logo


def test_checks_and_preferences_are_saved_and_audited_without_values(db):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    cfg = ChecksConfig.from_dict({
        "document_authenticity": {"accepted_types": ["PASSPORT"], "country_mode": "DENY", "countries": ["prk", "IRN"],
                                  "accept_expired": True, "document_count": 2, "capture_method": "CAMERA"},
        "liveness": {"max_retries": 1},
        "face_match": {"manual_check": "ALWAYS"},
        "text_extraction": {"manual_check": "NEVER"},
    })
    app_settings.update_checks(db, actor=op, application_id=app_id, checks=cfg)
    prefs = Preferences(primary_colour="#AA0000", secondary_colour="#001122", locale="fr",
                        success_url="https://bank.example/ok", error_url="http://bank.example/ko",
                        privacy_policy_url="https://bank.example/privacy", session_lifetime_days=3,
                        media_retention_days=30, reminder_count=2, reminder_interval_days=1)
    s = app_settings.update_preferences(db, actor=op, application_id=app_id, preferences=prefs)
    db.commit()
    again = app_settings.get_settings(db, actor=op, application_id=app_id)
    assert again == s
    d = again.checks.document_authenticity
    assert d.accepted_types == ("PASSPORT",) and d.countries == ("IRN", "PRK") and d.country_mode == "DENY"
    assert again.checks.face_match.manual_check == "ALWAYS" and again.checks.liveness.max_retries == 1
    assert again.preferences.primary_colour == "#aa0000" and again.preferences.locale == "fr"
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "application.updated")).all()
    assert {e.details["section"] for e in events} == {"checks", "preferences"}
    text = " ".join(str(e.details) for e in events)
    assert "bank.example" not in text and "IRN" not in text  # field names, never values
    assert "success_url" in text


@pytest.mark.parametrize("raw, message", [
    ({"liveness": {"max_retries": 0}}, "between 1 and 10"),
    ({"document_authenticity": {"accepted_types": []}}, "at least one accepted document type"),
    ({"document_authenticity": {"country_mode": "ALLOW", "countries": []}}, "allow list needs"),
    ({"document_authenticity": {"countries": ["FRANCE"]}}, "alpha-3"),
    ({"face_match": {"manual_check": "SOMETIMES"}}, "ALWAYS, FALLBACK or NEVER"),
    ({"document_authenticity": {"capture_method": "FAX"}}, "Capture method"),
])
def test_wrong_checks_are_refused(db, raw, message):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    with pytest.raises(ValidationError, match=message):
        app_settings.update_checks(db, actor=op, application_id=app_id, checks=raw)


@pytest.mark.parametrize("field, value, message", [
    ("success_url", "javascript:alert(1)", "http:// or https://"),
    ("error_url", "ftp://example.com", "http:// or https://"),
    ("privacy_policy_url", "https://", "http:// or https://"),
    ("primary_colour", "red", "colour"),
    ("locale", "xx", "language"),
    ("session_lifetime_days", 0, "between 1 and 90"),
    ("reminder_count", 7, "between 0 and 6"),
    ("media_retention_days", "ninety", "whole number"),
])
def test_wrong_preferences_are_refused(db, field, value, message):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    prefs = Preferences(**{field: value})
    with pytest.raises(ValidationError, match=message):
        app_settings.update_preferences(db, actor=op, application_id=app_id, preferences=prefs)


def test_a_session_keeps_the_configuration_it_was_created_with(db):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    first = sessions.create_session(db, actor=op, application_id=app_id, user_name="Ada", user_email="ada@example.com")
    app_settings.update_checks(db, actor=op, application_id=app_id,
                               checks={"face_match": {"manual_check": "ALWAYS"}, "liveness": {"max_retries": 5}})
    app_settings.update_preferences(db, actor=op, application_id=app_id,
                                    preferences=Preferences(locale="fr", session_lifetime_days=2))
    second = sessions.create_session(db, actor=op, application_id=app_id, user_name="Bob", user_email="b@example.com")
    db.commit()
    old = db.get(VerificationSession, first.id).config_snapshot
    new = db.get(VerificationSession, second.id).config_snapshot
    assert old["checks"]["face_match"]["manual_check"] == "FALLBACK" and old["checks"]["liveness"]["max_retries"] == 3
    assert old["preferences"]["locale"] == "en"
    assert new["checks"]["face_match"]["manual_check"] == "ALWAYS" and new["checks"]["liveness"]["max_retries"] == 5
    assert new["preferences"]["locale"] == "fr"
    assert (second.expires_at - db.get(VerificationSession, second.id).created_at).days == 2


def test_details_and_activation(db):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    app_settings.update_details(db, actor=op, application_id=app_id, name="  KYC  ", description="Retail onboarding")
    app_settings.set_active(db, actor=op, application_id=app_id, active=False)
    with pytest.raises(Conflict, match="deactivated"):
        sessions.create_session(db, actor=op, application_id=app_id, user_name="Ada", user_email="ada@example.com")
    s = app_settings.set_active(db, actor=op, application_id=app_id, active=True)
    assert s.name == "KYC" and s.is_active
    with pytest.raises(ValidationError, match="name"):
        app_settings.update_details(db, actor=op, application_id=app_id, name=" ")
    actions = [e.action for e in db.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]
    assert actions[-3:] == ["application.updated", "application.deactivated", "application.activated"]


def test_only_managers_change_settings_and_others_see_nothing(db, store):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    other_app = seed.new_app(db, op, "Other")
    viewer = seed.account(db, app_id, ["VIEW_SESSIONS", "CREATE_SESSIONS", "DECIDE"])
    stranger = seed.account(db, other_app, ["VIEW_SESSIONS", "MANAGE_APPLICATION"], email="sam@example.com")
    assert app_settings.get_settings(db, actor=viewer, application_id=app_id).id == app_id
    calls = [
        lambda a: app_settings.update_details(db, actor=a, application_id=app_id, name="X"),
        lambda a: app_settings.update_checks(db, actor=a, application_id=app_id, checks={}),
        lambda a: app_settings.update_preferences(db, actor=a, application_id=app_id, preferences=Preferences()),
        lambda a: app_settings.set_active(db, actor=a, application_id=app_id, active=False),
        lambda a: app_settings.upload_logo(db, store, actor=a, application_id=app_id, data=png_bytes()),
    ]
    for call in calls:
        with pytest.raises(Forbidden):
            call(viewer)
        with pytest.raises(NotFound):
            call(stranger)
    with pytest.raises(NotFound):
        app_settings.get_settings(db, actor=stranger, application_id=app_id)
    assert db.get(Application, app_id).is_active


def test_the_logo_is_checked_by_content_reencoded_small_and_stored_privately(db, store, tmp_path):
    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    with pytest.raises(ValidationError, match="PNG, JPEG or WebP"):
        app_settings.upload_logo(db, store, actor=op, application_id=app_id, data=b"<svg onload=alert(1)>")
    with pytest.raises(ValidationError, match="PNG, JPEG or WebP"):
        app_settings.upload_logo(db, store, actor=op, application_id=app_id, data=b"GIF89a" + b"\0" * 100)
    s = app_settings.upload_logo(db, store, actor=op, application_id=app_id, data=png_bytes())
    assert s.has_logo
    key = db.get(Application, app_id).logo_key
    assert key.startswith(f"applications/{app_id}/")
    logo = app_settings.read_logo(db, store, application_id=app_id)
    assert logo.content_type == "image/png"
    assert Image.open(io.BytesIO(logo.data)).size == (512, 171)
    # Stored encrypted: the file on disk is not a PNG.
    assert not (tmp_path / "media" / key).read_bytes().startswith(b"\x89PNG")
    # A JPEG stays JPEG, without its EXIF; the old logo is deleted.
    app_settings.upload_logo(db, store, actor=op, application_id=app_id, data=png_bytes(300, 200, exif=True))
    assert not store.exists(key)
    logo = app_settings.read_logo(db, store, application_id=app_id)
    assert logo.content_type == "image/jpeg" and b"secret description" not in logo.data
    app_settings.remove_logo(db, store, actor=op, application_id=app_id)
    with pytest.raises(NotFound):
        app_settings.read_logo(db, store, application_id=app_id)


def test_the_logo_follows_the_upload_header_limits_and_is_decoded_in_the_pool(db, store):
    from tests import hostile_images as hi

    op = seed.owner(db)
    app_id = seed.new_app(db, op)
    for bomb in (hi.finding_png(), hi.webp_vp8x(16_000, 16_000), hi.png(12_000, 2_000), hi.png(6_000, 6_000)):
        with pytest.raises(ValidationError, match="too large in pixels"):
            app_settings.upload_logo(db, store, actor=op, application_id=app_id, data=bomb)
    assert not db.get(Application, app_id).logo_key
    # A long wordmark (12:1) is a fine logo; it comes back at most 512 px wide.
    s = app_settings.upload_logo(db, store, actor=op, application_id=app_id, data=png_bytes(1_200, 100))
    assert s.has_logo
    assert Image.open(io.BytesIO(app_settings.read_logo(db, store, application_id=app_id).data)).size == (512, 43)
