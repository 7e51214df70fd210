"""IDV_SECRET_KEY_FILE (the container's mounted secret): its content is the key, and rotate-secret
writes the new key back into that file, or refuses before changing anything when it cannot."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from identity_app.services.operations import rotation
from identity_app.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


def test_the_file_s_content_is_the_key_in_place_of_the_variable(tmp_path):
    key = tmp_path / "key"
    key.write_text("  " + "f" * 48 + "\n")
    s = Settings(_env_file=None, env="production", data_dir=tmp_path, secret_key="e" * 48, secret_key_file=key)
    assert s.secret_key.get_secret_value() == "f" * 48
    s.validate_for_startup()
    assert Settings(_env_file=None, secret_key_file="").secret_key_file is None
    with pytest.raises(SettingsError, match="IDV_SECRET_KEY_FILE"):
        Settings(_env_file=None, secret_key_file=tmp_path / "missing")


def _cli(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "IDV_DATA_DIR": str(tmp_path / "data"),
           "IDV_ENV": "production", "REFLEX_TELEMETRY_ENABLED": "false", **extra}
    return subprocess.run([sys.executable, "-m", "identity_app.cli", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_rotate_secret_writes_the_new_key_into_the_key_file(tmp_path):
    old = "o" * 48
    key = tmp_path / "secret"
    key.write_text(old + "\n")
    key.chmod(0o600)
    assert _cli(tmp_path, "migrate", IDV_SECRET_KEY_FILE=str(key)).returncode == 0
    # IDV_SECRET_KEY in the environment too: the file wins, and the file is what changes.
    done = _cli(tmp_path, "rotate-secret", IDV_SECRET_KEY_FILE=str(key), IDV_SECRET_KEY="x" * 48)
    assert done.returncode == 0, done.stderr
    new = key.read_text().strip()
    assert new != old and len(new) >= 32 and str(key) in done.stdout
    assert not (tmp_path / ".env").exists() and old not in done.stdout + done.stderr
    assert _cli(tmp_path, "migrate", IDV_SECRET_KEY_FILE=str(key)).returncode == 0


def test_rotate_secret_refuses_a_key_file_it_cannot_write_before_changing_anything(tmp_path, monkeypatch):
    key = tmp_path / "secret"
    key.write_text("r" * 48)
    settings = Settings(_env_file=None, env="production", data_dir=tmp_path / "data", secret_key_file=key)
    monkeypatch.setattr(rotation.os, "access", lambda path, mode: False)  # a read-only mounted secret
    with pytest.raises(rotation.RotationError, match="cannot write"):
        rotation.rotate(settings, tmp_path / ".env", None)
    assert key.read_text() == "r" * 48 and not (tmp_path / "data").exists()
