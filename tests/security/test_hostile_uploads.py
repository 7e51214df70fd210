"""Hostile uploads against the real HTTP routes of a real app (issue 9, finding 1).

A corpus generated here (tests/hostile_images.py plus HTTP-level attacks:
framing, oversized and lying bodies, content types, path traversal) goes to
the three image routes of the capture API: /quality, /document and
/liveness/<id>/frames. Every input must be refused with a known code and a
message, or stored as a clean re-encoded JPEG; nothing may answer 5xx. The
web process (granian's worker, the parent of the image pool's children) is
measured while it happens: its peak resident memory must stay under
WEB_PEAK_LIMIT_MB and come back down afterwards, /api/health must keep
answering, and the pool's children must stay under their memory cap.

/_upload (Reflex's upload route) is left to its own tests.
"""
from __future__ import annotations

import os
import sqlite3
import struct
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlmodel import Session, select

from identity_app import i18n
from identity_app.db import make_engine
from identity_app.models import MediaItem, MediaKind
from identity_app.services.capture import flow as capture
from identity_app.storage import LocalMediaStore
from tests import capture_media as cm
from tests import hostile_images as hi
from tests.security.web_process import (AFTER_SLACK_MB, WEB_PEAK_LIMIT_MB, Sampler, WebProcess, post,
                                        settle)
from tests.services.session_factory import make_session

CHILD_CAP_MB = 1024  # IDV_IMAGE_WORKER_MEMORY_MB's default, above what a child maps after loading
NO_READING = {"text_extraction": {"enabled": False}, "liveness": {"max_retries": 3}}
KNOWN_CODES = {k for k in i18n.EN if k.isupper()}
UPLOADS_PER_LINK = 19  # under TOO_MANY_PHOTOS (20) and TOO_MANY_UPLOADS (30 per 10 minutes)
FIGURES: dict[str, object] = {}



def frames_batch(frames: list[bytes], start_ms: int = 0) -> bytes:
    return b"".join(struct.pack(">II", start_ms + 125 * i, len(f)) + f for i, f in enumerate(frames))


def judge(status: int, body: dict | None, what: str) -> str:
    """'ok', 'judged' (quality feedback) or the refusal code; fails on 5xx or on a refusal without a known code and message."""
    assert status < 500, f"{what}: HTTP {status} {body}"
    assert isinstance(body, dict), f"{what}: HTTP {status}, not JSON"
    if body.get("ok"):
        assert status == 200, what
        return "ok"
    if status == 200 and "problems" in body:  # the quality route's feedback: decoded and judged, nothing kept
        assert body["problems"] and set(body["problems"]) <= KNOWN_CODES and body.get("message"), (what, body)
        return "judged"
    assert body.get("code") in KNOWN_CODES, f"{what}: unknown code {body}"
    assert isinstance(body.get("message"), str) and body["message"], f"{what}: no message {body}"
    assert status in (400, 404, 413, 422, 429, 503), f"{what}: HTTP {status} {body}"
    return body["code"]


# ------------------------------------------------------------------ sessions


def app_db(app) -> Session:
    return Session(make_engine(f"sqlite:///{app.data_dir / 'identity.db'}"), expire_on_commit=False)


def new_links(app, n: int, checks: dict | None = NO_READING) -> list[str]:
    tokens = []
    with app_db(app) as db:
        for _ in range(n):
            vs = make_session(db, checks=checks)
            capture.give_consent(db, token=vs.token)
            db.commit()
            tokens.append(vs.token)
    return tokens


def start_attempt(app, token: str) -> int:
    status, body = post(app.url, f"/api/capture/{token}/liveness", b"")
    assert status == 200 and body["ok"], body
    return int(body["resource_id"])


@pytest.fixture(scope="module")
def web(hostile_app):
    """The web process, after one ordinary request of each kind (its pool started, its imports done)."""
    token = new_links(hostile_app, 1)[0]
    photo, face = cm.jpeg(cm.document_frame()), cm.jpeg(cm.face_loop()[0])
    assert post(hostile_app.url, f"/api/capture/{token}/quality", photo)[0] == 200
    assert post(hostile_app.url, f"/api/capture/{token}/document", photo)[0] == 200
    rid = start_attempt(hostile_app, token)
    assert post(hostile_app.url, f"/api/capture/{token}/liveness/{rid}/frames", frames_batch([face] * 8))[0] == 200
    assert post(hostile_app.url, f"/api/capture/{token}/document", os.urandom(15 * 1024 * 1024 + 1))[0] == 413
    time.sleep(1.0)
    return WebProcess(hostile_app)


@pytest.fixture(scope="module")
def bases():
    return {"doc": cm.document_frame(), "face": cm.face_loop()[0]}


# ------------------------------------------------------------------ the tests


def test_four_concurrent_pixel_bombs_leave_the_web_process_as_it_was(hostile_app, web):
    """The finding: four 68-byte PNGs of 1 x 39,999,999 pixels at once, then four complete 40 MP PNG bombs
    (5 kB each, within every header limit, so they are decoded: in the pool's children)."""
    links = new_links(hostile_app, 4)
    allowed_bomb = hi.png_zero_bomb(6_324, 6_324)  # 39,992,976 pixels
    assert len(allowed_bomb) < 10_000
    for name, bomb, expected in (("header", hi.finding_png(), {"BAD_DIMENSIONS"}),
                                 ("decoded", allowed_bomb, {"NO_DOCUMENT", "PHOTO_TOO_DARK", "IMAGE_FAILED"})):
        before = settle(web)
        with Sampler(web, hostile_app.url) as s, ThreadPoolExecutor(4) as pool:
            t0 = time.monotonic()
            results = list(pool.map(lambda t: post(hostile_app.url, f"/api/capture/{t}/document", bomb), links))
            took = time.monotonic() - t0
        after = settle(web)
        codes = [judge(status, body, name) for status, body in results]
        FIGURES[f"4 concurrent {name} bombs"] = {
            "codes": codes, "seconds": round(took, 2), "web_rss_before_mb": round(before), "web_rss_peak_mb":
            round(s.peak), "web_rss_after_mb": round(after), "largest_child_peak_mb": round(s.child_peak),
            "health_slowest_s": round(s.health_max, 3)}
        print(f"\n{name}: {FIGURES[f'4 concurrent {name} bombs']}")
        assert set(codes) <= expected, codes
        assert s.peak - before < WEB_PEAK_LIMIT_MB, FIGURES
        assert after - before < AFTER_SLACK_MB, FIGURES
        assert s.health_max < 2.0, FIGURES
    assert web.children(), "the image pool's children are the web process's own"
    base = max(web.children_rss())
    assert FIGURES["4 concurrent decoded bombs"]["largest_child_peak_mb"] < base + CHILD_CAP_MB


def _corpus_requests(app, bases) -> list[tuple[str, str, str, bytes, dict]]:
    """(link group, what, path template, body, extra) for every input; {token} and {rid} are filled in later."""
    items = hi.corpus(bases)
    reqs = []
    for name, data in items:
        reqs.append(("doc", f"document {name}", "/api/capture/{token}/document", data, {}))
        reqs.append(("quality", f"quality {name}", "/api/capture/{token}/quality", data, {}))
        reqs.append(("frames", f"frames {name}", "/api/capture/{token}/liveness/{rid}/frames", frames_batch([data]), {}))
    good = hi.encode(bases["doc"], "JPEG")
    face = hi.encode(bases["face"], "JPEG")
    # Framing of the frames route: lying lengths, too many frames, truncated headers, empty frames.
    for i, body in enumerate([
        b"\0\0\0\0", struct.pack(">II", 0, 10**9) + good, struct.pack(">II", 0, len(good) + 1) + good,
        frames_batch([face] * 25), frames_batch([b""]), frames_batch([face, b""]), frames_batch([face]) + b"\1\2\3",
        struct.pack(">II", 0, 2**32 - 1), frames_batch([face[: len(face) // 2]]), frames_batch([good, hi.finding_png()]),
    ]):
        reqs.append(("frames", f"frames framing {i}", "/api/capture/{token}/liveness/{rid}/frames", body, {}))
    # Wrong content types and hostile file names: the route judges the bytes, never the labels.
    for ctype in ("text/html", "image/svg+xml", "application/zip", "multipart/form-data; boundary=x",
                  "application/x-www-form-urlencoded", "image/png", "image/gif", "", "image/jpeg; charset=../../x"):
        for body in (good, b"<svg onload=alert(1)>", hi.finding_png()):
            extra = {"Content-Type": ctype, "Content-Disposition": 'attachment; filename="../../../etc/passwd.jpg"',
                     "X-File-Name": "..%2f..%2f.ssh%2fauthorized_keys"}
            reqs.append(("doc", f"document content-type {ctype!r}", "/api/capture/{token}/document", body,
                         {"headers": extra}))
            reqs.append(("quality", f"quality content-type {ctype!r}", "/api/capture/{token}/quality", body,
                         {"headers": extra}))
    # Path traversal in the query string and in the path itself.
    for q in ("side=../../etc/passwd", "type=..%2f..%2fPASSPORT", "country=../../..", "side=BACK%00.jpg",
              "type=" + "A" * 5000, "side=FRONT&side=../x", "country=%2e%2e%2f%2e%2e%2f"):
        reqs.append(("doc", f"document ?{q[:40]}", "/api/capture/{token}/document?" + q, good, {}))
    for path in ("/api/capture/..%2F..%2Fetc%2Fpasswd/document", "/api/capture/%2e%2e/document",
                 "/api/capture/../../etc/passwd/document", "/api/capture/" + "A" * 3000 + "/document",
                 "/api/capture/{token}%00/document", "/api/capture/{token}/liveness/..%2F1/frames",
                 "/api/capture/{token}/liveness/-1/frames", "/api/capture/{token}/liveness/1e9/frames",
                 "/api/capture/{token}/liveness/0x10/frames", "/api/capture/{token}/..%2Fdocument",
                 "/api/capture/{token}/liveness/999999/frames"):
        reqs.append(("traversal", f"path {path[:60]}", path, good, {}))
        reqs.append(("traversal", f"path {path[:60]} bomb", path, hi.finding_png(), {}))
    # Oversized bodies: over each route's limit, and bodies that lie about their length.
    big = os.urandom(15 * 1024 * 1024 + 1)
    reqs.append(("doc", "document 15 MB + 1", "/api/capture/{token}/document", big, {}))
    reqs.append(("doc", "document jpeg-magic 15 MB + 1", "/api/capture/{token}/document", b"\xff\xd8\xff" + big, {}))
    reqs.append(("quality", "quality 400 kB + 1", "/api/capture/{token}/quality", big[: 400 * 1024 + 1], {}))
    reqs.append(("frames", "frames batch too large", "/api/capture/{token}/liveness/{rid}/frames",
                 frames_batch([big[: 400 * 1024]] * 25), {}))
    for route in ("document", "quality"):
        reqs.append(("doc" if route == "document" else "quality", f"{route} declares 1 GB",
                     "/api/capture/{token}/" + route, b"\xff\xd8\xff", {"declared_length": 10**9}))
    return reqs


def test_the_hostile_corpus_is_refused_or_stored_clean_with_no_5xx(hostile_app, web, bases):
    reqs = _corpus_requests(hostile_app, bases)
    assert len(reqs) >= 1000, len(reqs)
    # Each link takes at most UPLOADS_PER_LINK document uploads and one thread at a time (per-link limits
    # are tested on their own), frames go to a few liveness attempts.
    groups: dict[str, list] = {}
    for r in reqs:
        groups.setdefault(r[0], []).append(r)
    doc_reqs = groups["doc"]
    n_doc_links = -(-len(doc_reqs) // UPLOADS_PER_LINK)
    tokens = new_links(hostile_app, n_doc_links + 4)
    doc_links, (q_link, f_link_a, f_link_b, t_link) = tokens[:n_doc_links], tokens[n_doc_links:]
    rids = {f_link_a: start_attempt(hostile_app, f_link_a), f_link_b: start_attempt(hostile_app, f_link_b)}
    lanes: list[list[tuple[str, str, bytes, dict]]] = []
    for i, link in enumerate(doc_links):
        lanes.append([(link, *r[1:]) for r in doc_reqs[i * UPLOADS_PER_LINK:(i + 1) * UPLOADS_PER_LINK]])
    lanes.append([(q_link, *r[1:]) for r in groups["quality"]])
    frames = groups["frames"]
    lanes.append([(f_link_a, *r[1:]) for r in frames[: len(frames) // 2]])
    lanes.append([(f_link_b, *r[1:]) for r in frames[len(frames) // 2:]])
    lanes.append([(t_link, *r[1:]) for r in groups["traversal"]])

    outcomes: Counter = Counter()
    lock = threading.Lock()

    def run_lane(lane) -> None:
        for token, what, path, body, extra in lane:
            status, answer = post(hostile_app.url, path.format(token=token, rid=rids.get(token, 1)), body, **extra)
            if status in (404, 405) and answer is None and what.startswith("path"):
                code = str(status)  # matches no capture route: the app's plain 404/405, no API reached
            else:
                code = judge(status, answer, what)
            with lock:
                outcomes[code] += 1

    before = settle(web, 1.0)
    t0 = time.monotonic()
    with Sampler(web, hostile_app.url) as s, ThreadPoolExecutor(6) as pool:
        for f in [pool.submit(run_lane, lane) for lane in sorted(lanes, key=len, reverse=True)]:
            f.result()
    took = time.monotonic() - t0
    after = settle(web)
    FIGURES["corpus"] = {"inputs": len(reqs), "seconds": round(took, 1), "outcomes": dict(outcomes.most_common()),
                         "web_rss_before_mb": round(before), "web_rss_peak_mb": round(s.peak),
                         "web_rss_after_mb": round(after), "largest_child_peak_mb": round(s.child_peak),
                         "health_slowest_s": round(s.health_max, 3)}
    print(f"\ncorpus: {FIGURES['corpus']}")
    assert sum(outcomes.values()) == len(reqs)
    assert outcomes["ok"] > 0 and "BAD_DIMENSIONS" in outcomes and "TOO_MANY_PIXELS" in outcomes
    assert s.peak - before < WEB_PEAK_LIMIT_MB, FIGURES["corpus"]
    assert after - before < AFTER_SLACK_MB, FIGURES["corpus"]
    assert s.health_max < 2.0, FIGURES["corpus"]
    _assert_stored_media_is_clean(hostile_app, tokens)


def _assert_stored_media_is_clean(app, tokens: list[str]) -> None:
    store = LocalMediaStore(app.data_dir / "media", app.env["IDV_SECRET_KEY"])
    with app_db(app) as db:
        from identity_app.models import VerificationSession

        ids = [vs.id for vs in db.exec(select(VerificationSession).where(VerificationSession.token.in_(tokens)))]
        items = db.exec(select(MediaItem).where(MediaItem.session_id.in_(ids))).all()
    assert items, "nothing was stored: the corpus holds valid photos"
    for item in items:
        assert item.kind in (MediaKind.DOCUMENT_FRONT, MediaKind.DOCUMENT_BACK, MediaKind.LIVENESS_FRAME)
        data = store.get(item.storage_key)
        assert data[:3] == b"\xff\xd8\xff" and data.rstrip(b"\0")[-2:] == b"\xff\xd9", item.id
        for needle in (b"Exif", b"<script", b"<svg", b"<?php", b"PK\x03\x04", b"<html", b"passwd"):
            assert needle not in data, (item.id, needle)
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        assert image is not None and (image.shape[1], image.shape[0]) == (item.width, item.height)
    public = Path(__file__).resolve().parents[2] / ".web" / "backend" / "uploaded_files"
    assert not public.exists() or not any(public.rglob("*")), "an upload reached the public folder"


def test_per_link_limits_busy_photos_and_one_queued_reading(hostile_app, web):
    """Three uploads at once on one link: one BUSY. Twenty-five photos in a row with text extraction on:
    20 stored, then TOO_MANY_PHOTOS, and never more than one document reading queued (before: one per photo)."""
    token = new_links(hostile_app, 1, checks={"liveness": {"max_retries": 3}})[0]
    photo = cm.jpeg(cm.document_frame())
    slow = hi.png_zero_bomb(6_324, 6_324)  # ~1 s of decoding in a child: keeps the link busy
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda body: post(hostile_app.url, f"/api/capture/{token}/document", body),
                                [slow, slow, slow]))
    codes = sorted(judge(status, body, "concurrent") for status, body in results)
    assert codes.count("BUSY") >= 1, codes
    queue_db = hostile_app.data_dir / "queue.db"
    peak_queued, stop = [0], threading.Event()

    def watch() -> None:
        while not stop.is_set():
            with sqlite3.connect(queue_db, timeout=5) as conn:
                peak_queued[0] = max(peak_queued[0], conn.execute("select count(*) from task").fetchone()[0])
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    codes = [judge(*post(hostile_app.url, f"/api/capture/{token}/document", photo), "photo") for _ in range(25)]
    stop.set()
    watcher.join()
    FIGURES["one link, 25 photos"] = {"codes": dict(Counter(codes)), "most_jobs_queued": peak_queued[0]}
    print(f"\n{FIGURES['one link, 25 photos']}")
    assert codes.count("ok") == capture.MAX_DOCUMENT_PHOTOS and codes.count("TOO_MANY_PHOTOS") == 5, codes
    assert peak_queued[0] <= 1, FIGURES["one link, 25 photos"]
