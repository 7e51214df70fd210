"""One typed settings object, read from the environment and an optional .env.

Every variable is prefixed IDV_ and documented in README.md and .env.example. The
test-only switches live apart, in identity_app/test_hooks.py.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the message names the variable to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="IDV_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "production", "test"] = "production"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    # A file holding the key (a mounted secret, e.g. /run/secrets/idv_secret_key): when set, its
    # content (surrounding whitespace stripped) is the key, in place of IDV_SECRET_KEY.
    secret_key_file: Path | None = None
    data_dir: Path = PROJECT_ROOT / "data"
    database_url: str = ""  # default: sqlite file under data_dir
    public_base_url: str = "http://localhost:3000"
    port: int = 3000
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object per line (identity_app/logs.py)

    media_backend: Literal["local", "s3"] = "local"
    media_dir: Path | None = None  # default: data_dir / "media"
    s3_bucket: str = ""
    s3_prefix: str = "media/"
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None

    smtp_host: str = ""  # empty: emails go to the outbox folder and the log
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = True
    smtp_from: str = "Identity Verification <no-reply@localhost>"
    outbox_dir: Path | None = None  # default: data_dir / "outbox"

    # Job queue: empty runs Huey on SQLite in-process; a redis:// URL scales out.
    queue_url: str = ""
    upload_max_bytes: int = Field(default=15 * 1024 * 1024, ge=1)
    upload_max_pixels: int = Field(default=40_000_000, ge=1)
    upload_max_side: int = Field(default=10_000, ge=1)  # widest or tallest accepted image, px
    # Child processes that decode uploads (identity_app/image_pool.py): 0 = one per core;
    # each may use this many MB beyond its libraries before it is refused and replaced.
    image_workers: int = Field(default=0, ge=0)
    image_worker_memory_mb: int = Field(default=1024, ge=64)
    # With the queue on Redis, frame analysis is a call any frame worker takes (frame_service.py):
    # how many calls a web process (or `python -m identity_app.frame_service`) runs at once in its
    # image pool. Empty: the pool's size; 0: a web process only sends, never serves.
    frame_workers: int | None = Field(default=None, ge=0)
    # People capturing at once on this machine (web/capture_admission.py): per web process on the
    # embedded defaults; with the queue on Redis, the web processes of one machine share the
    # places and the line. The next one waits in line. 0 = LIVE_CAPTURES_PER_CORE per core.
    live_captures: int = Field(default=0, ge=0)
    # Check worker processes run this much nicer than the web process (and, where the kernel groups
    # processes by session, their session too): people waiting on live feedback come first, the
    # checks take the CPU left over and catch up when the load eases. 0 = same priority.
    worker_nice: int = Field(default=5, ge=0, le=19)
    # Requests one API key may make per minute (/api/v1 and the Yoti-compatible prefix).
    api_requests_per_minute: int = Field(default=300, ge=1)
    # /metrics answers loopback without a token; anyone else must send Authorization: Bearer <this>.
    metrics_token: SecretStr = SecretStr("")
    # The switches for the tests only (IDV_TEST_HOOKS, ...) are not product settings: test_hooks.py.

    @field_validator("secret_key_file", "frame_workers", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _fill_defaults(self) -> "Settings":
        self.data_dir = self.data_dir.resolve()
        if self.secret_key_file is not None:
            try:
                self.secret_key = SecretStr(Path(self.secret_key_file).read_text(encoding="utf-8").strip())
            except OSError as exc:
                raise SettingsError(f"IDV_SECRET_KEY_FILE={self.secret_key_file} cannot be read: {exc}") from None
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'identity.db'}"
        if self.media_dir is None:
            self.media_dir = self.data_dir / "media"
        if self.outbox_dir is None:
            self.outbox_dir = self.data_dir / "outbox"
        return self

    def validate_for_startup(self) -> None:
        """Refuse to run outside development with a default or missing secret."""
        secret = self.secret_key.get_secret_value()
        if self.env != "development" and (not secret or secret == DEFAULT_SECRET or len(secret) < 32):
            raise SettingsError(
                "IDV_SECRET_KEY is missing, the default, or shorter than 32 characters. "
                "Set IDV_SECRET_KEY in the environment or in .env to a long random value, "
                "for example: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if (self.data_dir / "secret-rotation.json").exists():  # services/operations/rotation.py
            raise SettingsError("A secret key rotation was interrupted: run `python -m identity_app.cli "
                                "rotate-secret` again to finish it before starting the app.")
        if self.media_backend == "s3" and not self.s3_bucket:
            raise SettingsError("IDV_MEDIA_BACKEND=s3 needs IDV_S3_BUCKET to be set.")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
