"""cli rotate-secret: after it, the old key opens nothing (every media object, every sealed column
value) and the new one opens everything, the app works on the new key (a TOTP code verifies, a media
item reads), an interrupted run is finished by running it again, and no sealed value escapes the list."""
from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pyotp
import pytest
from pydantic import SecretStr
from sqlmodel import Session, select

from identity_app.crypto import DecryptionError, decrypt, derive_key, hash_token
from identity_app.private_files import make_private_dir
from identity_app.models import MediaKind, SignInSession, VerificationSession, WebhookDelivery, utcnow
from identity_app.services.access import auth, totp
from identity_app.services.api import webhooks
from identity_app.services.api.yoti_notifications import SNAPSHOT_KEY
from identity_app.services.capture.media import read_media, store_session_media
from identity_app.services.operations import rotation, secret_file
from identity_app.services.sessions import links
from identity_app.settings import Settings, SettingsError, get_settings
from identity_app.storage import LocalMediaStore, StorageError
from tests import seed

ROOT = Path(__file__).resolve().parents[2]
RECEIVER = "https://hooks.example.com/idv"


def _world(db: Session, tmp_path: Path) -> dict:
    """Everything sealed, made through the services under the running key (the test settings')."""
    old = get_settings().secret_key.get_secret_value()
    owner = seed.owner(db)
    step = auth.sign_in_password(db, email=seed.OWNER_EMAIL, password=seed.PASSWORD)
    enrol = auth.start_enrolment(db, token_hash=step.token_hash)
    auth.confirm_enrolment(db, token_hash=step.token_hash, code=pyotp.TOTP(enrol.secret).now())
    # An enrolment in progress: its pending secret is sealed too.
    pending = SignInSession(token_hash=hash_token("pending"), operator_id=owner.id,
                            expires_at=utcnow(), pending_totp_enc=totp.seal_secret("JBSWY3DPEHPK3PXP"))
    db.add(pending)
    app_id = seed.new_app(db, owner)
    made = webhooks.create_endpoint(db, actor=owner, application_id=app_id, url=RECEIVER, topics=["session.created"])
    rotated = webhooks.rotate_secret(db, actor=owner, application_id=app_id, endpoint_id=made.endpoint.id)
    link = links.create_session(db, actor=owner, application_id=app_id, user_name="Ada", user_email="ada@example.com")
    vs = db.get(VerificationSession, link.id)
    vs.config_snapshot = {**vs.config_snapshot, SNAPSHOT_KEY: {"endpoint": RECEIVER, "topics": [],
                                                                "auth_enc": webhooks.seal("Basic c2VjcmV0")}}
    db.add(vs)
    db.add(WebhookDelivery(application_id=app_id, session_id=vs.id, message_id="msg_1", topic="session.created",
                           url=RECEIVER, auth_enc=webhooks.seal("Bearer notify-token"), payload={}))
    store = LocalMediaStore(tmp_path / "media", old)
    photo = os.urandom(5000)
    item = store_session_media(db, store, session_id=vs.id, kind=MediaKind.DOCUMENT_FRONT, data=photo,
                               content_type="image/jpeg")
    store.put("applications/1/orphan", b"a logo no row names any more")  # found by listing the store
    db.commit()
    return {"old": old, "owner": owner, "totp": enrol.secret, "endpoint": made.endpoint.id,
            "secret": rotated.secret, "media": item.id, "photo": photo}


def _settings(tmp_path: Path, secret: str) -> Settings:
    return Settings(_env_file=None, env="test", data_dir=tmp_path, secret_key=secret)


def _sealed_values(db: Session) -> list[tuple[str, str, str]]:
    """(where, purpose, value) for every sealed column value and snapshot token."""
    found = []
    for sealed in rotation.SEALED_COLUMNS:
        col = getattr(sealed.model, sealed.column)
        for value in db.exec(select(col).where(col.is_not(None))).all():
            found.append((f"{sealed.model.__name__}.{sealed.column}", sealed.purpose, value))
    for snap in db.exec(select(VerificationSession.config_snapshot)).all():
        if (snap or {}).get(SNAPSHOT_KEY, {}).get("auth_enc"):
            found.append(("config_snapshot", "webhooks", snap[SNAPSHOT_KEY]["auth_enc"]))
    return found


def _opens(secret: str, purpose: str, value: str) -> bool:
    try:
        decrypt(derive_key(secret, purpose), base64.b64decode(value), purpose.encode())
        return True
    except DecryptionError:
        return False


def _assert_only_the_new_key_opens(engine, tmp_path: Path, old: str, new: str) -> None:
    with Session(engine) as db:
        values = _sealed_values(db)
    where = {w for w, _, _ in values}
    assert where == {f"{s.model.__name__}.{s.column}" for s in rotation.SEALED_COLUMNS} | {"config_snapshot"}
    for w, purpose, value in values:
        assert not _opens(old, purpose, value), f"{w} still opens with the old key"
        assert _opens(new, purpose, value), f"{w} does not open with the new key"
    files = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert len(files) == 2
    old_store, new_store = LocalMediaStore(tmp_path / "media", old), LocalMediaStore(tmp_path / "media", new)
    for path in files:
        key = path.relative_to(tmp_path / "media").as_posix()
        with pytest.raises(StorageError):
            old_store.get(key)
        new_store.get(key)


def _env_secret(env_file: Path) -> str:
    return re.search(r"^IDV_SECRET_KEY=(.+)$", env_file.read_text(), re.M).group(1)


def _app_works_on(new: str, world: dict, engine, tmp_path: Path, monkeypatch) -> None:
    """The services on the new key: a fresh TOTP code signs in, the media item reads, the webhook
    secret opens."""
    monkeypatch.setattr(get_settings(), "secret_key", SecretStr(new))
    with Session(engine) as db:
        step = auth.sign_in_password(db, email=seed.OWNER_EMAIL, password=seed.PASSWORD)
        code = pyotp.TOTP(world["totp"]).at(time.time() + 30)  # the next step: the enrolment used this one
        assert auth.verify_second_factor(db, token_hash=step.token_hash, code=code).operator.email == seed.OWNER_EMAIL
        content = read_media(db, LocalMediaStore(tmp_path / "media", new), actor=world["owner"],
                             media_id=world["media"])
        assert content.data == world["photo"]
        from identity_app.models import WebhookEndpoint

        assert webhooks.unseal(db.get(WebhookEndpoint, world["endpoint"]).secret_enc) == world["secret"]
        db.rollback()


def test_after_rotation_the_old_key_opens_nothing_and_the_app_works_on_the_new(db, engine, tmp_path, monkeypatch):
    world = _world(db, tmp_path)
    env_file = tmp_path / ".env"
    env_file.write_text("IDV_ENV=production\nIDV_SECRET_KEY=" + world["old"] + "\nIDV_PORT=3000\n")
    report = rotation.rotate(_settings(tmp_path, world["old"]), env_file, engine)
    assert (report.media, report.media_already, report.values, report.resumed) == (2, 0, 7, False)
    new = _env_secret(env_file)
    assert new != world["old"] and len(new) >= 48
    assert env_file.read_text().splitlines() == ["IDV_ENV=production", f"IDV_SECRET_KEY={new}", "IDV_PORT=3000"]
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert not rotation.record_path(tmp_path).exists()
    _assert_only_the_new_key_opens(engine, tmp_path, world["old"], new)
    _app_works_on(new, world, engine, tmp_path, monkeypatch)


def test_an_interrupted_rotation_blocks_the_start_and_a_second_run_finishes_it(db, engine, tmp_path, monkeypatch):
    world = _world(db, tmp_path)
    env_file = tmp_path / ".env"
    env_file.write_text(f"IDV_SECRET_KEY={world['old']}\n")
    settings = _settings(tmp_path, world["old"])
    real_put, puts = LocalMediaStore.put, []

    def crash_on_second_put(self, key, data):
        puts.append(key)
        if len(puts) == 2:
            raise KeyboardInterrupt("power cut")
        real_put(self, key, data)

    monkeypatch.setattr(LocalMediaStore, "put", crash_on_second_put)
    with pytest.raises(KeyboardInterrupt):
        rotation.rotate(settings, env_file, engine)
    monkeypatch.setattr(LocalMediaStore, "put", real_put)
    assert _env_secret(env_file) == world["old"]  # .env untouched until everything is done
    with pytest.raises(SettingsError, match="rotate-secret"):
        settings.validate_for_startup()

    # Second interruption: everything re-encrypted and committed, but .env not yet written.
    def no_disk(*_a):
        raise OSError("disk full")

    monkeypatch.setattr(rotation, "set_secret_key", no_disk)
    with pytest.raises(OSError):
        rotation.rotate(settings, env_file, engine)
    monkeypatch.setattr(rotation, "set_secret_key", secret_file.set_secret_key)
    report = rotation.rotate(settings, env_file, engine)
    assert report.resumed and (report.media, report.media_already, report.values) == (0, 2, 0)
    new = _env_secret(env_file)
    settings_after = _settings(tmp_path, new)
    settings_after.validate_for_startup()
    _assert_only_the_new_key_opens(engine, tmp_path, world["old"], new)
    _app_works_on(new, world, engine, tmp_path, monkeypatch)


def test_a_record_made_for_another_key_is_refused(tmp_path):
    rotation.plan(tmp_path, "k" * 40)
    with pytest.raises(rotation.RotationError, match="another secret key"):
        rotation.plan(tmp_path, "z" * 40)
    assert rotation.plan(tmp_path, "k" * 40).resumed


def test_every_sealed_value_in_the_code_is_on_the_rotation_list():
    """A new derive_key purpose or a new *_enc column must be added to services/operations/rotation.py."""
    code = "\n".join(p.read_text() for p in (ROOT / "identity_app").rglob("*.py"))
    # frame-calls, live-feedback (frame_service.py, liveness_feedback.py): messages in Redis that expire
    # within minutes; nothing at rest to re-encrypt (a rotation costs those in flight a refusal).
    purposes = set(re.findall(r'derive_key\([^\n]*?,\s*"([\w-]+)"\)', code)) - {
        "rotation-fingerprint", "frame-calls", "live-feedback"}
    assert purposes == set(rotation.PURPOSES), purposes
    models = (ROOT / "identity_app" / "models.py").read_text()
    columns = set(re.findall(r"^    (\w+_enc)\b", models, re.M))
    assert columns == {s.column for s in rotation.SEALED_COLUMNS}
    assert "auth_enc" in (ROOT / "identity_app/services/api/yoti_notifications.py").read_text()


def test_the_command_writes_the_new_key_to_dotenv_and_refuses_a_key_from_the_environment(tmp_path):
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "IDV_DATA_DIR": str(tmp_path / "data"),
           "IDV_ENV": "production", "REFLEX_TELEMETRY_ENABLED": "false"}
    old = "o" * 48
    (tmp_path / ".env").write_text(f"IDV_SECRET_KEY={old}\n")

    def cli(*args, **extra):
        return subprocess.run([sys.executable, "-m", "identity_app.cli", *args], cwd=tmp_path,
                              env={**env, **extra}, capture_output=True, text=True, timeout=120)

    assert cli("migrate").returncode == 0
    refused = cli("rotate-secret", IDV_SECRET_KEY=old)
    assert refused.returncode == 2 and "environment" in refused.stderr
    done = cli("rotate-secret")
    assert done.returncode == 0, done.stderr
    assert "0 media object(s) and 0 sealed value(s) re-encrypted" in done.stdout
    assert _env_secret(tmp_path / ".env") != old
    assert old not in done.stdout + done.stderr


def test_the_worker_like_the_web_refuses_to_start_while_a_rotation_is_unfinished(tmp_path):
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "IDV_DATA_DIR": str(tmp_path / "data"),
           "IDV_ENV": "production", "IDV_SECRET_KEY": "k" * 48, "REFLEX_TELEMETRY_ENABLED": "false"}
    rotation.plan(make_private_dir(tmp_path / "data"), "k" * 48)  # what a crash mid-way leaves
    worker = subprocess.run([sys.executable, "-m", "identity_app.worker"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert worker.returncode != 0 and "rotate-secret" in worker.stderr
