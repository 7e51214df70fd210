"""HTTP routes of the capture flow (images never travel over the websocket).

The session link token in the path is the credential. Bodies are raw bytes
(a JPEG/PNG/WebP file, or a batch of frames), refused with 413 as soon as
they pass the limit, before the rest is read. Answers are JSON; refusals
carry a stable `code` and a `message` in the session's language.

Every route runs its use cases through the doorway (services/doorway.py), as
a caller without a console sign-in. An image route first checks the link (closed, no consent, too many photos:
refused before the body is read), then is admitted by `GATE`: per link at
most two image requests in flight, doing their image work one at a time
(a third is refused with BUSY), and at most MAX_IMAGE_REQUESTS in this
process (SERVER_BUSY), so bodies in memory stay bounded. Document uploads
are also limited per link in time (TOO_MANY_UPLOADS). The image work
(decoding, quality, landmarks, re-encoding) runs in the child processes of
image_pool.py, waited for on a thread of this module, never on the event
loop; the checks themselves run in the worker. A liveness attempt starts only once admitted
(capture_admission.py): beyond the people this process serves with live feedback, the next one
is answered WAIT (503) with a place in line, which the capture page shows while it asks again.
A person's turn begins with the document step's first camera frame (or the document, or the
liveness start, whichever comes first) and ends with the liveness attempt's finish.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import struct
import time
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from typing import AsyncIterator, Awaitable, Callable, TypeVar

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from identity_app import i18n, routes
from identity_app.services import doorway
from identity_app.services.capture import flow as capture, liveness_feedback
from identity_app.services.capture.flow import CaptureRefused
from identity_app.services.doorway import Work
from identity_app.settings import get_settings
from identity_app.web import callers
from identity_app.web.callers import NO_STORE
from identity_app.web.capture_admission import RETRY_S, LiveAdmission, SharedAdmission, make_admission
from identity_app.web.loop_lag import LOOP_LAG
MAX_FRAMES_PER_BATCH = 24
MAX_IMAGE_REQUESTS = 16          # image requests in flight in this process, bodies included
PER_LINK_IN_FLIGHT = 2           # one working, one waiting (a quality frame may overlap the capture)
LINK_WAIT_S = 45.0               # how long the waiting one may wait for the working one
DOCUMENT_UPLOADS_PER_WINDOW = 30  # document uploads per link and window, stored or refused
UPLOAD_WINDOW_S = 600.0
STATUS = {"FILE_TOO_LARGE": 413, "BUSY": 429, "TOO_MANY_UPLOADS": 429, "TOO_MANY_PHOTOS": 429,
          "SERVER_BUSY": 503, "WAIT": 503, "ERROR": 400}
T = TypeVar("T")


class TooLarge(Exception):
    pass


class Busy(Exception):
    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


class LinkGate:
    """Admission of image requests in one web process (asyncio, on its event loop).

    Per key (link) at most `per_link` requests in flight, others refused at once with BUSY; `exclusive`
    lets one of them work at a time. At most `total` in flight overall, others refused with SERVER_BUSY.
    Process-local: scaled out, each web process keeps its own (the pool and its memory cap are per process too).
    """

    def __init__(self, per_link: int = PER_LINK_IN_FLIGHT, total: int = MAX_IMAGE_REQUESTS,
                 wait_s: float = LINK_WAIT_S) -> None:
        self.per_link, self.total, self.wait_s = per_link, total, wait_s
        self._links: dict[str, tuple[list[int], asyncio.Lock]] = {}
        self.in_flight = 0

    @contextlib.asynccontextmanager
    async def admit(self, key: str) -> AsyncIterator[asyncio.Lock]:
        count, lock = self._links.get(key) or ([0], asyncio.Lock())
        if count[0] >= self.per_link:
            raise Busy("BUSY")
        if self.in_flight >= self.total:
            raise Busy("SERVER_BUSY")
        count[0] += 1
        self.in_flight += 1
        self._links[key] = (count, lock)
        try:
            yield lock
        finally:
            count[0] -= 1
            self.in_flight -= 1
            if count[0] == 0:
                self._links.pop(key, None)

    @contextlib.asynccontextmanager
    async def exclusive(self, lock: asyncio.Lock) -> AsyncIterator[None]:
        try:
            await asyncio.wait_for(lock.acquire(), self.wait_s)
        except asyncio.TimeoutError:
            raise Busy("BUSY") from None
        try:
            yield
        finally:
            lock.release()


class UploadRate:
    """At most `limit` events per key in a sliding `window_s` (in memory, per process)."""

    def __init__(self, limit: int = DOCUMENT_UPLOADS_PER_WINDOW, window_s: float = UPLOAD_WINDOW_S,
                 max_keys: int = 10_000) -> None:
        self.limit, self.window_s, self.max_keys = limit, window_s, max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def take(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        events = self._events.pop(key, None) or deque()
        while events and events[0] <= now - self.window_s:
            events.popleft()
        allowed = len(events) < self.limit
        if allowed:
            events.append(now)
        self._events[key] = events
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)
        return allowed


GATE = LinkGate()
DOCUMENT_RATE = UploadRate()
_live: LiveAdmission | SharedAdmission | None = None


def live_admission() -> LiveAdmission | SharedAdmission:
    """Admission of live captures, sized by IDV_LIVE_CAPTURES (0: by the cores); shared by every web
    process through Redis when the queue is there (capture_admission.make_admission)."""
    global _live
    if _live is None:
        _live = make_admission(get_settings())
    return _live


_IMAGE_THREADS = ThreadPoolExecutor(max_workers=MAX_IMAGE_REQUESTS, thread_name_prefix="capture-image")


async def _in_image_thread(fn: Callable[[], T]) -> T:
    """fn on this module's threads (one per admitted request: never queued behind other work)."""
    return await asyncio.get_running_loop().run_in_executor(_IMAGE_THREADS, fn)


_LINK_THREADS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="capture-link")


async def _run(use_case: Callable[[Work], T], caller: doorway.Caller = doorway.SYSTEM) -> T:
    """doorway.run on the capture routes' own threads, not the default executor's few, where the
    console's page loads (a session's detail: hundreds of ms each under load) kept a frame batch's
    link check waiting (issue 13)."""
    return await asyncio.get_running_loop().run_in_executor(_LINK_THREADS, functools.partial(doorway.run, use_case,
                                                                                            caller))


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


async def _locale(token: str) -> str:
    return await _run(lambda w: capture.link_locale(w.db, token))


def _json(data: dict, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=NO_STORE)


async def _refused(token: str, code: str) -> JSONResponse:
    mb = get_settings().upload_max_bytes // (1024 * 1024)
    response = _json({"ok": False, "code": code, "message": i18n.message(await _locale(token), code, mb=mb)},
                     STATUS.get(code, 422))
    if response.status_code in (429, 503):
        response.headers["Retry-After"] = "5"
    return response


CaptureRoute = Callable[[Request, str], Awaitable[Response]]


def _refusals(*bad_request: type[Exception]) -> Callable[[CaptureRoute], Callable[[Request], Awaitable[Response]]]:
    """A capture route called with its link token, its refusals answered as JSON: a body over its limit,
    a refused capture step, a busy link or process; `bad_request` errors as ERROR (400)."""
    def wrap(route: CaptureRoute) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(route)
        async def endpoint(request: Request) -> Response:
            token = str(request.path_params.get("token", ""))
            try:
                return await route(request, token)
            except TooLarge:
                return await _refused(token, "FILE_TOO_LARGE")
            except (CaptureRefused, Busy) as exc:
                return await _refused(token, exc.code)
            except bad_request:
                return await _refused(token, "ERROR")
        return endpoint
    return wrap


async def _check_link(request: Request, token: str, check: Callable[[Session, str], object]) -> None:
    """Refuse before the body is read: closed link, no consent, too many photos (CaptureRefused)."""
    await _run(lambda w: check(w.db, token), callers.anonymous(request))


def _resource_id(request: Request) -> int:
    """The attempt id in the path; ValueError (answered 400) when it is no id of ours (huge, negative, text)."""
    found = routes.parse_id(request.path_params.get("resource_id"))
    if found is None:
        raise ValueError("not an id")
    return found


@_refusals()
async def quality(request: Request, token: str) -> Response:
    await _check_link(request, token, capture.require_open)
    admission = live_admission().enter(token)  # the camera's first frames: the person's turn begins
    if not admission.admitted:
        return await _wait(token, admission.position, admission.wait_s)
    async with GATE.admit(token) as link:
        data = await read_body(request, capture.MAX_FRAME_BYTES)
        async with GATE.exclusive(link):
            feedback = await _in_image_thread(lambda: capture.frame_quality(data))
    locale = await _locale(token)
    hints = [i18n.message(locale, p) for p in feedback.hint_codes]
    return _json({"ok": feedback.ok, "problems": list(feedback.problems), "hints": hints,
                  "message": hints[0] if hints else i18n.message(locale, "document_hint_ok"),
                  # the automatic capture: ready in this frame, where the document is (steadiness), what to say
                  "auto": feedback.auto_ready, "corners": [list(c) for c in feedback.corners],
                  "auto_message": i18n.message(locale, "auto_capture")})


@_refusals()
async def document(request: Request, token: str) -> Response:
    q = request.query_params
    await _check_link(request, token, capture.require_document_upload)
    admission = live_admission().enter(token)
    if not admission.admitted:
        return await _wait(token, admission.position, admission.wait_s)
    if not DOCUMENT_RATE.take(token):
        raise Busy("TOO_MANY_UPLOADS")
    async with GATE.admit(token) as link:
        data = await read_body(request, get_settings().upload_max_bytes)

        def store(w: Work) -> capture.StoredDocument:  # its early reading is queued once it commits
            return capture.store_document_image(
                w.db, w.store, token=token, data=data, side=q.get("side", "FRONT").upper(),
                document_type=q.get("type", "PASSPORT").upper(), country=q.get("country", ""), ip=w.ip)

        async with GATE.exclusive(link):
            stored = await _in_image_thread(lambda: doorway.run(store, callers.anonymous(request)))
    return _json({"ok": True, "side": stored.side, "needs_back": stored.needs_back})


async def _wait(token: str, position: int, wait_s: int) -> JSONResponse:
    """WAIT: the person's place in line and an estimate, shown by the page while it asks again."""
    message = i18n.message(await _locale(token), "WAIT", position=position, seconds=wait_s)
    response = _json({"ok": False, "code": "WAIT", "position": position, "wait_s": wait_s, "retry_s": RETRY_S,
                      "message": message}, STATUS["WAIT"])
    response.headers["Retry-After"] = str(RETRY_S)
    return response


@_refusals()
async def liveness_start(request: Request, token: str) -> Response:
    await _check_link(request, token, capture.require_consented)  # a closed link takes no place in line
    admission = live_admission().enter(token)
    if not admission.admitted:
        return await _wait(token, admission.position, admission.wait_s)
    try:
        attempt, locale = await _run(
            lambda w: (capture.start_liveness_attempt(w.db, token=token, ip=w.ip), capture.link_locale(w.db, token)),
            callers.anonymous(request))
    except CaptureRefused:
        live_admission().leave(token)
        raise
    t = i18n.texts(locale)
    return _json({"ok": True, "resource_id": attempt.resource_id, "attempt": attempt.attempt,
                  "challenges": list(attempt.challenges), "instructions": [t[c] for c in attempt.challenges],
                  # each challenge's time, from the previous one's answer: the page counts it down
                  "seconds": capture.seconds_per_challenge(),
                  "texts": {"seconds_left": t["seconds_left"], "time_up": t["time_up"],
                            "checking": t["liveness_checking"]},
                  "face": {"none": t["face_none"], "many": t["face_many"], "ok": t["face_ok"]},
                  "hints": {"turn_more": t["turn_more"]}})


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


@_refusals(KeyError, ValueError)
async def liveness_frames(request: Request, token: str) -> Response:
    began = time.monotonic()
    LOOP_LAG.ensure_running()
    waited_ms = LOOP_LAG.recent_ms()  # what a request waited for the loop lately, before this clock started
    resource_id = _resource_id(request)
    await _check_link(request, token, capture.require_consented)
    live_admission().touch(token)
    async with GATE.admit(token) as link:
        body = await read_body(request, MAX_FRAMES_PER_BATCH * (capture.MAX_FRAME_BYTES + 8))
        frames = parse_frames(body)
        del body

        caller = callers.anonymous(request)

        def analyse(w: Work):
            return (capture.analyse_liveness_frames(w.db, token=token, resource_id=resource_id, frames=frames),
                    capture.attempt_challenges(w.db, token=token, resource_id=resource_id))

        def store_and_follow() -> liveness_feedback.Progress:  # the live feedback once the frames are analysed
            batch, challenges = doorway.run(analyse, caller)
            if get_settings().queue_url:  # scaled out, the finish may reach another web process: stored first
                doorway.run(lambda w: capture.store_liveness_frames(w.db, w.store, batch), caller)
            progress = liveness_feedback.add_frames(resource_id, list(challenges),
                                                    [(f[0], f[4]) for f in batch.frames])
            if not get_settings().queue_url:  # stored while the answer goes out; the finish waits for it
                capture.store_later(lambda use_case: doorway.run(use_case, caller), batch)
            return progress

        async with GATE.exclusive(link):
            progress = await _in_image_thread(store_and_follow)
    # How late feedback is (the loop's wait included), and how far the frames analysed after their
    # answers are behind: admission adapts.
    live_admission().observe(waited_ms + (time.monotonic() - began) * 1000 + capture.storing_lag_ms())
    return _json({"ok": True, "answered": progress.answered, "total": progress.total, "done": progress.done,
                  "face": progress.face, "hint": progress.hint, "answered_at_ms": progress.answered_at_ms})


@_refusals(KeyError, ValueError)
async def liveness_finish(request: Request, token: str) -> Response:
    resource_id = _resource_id(request)
    await _run(lambda w: capture.finish_liveness_attempt(  # decided by the worker once it commits
        w.db, token=token, resource_id=resource_id, ip=w.ip, store=w.store, settle_s=capture.FINISH_WAIT_S),
        callers.anonymous(request))
    live_admission().leave(token)  # the next person in line may start
    liveness_feedback.forget(resource_id)
    return _json({"ok": True})


@_refusals(KeyError, ValueError)
async def liveness_result(request: Request, token: str) -> Response:
    resource_id = _resource_id(request)
    result, locale = await _run(
        lambda w: (capture.liveness_result(w.db, token=token, resource_id=resource_id),
                   capture.link_locale(w.db, token)), callers.anonymous(request))
    reason = i18n.message(locale, result.reason) if result.reason else ""
    return _json({"ok": True, "done": result.done, "passed": result.passed, "reason": result.reason,
                  "message": i18n.message(locale, "liveness_failed", reason=reason) if result.reason else "",
                  "attempts_left": result.attempts_left})
