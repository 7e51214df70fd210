"""HTTP routes of the capture flow (images never travel over the websocket).

The session link token in the path is the credential. Bodies are raw bytes
(a JPEG/PNG/WebP file, or a batch of frames), refused with 413 as soon as
they pass the limit, before the rest is read. Answers are JSON; refusals
carry a stable `code` and a `message` in the session's language.
Slow work (decoding, quality, landmarks) runs in a thread, never on the
event loop; the checks themselves run in the worker.
"""
from __future__ import annotations

import asyncio
import logging
import struct

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from identity_app import i18n
from identity_app.db import session_scope
from identity_app.services import capture, liveness_feedback
from identity_app.services.capture import CaptureRefused
from identity_app.settings import get_settings
from identity_app.storage import get_media_store

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
MAX_FRAMES_PER_BATCH = 24


class TooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or TooLarge as soon as it exceeds `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _locale(token: str) -> str:
    with session_scope() as db:
        vs = capture._session(db, token)
        return str((vs.config_snapshot or {}).get("preferences", {}).get("locale", "en")) if vs else "en"


def _json(data: dict, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=NO_STORE)


def _refused(token: str, code: str, status: int = 422) -> JSONResponse:
    mb = get_settings().upload_max_bytes // (1024 * 1024)
    return _json({"ok": False, "code": code, "message": i18n.message(_locale(token), code, mb=mb)}, status)


def _token(request: Request) -> str:
    return str(request.path_params.get("token", ""))


async def quality(request: Request) -> Response:
    token = _token(request)
    try:
        data = await read_body(request, capture.MAX_FRAME_BYTES)
        with session_scope() as db:
            capture.require_open(db, token)
        feedback = await asyncio.to_thread(capture.frame_quality, data)
    except TooLarge:
        return _refused(token, "FILE_TOO_LARGE", 413)
    except CaptureRefused as exc:
        return _refused(token, exc.code)
    locale = _locale(token)
    hints = [i18n.message(locale, p) for p in feedback.problems]
    return _json({"ok": feedback.ok, "problems": list(feedback.problems), "hints": hints,
                  "message": hints[0] if hints else i18n.message(locale, "document_hint_ok")})


async def document(request: Request) -> Response:
    token = _token(request)
    q = request.query_params
    try:
        data = await read_body(request, get_settings().upload_max_bytes)

        def store() -> capture.StoredDocument:
            with session_scope() as db:
                return capture.store_document_image(
                    db, get_media_store(), token=token, data=data, side=q.get("side", "FRONT").upper(),
                    document_type=q.get("type", "PASSPORT").upper(), country=q.get("country", ""), ip=_ip(request))

        stored = await asyncio.to_thread(store)
    except TooLarge:
        return _refused(token, "FILE_TOO_LARGE", 413)
    except CaptureRefused as exc:
        return _refused(token, exc.code)
    from identity_app import worker

    # After commit: the document is read while the user goes on, so the checks after the last capture reuse it.
    # Only a head start: if the queue cannot take it, the session's checks read the document later.
    try:
        worker.enqueue_document_reading(stored.resource_id)
    except Exception:  # noqa: BLE001 - the photo is stored; the upload must not fail for this
        log.warning("could not enqueue the early reading of document resource %s", stored.resource_id)
    return _json({"ok": True, "side": stored.side, "needs_back": stored.needs_back})


def liveness_start(request: Request) -> Response:  # sync: database work runs in Starlette's thread pool
    token = _token(request)
    try:
        with session_scope() as db:
            attempt = capture.start_liveness_attempt(db, token=token, ip=_ip(request))
    except CaptureRefused as exc:
        return _refused(token, exc.code)
    t = i18n.texts(_locale(token))
    return _json({"ok": True, "resource_id": attempt.resource_id, "attempt": attempt.attempt,
                  "challenges": list(attempt.challenges), "instructions": [t[c] for c in attempt.challenges],
                  "face": {"none": t["face_none"], "many": t["face_many"], "ok": t["face_ok"]}})


def parse_frames(body: bytes) -> list[tuple[int, bytes]]:
    """Frames batch: repeated [uint32 ms][uint32 length][JPEG bytes], big-endian."""
    frames, pos = [], 0
    while pos < len(body):
        if pos + 8 > len(body) or len(frames) >= MAX_FRAMES_PER_BATCH:
            raise CaptureRefused("CORRUPTED", "bad frame batch")
        ms, length = struct.unpack(">II", body[pos:pos + 8])
        pos += 8
        if length > capture.MAX_FRAME_BYTES or pos + length > len(body):
            raise CaptureRefused("CORRUPTED", "bad frame batch")
        frames.append((ms, body[pos:pos + length]))
        pos += length
    return frames


async def liveness_frames(request: Request) -> Response:
    token = _token(request)
    try:
        resource_id = int(request.path_params["resource_id"])
        body = await read_body(request, MAX_FRAMES_PER_BATCH * (capture.MAX_FRAME_BYTES + 8))
        frames = parse_frames(body)

        def store_and_analyse() -> liveness_feedback.Progress:
            with session_scope() as db:
                analyses = capture.add_liveness_frames(db, get_media_store(), token=token, resource_id=resource_id,
                                                       frames=frames)
                challenges = list(capture._attempt(db, capture.require_open(db, token), resource_id).challenge)
            return liveness_feedback.add_frames(resource_id, challenges,
                                                [(ms, a) for (ms, _), a in zip(frames, analyses)])

        progress = await asyncio.to_thread(store_and_analyse)
    except TooLarge:
        return _refused(token, "FILE_TOO_LARGE", 413)
    except (KeyError, ValueError):
        return _refused(token, "ERROR", 400)
    except CaptureRefused as exc:
        return _refused(token, exc.code)
    return _json({"ok": True, "answered": progress.answered, "total": progress.total, "done": progress.done,
                  "face": progress.face})


def liveness_finish(request: Request) -> Response:  # sync: database work runs in Starlette's thread pool
    from identity_app import worker

    token = _token(request)
    try:
        resource_id = int(request.path_params["resource_id"])
        with session_scope() as db:
            capture.finish_liveness_attempt(db, token=token, resource_id=resource_id, ip=_ip(request))
    except (KeyError, ValueError):
        return _refused(token, "ERROR", 400)
    except CaptureRefused as exc:
        return _refused(token, exc.code)
    liveness_feedback.forget(resource_id)
    worker.enqueue_liveness(resource_id)  # after commit: the worker must see the frames
    return _json({"ok": True})


def liveness_result(request: Request) -> Response:  # sync: database work runs in Starlette's thread pool
    token = _token(request)
    try:
        resource_id = int(request.path_params["resource_id"])
        with session_scope() as db:
            result = capture.liveness_result(db, token=token, resource_id=resource_id)
    except (KeyError, ValueError):
        return _refused(token, "ERROR", 400)
    except CaptureRefused as exc:
        return _refused(token, exc.code)
    locale = _locale(token)
    reason = i18n.message(locale, result.reason) if result.reason else ""
    return _json({"ok": True, "done": result.done, "passed": result.passed, "reason": result.reason,
                  "message": i18n.message(locale, "liveness_failed", reason=reason) if result.reason else "",
                  "attempts_left": result.attempts_left})
