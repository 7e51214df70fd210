"""Settings: defaults, environment, and the refusal to run on a default secret."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from identity_app.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_sqlite_and_local_disk_under_the_data_dir(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path)
    assert s.database_url == f"sqlite:///{tmp_path.resolve() / 'identity.db'}"
    assert s.media_backend == "local" and s.media_dir == tmp_path.resolve() / "media"


def test_production_refuses_a_missing_or_default_secret(tmp_path):
    for secret in ("change-me", "", "short"):
        with pytest.raises(SettingsError, match="IDV_SECRET_KEY"):
            Settings(_env_file=None, env="production", secret_key=secret, data_dir=tmp_path).validate_for_startup()
    Settings(_env_file=None, env="production", secret_key="k" * 40, data_dir=tmp_path).validate_for_startup()
    Settings(_env_file=None, env="development", data_dir=tmp_path).validate_for_startup()


def test_s3_needs_a_bucket(tmp_path):
    with pytest.raises(SettingsError, match="IDV_S3_BUCKET"):
        Settings(_env_file=None, env="development", media_backend="s3", data_dir=tmp_path).validate_for_startup()


def test_the_app_module_will_not_start_without_a_secret(tmp_path):
    # cwd is an empty folder, so no .env is read; PYTHONPATH finds the code.
    env = {"PATH": "/usr/bin:/bin", "IDV_ENV": "production", "IDV_DATA_DIR": str(tmp_path),
           "REFLEX_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", "import identity_app.identity_app"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "IDV_SECRET_KEY" in out.stderr


def test_every_setting_is_documented():
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        var = f"IDV_{name.upper()}"
        assert var in readme, f"{var} missing from README.md"
        assert var in example, f"{var} missing from .env.example"


def test_the_test_hooks_are_no_settings_and_keep_their_own_readme_rows():
    from identity_app import test_hooks

    readme = (ROOT / "README.md").read_text().splitlines()
    example = (ROOT / ".env.example").read_text()
    settings = {f"IDV_{name.upper()}" for name in Settings.model_fields}
    for var in test_hooks.VARIABLES:
        assert var not in settings, f"{var} is a test switch, not a product setting"
        assert any(line.startswith(f"| `{var}` |") for line in readme), f"{var} has no row in README.md"
        assert var not in example, f"{var} is read from the environment only, never from .env"
