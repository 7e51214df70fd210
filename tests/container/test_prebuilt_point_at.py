"""container/prebuilt.py point-at on a built frontend with precompressed copies: the files naming the
build's origin are rewritten with their .gz copy, and their .br copy (no brotli encoder in Python)
is removed so that browsers get the rewritten gzip copy, never the old origin."""
from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _prebuilt():
    spec = importlib.util.spec_from_file_location("prebuilt_under_test", ROOT / "container" / "prebuilt.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_point_at_rewrites_the_gzip_copy_and_drops_the_stale_brotli_copy(tmp_path, monkeypatch):
    prebuilt = _prebuilt()
    web, client = tmp_path / "web", tmp_path / "web" / "build" / "client"
    (client / "assets").mkdir(parents=True)
    env = client / "assets" / "reflex-env-X.js"
    env.write_text("var e={EVENT:`ws://localhost:3000/_event`};")
    env.with_name(env.name + ".gz").write_bytes(gzip.compress(env.read_bytes()))
    env.with_name(env.name + ".br").write_bytes(b"old brotli")
    other = client / "assets" / "button-Y.js"
    other.write_text("export const b = 1;")
    other.with_name(other.name + ".br").write_bytes(b"kept")
    (client / prebuilt.BUILT_ORIGIN_FILE).write_text("localhost:3000")
    monkeypatch.setattr(prebuilt, "_web_dir", lambda: web)
    monkeypatch.setattr(prebuilt, "_client_dir", lambda: client)

    assert prebuilt.point_at("https://idv.example.com") == 1
    assert "wss://idv.example.com/_event" in env.read_text()
    assert gzip.decompress(env.with_name(env.name + ".gz").read_bytes()).decode() == env.read_text()
    assert not env.with_name(env.name + ".br").exists()
    assert other.with_name(other.name + ".br").read_bytes() == b"kept"
