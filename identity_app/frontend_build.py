"""How the frontend's stylesheet is built (a Reflex plugin, named in rxconfig.py; issue 14, the
capture link's first paint on a throttled phone).

`RadixThemesColours` loads Radix Themes' stylesheet without the colour scales no page uses:
its tokens, components and utilities as Radix ships them separately, and only the scales in
`COLOURS` (brotli 49 -> 40 kB; tests/services/test_static_headers.py fails when a page names
a colour that is not there).

(Grouping the UI libraries into fewer chunks with rolldown's `entriesAware` groups cut the
capture link's requests 36 -> 23 while the root imported Radix Themes' whole namespace; with
`frontend_lazy_bundled_libraries` it no longer does, and the groups saved 1 request of 21 and
1 kB of 263: they were dropped.)
"""
from __future__ import annotations

from reflex_components_radix.plugin import RadixThemesPlugin

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
