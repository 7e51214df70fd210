"""How the frontend bundle is cut (a Reflex plugin, named in rxconfig.py; issue 14, the capture
link's first paint on a throttled phone).

Vite cut the UI libraries every page loads (Radix Themes and Radix primitives, emotion, ...)
into one chunk per component: the root route alone preloaded 29 modules, and over HTTP/1.1 a
browser fetches 6 at a time, so on a 150 ms link the little ones queued behind the large ones.
`UiChunksPlugin` groups those libraries by the routes that use them (rolldown's `entriesAware`
groups): the modules every page needs become a few chunks, 16 preloads instead of 29, while a
console page's own widgets stay out of the capture page's download. Lucide's icons keep their
own small chunks (one group would pull every icon into every page).

`RadixThemesColours` loads Radix Themes' stylesheet without the colour scales no page uses:
its tokens, components and utilities as Radix ships them separately, and only the scales in
`COLOURS` (brotli 49 -> 40 kB; tests/services/test_static_headers.py fails when a page names
a colour that is not there).
"""
from __future__ import annotations

from reflex_base import constants
from reflex_base.plugins.base import Plugin
from reflex_components_radix.plugin import RadixThemesPlugin

UI_LIBRARIES = ("@radix-ui", "radix-ui", "@floating-ui", "react-remove-scroll", "react-style-singleton",
                "use-callback-ref", "use-sidecar", "aria-hidden", "classnames", "@emotion")
MERGE_BELOW = 30_000  # bytes: a route set's group smaller than this joins its nearest neighbour

# Reflex's own chunk group (reflex_base/compiler/templates.py, vite_config_template).
_ANCHOR = """            {
              test: /env.json/,
              name: "reflex-env",
            },"""

UI_GROUP = """
            {
              test: /node_modules[\\\\/](%s)[\\\\/]/,
              name: "ui",
              entriesAware: true,
              entriesAwareMergeThreshold: %d,
            },""" % ("|".join(UI_LIBRARIES), MERGE_BELOW)


def with_ui_chunks(vite_config: str) -> str:
    """Reflex's vite.config.js with the UI group added beside Reflex's own group."""
    if UI_GROUP in vite_config:
        return vite_config
    if _ANCHOR not in vite_config:
        raise ValueError("vite.config.js no longer has Reflex's reflex-env chunk group: "
                         "see identity_app/frontend_build.py")
    return vite_config.replace(_ANCHOR, _ANCHOR + UI_GROUP, 1)


class UiChunksPlugin(Plugin):
    def pre_compile(self, **context) -> None:
        context["add_modify_task"](constants.ReactRouter.VITE_CONFIG_FILE, with_ui_chunks)


# Every colour scale a page names (color_scheme=, rx.color(...)), slate as indigo's gray.
COLOURS = ("gray", "slate", "indigo", "red", "green", "orange", "amber", "blue", "violet", "cyan", "grass",
           "tomato")


class RadixThemesColours(RadixThemesPlugin):
    def get_stylesheet_paths(self, **context) -> tuple[str, ...]:
        if not self.enabled:
            return ()
        return ("@radix-ui/themes/tokens/base.css",
                *(f"@radix-ui/themes/tokens/colors/{c}.css" for c in COLOURS),
                "@radix-ui/themes/components.css", "@radix-ui/themes/utilities.css")
