"""Apply the committed Alembic revisions (used by the run command, the CLI and tests)."""
from __future__ import annotations

from alembic import command
from alembic.config import Config

from identity_app.settings import PROJECT_ROOT


def upgrade(url: str | None = None, revision: str = "head") -> None:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    if url:
        cfg.attributes["url"] = url
    command.upgrade(cfg, revision)
