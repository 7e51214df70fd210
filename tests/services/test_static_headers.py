"""The built frontend's caching and preload headers (web/static_headers.py) through the guard:
hashed assets cached for a year, pages revalidated, a capture link's own modules preloaded
(issue 14, the capture link's first paint; tests/browser/test_capture_page_weight.py measures it)."""
from __future__ import annotations

import gzip
import json

import pytest
from starlette.testclient import TestClient

from identity_app.web import static_headers
from identity_app.web.guard import WebGuard

MANIFEST = "window.__reactRouterManifest=" + json.dumps({
    "entry": {"module": "/assets/entry.client-A.js", "imports": ["/assets/react-B.js"], "css": []},
    "routes": {
        "root": {"id": "root", "path": "", "module": "/assets/root-C.js",
                 "imports": ["/assets/react-B.js", "/assets/button-D.js"]},
        "routes/[s].$[token]._index": {"id": "routes/[s].$[token]._index", "parentId": "root",
                                       "path": "s/:token", "index": True, "module": "/assets/_s_.__token_._index-E.js",
                                       "imports": ["/assets/button-D.js", "/assets/lib-F.js", "/assets/camera-off-G.js"]},
        "routes/signin._index": {"id": "routes/signin._index", "path": "signin", "module": "/assets/signin-H.js",
                                 "imports": []},
    },
    "url": "/assets/manifest-1.js", "version": "1",
}) + ";"


def test_the_capture_routes_own_modules_are_the_ones_the_root_does_not_preload():
    assert static_headers.route_preloads(MANIFEST, "s/:token") == (
        "/assets/_s_.__token_._index-E.js", "/assets/lib-F.js", "/assets/camera-off-G.js")
    assert static_headers.route_preloads(MANIFEST, "nowhere/:id") == ()
    assert static_headers.route_preloads("not a manifest", "s/:token") == ()


def test_preloads_are_read_from_the_builds_manifest(tmp_path, monkeypatch):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "manifest-1.js").write_text(MANIFEST)
    monkeypatch.setattr(static_headers, "_client_dir", lambda: tmp_path)
    assert static_headers.capture_preloads()[0] == "/assets/_s_.__token_._index-E.js"
    monkeypatch.setattr(static_headers, "_client_dir", lambda: None)
    assert static_headers.capture_preloads() == ()


def _page_app(body: bytes, content_type: bytes):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", content_type)]})
        await send({"type": "http.response.body", "body": body})
    return app


@pytest.fixture
def preloads(monkeypatch):
    modules = ("/assets/_s_.__token_._index-E.js", "/assets/lib-F.js")
    monkeypatch.setattr(static_headers, "capture_preloads", lambda: modules)
    return modules


def test_a_capture_link_preloads_its_modules_and_is_revalidated(preloads):
    client = TestClient(WebGuard(_page_app(b"<html></html>", b"text/html; charset=utf-8")))
    r = client.get("/s/some-token")
    assert r.headers["link"] == ("</assets/_s_.__token_._index-E.js>; rel=modulepreload, "
                                 "</assets/lib-F.js>; rel=modulepreload")
    assert r.headers["cache-control"] == "no-cache"
    assert "script-src" in r.headers["content-security-policy"]  # the page's policy stays
    console = client.get("/sessions")
    assert "link" not in console.headers and console.headers["cache-control"] == "no-cache"


def test_hashed_assets_are_cached_for_a_year_and_nothing_else_is(preloads):
    asset = TestClient(WebGuard(_page_app(gzip.compress(b"x"), b"text/javascript"))).get("/assets/root-C.js")
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "link" not in asset.headers
    other = TestClient(WebGuard(_page_app(b"{}", b"application/json"))).get("/api/health")
    assert "cache-control" not in other.headers


def test_a_route_that_sets_its_own_cache_control_keeps_it():
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html"), (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": b""})
    assert TestClient(WebGuard(app)).get("/s/x").headers["cache-control"] == "no-store"


def test_every_colour_a_page_names_is_in_the_stylesheet():
    """The stylesheet keeps only frontend_build.COLOURS: a page naming another colour scale
    (color_scheme="purple", rx.color("teal", 9), a ("STATE", "pink") pair of an rx.match) would
    draw nothing where that colour should be."""
    import re
    from pathlib import Path

    from identity_app.frontend_build import COLOURS

    scales = ("tomato red ruby crimson pink plum purple violet iris indigo blue cyan teal jade green grass brown "
              "orange sky mint lime yellow amber gold bronze gray mauve slate sage olive sand").split()
    named = re.compile(r"""["'](%s)["']""" % "|".join(scales))
    package = Path(__file__).resolve().parents[2] / "identity_app"
    used = {m for path in package.rglob("*.py") for m in named.findall(path.read_text(encoding="utf-8"))}
    used |= set(re.findall(r'accent_color="(\w+)"', (package.parent / "rxconfig.py").read_text()))
    assert used and used <= set(COLOURS), sorted(used - set(COLOURS))
