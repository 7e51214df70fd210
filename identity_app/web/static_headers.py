"""Caching and preload headers for the built frontend (issue 14, the capture link's first paint).

- `/assets/*` are Vite's content-hashed files: a browser keeps them a year without asking again.
  Pages (HTML) are revalidated on every visit, so a new build's page never names chunks a
  cached old page lacks.
- A capture link (`/s/<token>`) is served the build's SPA fallback page, which preloads only the
  root route's modules: the page's own chunk (and the few modules only it imports) was fetched
  after the whole shared bundle had run, two round trips later (150 ms each on a slow phone).
  Its response names them in `Link: rel=modulepreload` headers, read from React Router's
  manifest of the build, so they download beside the shared bundle.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

ASSETS_PREFIX = "/assets/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
CAPTURE_ROUTE_PATH = "s/:token"  # routes.CAPTURE as React Router names it in the manifest
_CAPTURE_URL = re.compile(r"^/s/[^/]+/?$")
_MANIFEST = re.compile(r"=\s*(\{.*\})\s*;?\s*$", re.S)


def _client_dir() -> Path | None:
    try:
        from reflex.utils import prerequisites
        from reflex_base import constants

        folder = prerequisites.get_web_dir() / constants.Dirs.STATIC
    except Exception:  # noqa: BLE001 - outside a Reflex app (tests of the API alone)
        return None
    return folder if folder.is_dir() else None


def route_preloads(manifest_text: str, route_path: str) -> tuple[str, ...]:
    """The modules of the route at `route_path` that the root route and the entry do not already
    preload (the SPA page names those itself): the route's module first, then its own imports."""
    match = _MANIFEST.search(manifest_text)
    if not match:
        return ()
    manifest = json.loads(match.group(1))
    routes = manifest.get("routes", {})
    route = next((r for r in routes.values() if r.get("path") == route_path), None)
    if route is None or not route.get("module"):
        return ()
    entry = manifest.get("entry", {})
    root = routes.get("root", {})
    known = {entry.get("module"), root.get("module"), *entry.get("imports", []), *root.get("imports", [])}
    wanted = [route["module"], *route.get("imports", [])]
    return tuple(dict.fromkeys(m for m in wanted if m and m not in known))


@lru_cache(maxsize=4)
def _preloads_of_build(manifest: str, stamp: int) -> tuple[str, ...]:
    try:
        return route_preloads(Path(manifest).read_text(encoding="utf-8"), CAPTURE_ROUTE_PATH)
    except (OSError, ValueError):
        return ()


def capture_preloads() -> tuple[str, ...]:
    """The capture route's modules in the current build (read once per build)."""
    folder = _client_dir()
    if folder is None:
        return ()
    manifests = sorted((folder / "assets").glob("manifest-*.js"), key=lambda p: p.stat().st_mtime_ns)
    if not manifests:
        return ()
    newest = manifests[-1]
    return _preloads_of_build(str(newest), newest.stat().st_mtime_ns)


def link_header(modules: tuple[str, ...]) -> str:
    return ", ".join(f"<{m}>; rel=modulepreload" for m in modules)


def static_headers(path: str, content_type: str, status: int) -> list[tuple[bytes, bytes]]:
    """Cache-Control (and for a capture link, Link) headers of one frontend response."""
    if status != 200:
        return []
    if path.startswith(ASSETS_PREFIX):
        return [(b"cache-control", IMMUTABLE.encode())]
    if not content_type.startswith("text/html"):
        return []
    headers = [(b"cache-control", REVALIDATE.encode())]
    if _CAPTURE_URL.match(path):
        modules = capture_preloads()
        if modules:
            headers.append((b"link", link_header(modules).encode()))
    return headers
