"""Reflex configuration; every value comes from identity_app.settings."""
import os
from urllib.parse import urlsplit

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from identity_app.frontend_build import RadixThemesColours
from identity_app.settings import get_settings
from identity_app.web.state_store import STATE_TTL_S

_settings = get_settings()
_public = urlsplit(_settings.public_base_url)

# Reflex's state store on disk lives in the private data folder (0700, files 0600; see
# identity_app/state/store.py), not in a world-readable .states beside the code.
os.environ.setdefault("REFLEX_STATES_WORKDIR", str(_settings.data_dir / "ui-state"))

if _settings.log_format == "json":  # Reflex's and granian's own lines as JSON too
    os.environ.setdefault("REFLEX_LOG_JSON", "true")

config = rx.Config(
    app_name="identity_app",
    db_url=_settings.database_url,
    frontend_port=_settings.port,
    backend_port=_settings.port,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    loglevel=rx.constants.LogLevel(_settings.log_level.lower()),
    # Credentialed routes answer our own pages only (Reflex's default is every origin).
    cors_allowed_origins=[f"{_public.scheme}://{_public.netloc}"],
    # A UI state unused for an hour is forgotten (disk files and Redis keys alike).
    redis_token_expiration=STATE_TTL_S,
    # Radix Themes with the colour scales the pages use only (identity_app/frontend_build.py).
    plugins=[RadixThemesColours(theme=rx.theme(accent_color="indigo", radius="medium"))],
    disable_plugins=[SitemapPlugin],
    # The built frontend is compressed once at build time and served as is: brotli to browsers
    # that take it (the capture link's bundle 337 -> 275 kB, its stylesheet 81 -> 49 kB), gzip else.
    frontend_compression_formats=["brotli", "gzip"],
    # The root route imports Radix Themes' components where a page uses them, not its whole namespace
    # for rx.dynamic components (none here; no script of ours reads window.__reflex).
    frontend_lazy_bundled_libraries=True,
)
