"""Reflex configuration; every value comes from identity_app.settings."""
import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from identity_app.settings import get_settings

_settings = get_settings()

config = rx.Config(
    app_name="identity_app",
    db_url=_settings.database_url,
    frontend_port=_settings.port,
    backend_port=_settings.port,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    loglevel=rx.constants.LogLevel(_settings.log_level.lower()),
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
    disable_plugins=[SitemapPlugin],
)
