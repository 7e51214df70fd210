"""The end user's capture flow behind a session link: open, consent, document
images, liveness attempts, finish. Every function takes the link token: the
link is the capability, and a closed link reveals nothing about its session.

Image bytes are checked here from their header (type by content, bytes,
width, height, area and aspect ratio), then decoded, judged and re-encoded
(EXIF orientation applied, metadata dropped) by a child process of
identity_app/image_pool.py, never in this process, before they reach
storage. A session keeps at most MAX_DOCUMENT_PHOTOS document photos.
Refusals are `CaptureRefused` with a stable `code` the pages translate.
"""
from __future__ import annotations

import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait as futures_wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Iterator

from sqlmodel import Session, func, select

from identity_app import image_pool, jobs, routes, test_hooks
from identity_app.checks import image_work
from identity_app.checks.image_io import DEFAULT_MAX_ASPECT, ImageDecodeError, ImageLimits, check_header
from identity_app.checks.report import CheckType, Recommendation
from identity_app.jobs import Job, JobKind
from identity_app.models import (
    DOCUMENTS_WITH_BACK,
    Application,
    AuditAction,
    Check,
    CheckState,
    MediaItem,
    MediaKind,
    Resource,
    ResourceKind,
    ReviewState,
    SessionState,
    Task,
    TaskState,
    TaskType,
    VerificationSession,
    utcnow,
)
from identity_app.services import audit
from identity_app.services.api import events
from identity_app.services.sessions import expiry
from identity_app.services.applications.checks_config import ChecksConfig
from identity_app.services.errors import DomainError
from identity_app.services.capture.media import store_session_media
from identity_app.settings import get_settings
from identity_app.storage import MediaStore, new_media_key

if TYPE_CHECKING:  # the checks load MediaPipe lazily, on the first frame
    from identity_app.checks.liveness import FrameAnalysis

MAX_FRAMES_PER_ATTEMPT = 240      # ~30 s at 8 fps
MAX_FRAME_BYTES = 400 * 1024      # one streamed JPEG frame
MAX_FRAME_PIXELS = 1280 * 960
MAX_FRAME_SIDE = 1600
MAX_DOCUMENT_PHOTOS = 20          # stored document photos per session, fronts, backs and retakes together
JPEG_QUALITY = 92
# Wall-clock limits of the image work in the pool (the child is killed after them).
DOCUMENT_TIMEOUT_S = 30.0
FRAMES_TIMEOUT_S = 20.0
QUALITY_TIMEOUT_S = 10.0
FRAME_LIMITS = ImageLimits(max_bytes=MAX_FRAME_BYTES, max_pixels=MAX_FRAME_PIXELS, max_side=MAX_FRAME_SIDE)


class CaptureRefused(DomainError):
    """A capture step refused; `code` is stable (translated by the pages)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class LinkStatus(str, Enum):
    OPEN = "OPEN"            # capture may go on
    CHECKING = "CHECKING"    # capture finished, checks running or under review
    DONE = "DONE"            # the session is COMPLETED
    CLOSED = "CLOSED"        # unknown, deleted or expired: reveals nothing


@dataclass(frozen=True)
class CaptureView:
    """What the capture pages need to know; no personal data."""

    status: LinkStatus
    application_name: str = ""
    primary_colour: str = "#2563eb"
    secondary_colour: str = "#0f172a"
    locale: str = "en"
    privacy_policy_url: str = ""
    success_url: str = ""
    consent_given: bool = False
    document_enabled: bool = True
    document_types: tuple[str, ...] = ()
    country_mode: str = "ALLOW_ALL"
    countries: tuple[str, ...] = ()
    upload_allowed: bool = False
    liveness_enabled: bool = True
    max_retries: int = 3
    liveness_attempts: int = 0
    liveness_passed: bool = False
    document_captured: bool = False
    under_review: bool = False     # CHECKING, and a person has a check of it to review
    logo_url: str = ""             # the application's logo as this link may fetch it ("" without one)

    @property
    def attempts_left(self) -> int:
        return max(0, self.max_retries - self.liveness_attempts)


CLOSED = CaptureView(status=LinkStatus.CLOSED)


# document_frame problems that stop the automatic capture and are told to the person even when the photo
# would be accepted (GLARE is judged by the quality check itself; its own reading flags white pages).
FRAME_PROBLEMS_SHOWN = ("PARTLY_OUT_OF_FRAME", "TOO_SMALL", "BLURRED")


@dataclass(frozen=True)
class QualityFeedback:
    ok: bool                                   # the photo would be accepted (assess_quality)
    problems: tuple[str, ...]
    frame_problems: tuple[str, ...] = ()       # document_frame.assess_frame, when ok
    corners: tuple[tuple[float, float], ...] = ()  # the document's corners, shares of the frame

    @property
    def hint_codes(self) -> tuple[str, ...]:
        """What the person is told, first first: the quality problems, else the framing ones."""
        return self.problems or tuple(p for p in self.frame_problems if p in FRAME_PROBLEMS_SHOWN)

    @property
    def auto_ready(self) -> bool:
        """Whole, big enough and sharp in this frame: the page takes the photo by itself once this
        holds, with the corners steady, over a few consecutive frames (assets/capture.js)."""
        return self.ok and len(self.corners) == 4 and not self.hint_codes


@dataclass(frozen=True)
class StoredDocument:
    resource_id: int
    media_id: int
    side: str
    needs_back: bool
    session_id: int = 0


@dataclass(frozen=True)
class LivenessAttempt:
    resource_id: int
    attempt: int
    challenges: tuple[str, ...]


@dataclass(frozen=True)
class LivenessResult:
    """None fields while the attempt is still being evaluated."""

    done: bool
    passed: bool = False
    reason: str | None = None
    attempts_used: int = 0
    attempts_left: int = 0


# ----------------------------------------------------------------- the link


def _config(vs: VerificationSession) -> ChecksConfig:
    return ChecksConfig.from_dict((vs.config_snapshot or {}).get("checks"))


def _prefs(vs: VerificationSession) -> dict:
    return (vs.config_snapshot or {}).get("preferences") or {}


def _session(db: Session, token: str) -> VerificationSession | None:
    if not token or len(token) > 64 or not re.fullmatch(r"[A-Za-z0-9_-]+", token):
        return None
    return db.exec(select(VerificationSession).where(VerificationSession.token == token)).first()


def _status(vs: VerificationSession) -> LinkStatus:
    if vs.state == SessionState.COMPLETED:
        return LinkStatus.DONE
    if vs.state != SessionState.ONGOING:
        return LinkStatus.CLOSED
    return LinkStatus.CHECKING if vs.capture_finished_at else LinkStatus.OPEN


def _attempts(db: Session, session_id: int) -> list[Resource]:
    return list(db.exec(select(Resource).where(Resource.session_id == session_id,
                                               Resource.kind == ResourceKind.LIVENESS).order_by(Resource.attempt)))


def _liveness_passed(db: Session, session_id: int) -> bool:
    return db.exec(select(Check.id).where(Check.session_id == session_id, Check.type == CheckType.LIVENESS,
                                          Check.state == CheckState.DONE,
                                          Check.recommendation == Recommendation.APPROVE)).first() is not None


def _front(db: Session, session_id: int) -> MediaItem | None:
    return db.exec(select(MediaItem).where(MediaItem.session_id == session_id,
                                           MediaItem.kind == MediaKind.DOCUMENT_FRONT)
                   .order_by(MediaItem.id.desc())).first()  # type: ignore[union-attr]


def _under_review(db: Session, session_id: int) -> bool:
    return db.exec(select(Check.id).where(Check.session_id == session_id,
                                          Check.review_state == ReviewState.PENDING)).first() is not None


def view_of(db: Session, vs: VerificationSession) -> CaptureView:
    status = _status(vs)
    if status == LinkStatus.CLOSED:
        return CLOSED
    app = db.get(Application, vs.application_id)  # its logo as it is now: the route serves the current one
    cfg, prefs = _config(vs), _prefs(vs)
    d = cfg.document_authenticity
    assert vs.id is not None
    return CaptureView(
        status=status,
        application_name=str(prefs.get("application_name", "")),
        primary_colour=str(prefs.get("primary_colour", "#2563eb")),
        secondary_colour=str(prefs.get("secondary_colour", "#0f172a")),
        locale=str(prefs.get("locale", "en")),
        privacy_policy_url=str(prefs.get("privacy_policy_url", "")),
        success_url=str(prefs.get("success_url", "")),
        consent_given=vs.consent_at is not None,
        document_enabled=d.enabled,
        document_types=tuple(d.accepted_types),
        country_mode=d.country_mode,
        countries=tuple(d.countries),
        upload_allowed=d.capture_method == "CAMERA_AND_UPLOAD",
        liveness_enabled=cfg.liveness.enabled,
        max_retries=cfg.liveness.max_retries,
        liveness_attempts=len(_attempts(db, vs.id)),
        liveness_passed=_liveness_passed(db, vs.id),
        document_captured=_front(db, vs.id) is not None,
        under_review=status == LinkStatus.CHECKING and _under_review(db, vs.id),
        logo_url=routes.application_logo_path(vs.application_id, vs.token) if app and app.logo_key else "",
    )


def describe_device(user_agent: str) -> tuple[str, str]:
    """(browser, OS) from a user agent, coarse on purpose."""
    ua = user_agent or ""
    browser = next((name for pattern, name in (
        (r"FBAN|FBAV", "Facebook in-app"), (r"Instagram", "Instagram in-app"), (r"\bLine/", "LINE in-app"),
        (r"Edg/", "Edge"), (r"OPR/", "Opera"), (r"SamsungBrowser", "Samsung Internet"),
        (r"Firefox/|FxiOS", "Firefox"), (r"Chrome/|CriOS", "Chrome"), (r"Version/.*Safari", "Safari"),
    ) if re.search(pattern, ua)), "Other")
    system = next((name for pattern, name in (
        (r"Android", "Android"), (r"iPhone|iPad|iPod", "iOS"), (r"Windows", "Windows"),
        (r"Mac OS X|Macintosh", "macOS"), (r"CrOS", "ChromeOS"), (r"Linux", "Linux"),
    ) if re.search(pattern, ua)), "Other")
    return browser, system


def open_link(db: Session, *, token: str, user_agent: str = "", ip: str = "",
              now: datetime | None = None) -> CaptureView:
    """The capture view of a link, recording the device that opened it."""
    now = now or utcnow()
    vs = _session(db, token)
    if vs is None:
        return CLOSED
    expiry.expire_if_due(db, vs, now)  # a link used after its lifetime expires now, not at the next job
    if _status(vs) == LinkStatus.OPEN:
        browser, system = describe_device(user_agent)
        device = dict(vs.device or {})
        device.update({"browser": browser, "os": system, "ip": ip[:64], "user_agent": user_agent[:300],
                       "last_opened_at": now.isoformat()})
        device.setdefault("first_opened_at", now.isoformat())
        vs.device = device
        if vs.started_at is None:
            vs.started_at = now
            audit.record(db, AuditAction.CAPTURE_STARTED, application_id=vs.application_id, session_id=vs.id, ip=ip)
        db.add(vs)
    db.flush()
    return view_of(db, vs)


def require_open(db: Session, token: str, now: datetime | None = None) -> VerificationSession:
    """The session of an open link, or CaptureRefused(LINK_CLOSED)."""
    vs = _session(db, token)
    if vs is not None:
        expiry.expire_if_due(db, vs, now)
    if vs is None or _status(vs) != LinkStatus.OPEN:
        raise CaptureRefused("LINK_CLOSED", "This link is not valid any more.")
    return vs


def _require_consent(vs: VerificationSession) -> None:
    if vs.consent_at is None:
        raise CaptureRefused("CONSENT_REQUIRED", "Consent is needed before capture.")


def require_consented(db: Session, token: str) -> VerificationSession:
    """The session of an open link whose user gave consent, or CaptureRefused."""
    vs = require_open(db, token)
    _require_consent(vs)
    return vs


def give_consent(db: Session, *, token: str, ip: str = "") -> CaptureView:
    vs = require_open(db, token)
    if vs.consent_at is None:
        vs.consent_at = utcnow()
        db.add(vs)
        audit.record(db, AuditAction.CONSENT_GIVEN, application_id=vs.application_id, session_id=vs.id, ip=ip)
    db.flush()
    return view_of(db, vs)


def status(db: Session, *, token: str) -> CaptureView:
    vs = _session(db, token)
    return view_of(db, vs) if vs is not None else CLOSED


def link_locale(db: Session, token: str) -> str:
    """The language of a link's pages and messages ("en" for a link that is unknown)."""
    vs = _session(db, token)
    return str(_prefs(vs).get("locale", "en")) if vs else "en"


# ----------------------------------------------------------------- images


def document_limits() -> ImageLimits:
    s = get_settings()
    return ImageLimits(max_bytes=s.upload_max_bytes, max_pixels=s.upload_max_pixels, max_side=s.upload_max_side,
                       max_aspect=DEFAULT_MAX_ASPECT)


_IMAGE_MESSAGES = {
    "EMPTY": "The file is empty.",
    "UNSUPPORTED_TYPE": "This file is not a JPEG, PNG or WebP image.",
    "FILE_TOO_LARGE": "The file is too large.",
    "TOO_MANY_PIXELS": "The image has too many pixels.",
    "BAD_DIMENSIONS": "The image is too wide, too tall or too narrow.",
    "CORRUPTED": "The image is damaged and cannot be read.",
    "IMAGE_FAILED": "The image could not be processed.",
    "SERVER_BUSY": "Too many images are being processed: try again in a moment.",
}


def _image_refused(code: str) -> CaptureRefused:
    return CaptureRefused(code, _IMAGE_MESSAGES.get(code, _IMAGE_MESSAGES["CORRUPTED"]))


def check_image(data: bytes, limits: ImageLimits) -> None:
    """The header checks alone (microseconds, nothing decoded): CaptureRefused naming the problem."""
    try:
        check_header(data, limits)
    except ImageDecodeError as exc:
        raise _image_refused(exc.reason.value) from None


def _image_work(fn, *args, timeout: float):
    """fn(*args) in the image pool: its plain result, or CaptureRefused (the image's problem, SERVER_BUSY
    when every worker stayed busy, IMAGE_FAILED when the worker ran out of memory or time or died)."""
    try:
        return image_pool.run(fn, *args, timeout=timeout)
    except ImageDecodeError as exc:
        raise _image_refused(exc.reason.value) from None
    except (image_pool.PoolBusy, image_pool.ImageWorkFailed) as exc:
        raise _image_refused(exc.code) from None


class ImageLanes:
    """Which capture image work goes to the pool's children first (issue 13).

    A liveness batch's answer is the live feedback, so it goes first: side work (document camera
    frames, document photos) holds at most `side_limit` children (all but one), and while liveness
    batches fill every child it waits, up to AGING_S, after which it goes anyway so that it is late,
    never refused for that; a document photo, which the person waits on, waits only for the side
    lane. A batch is split in two halves, analysed in two children at once, only when two children
    are free: it then answers in about half the time, and under load it takes no second turn in the
    queue. Counted in this process, around the pool calls of this module."""

    def __init__(self, children: int, *, aging_s: float = 2.0) -> None:
        self.children = max(1, int(children))
        self.side_limit = max(1, self.children - 1)
        self.aging_s = aging_s
        self.side = self.frames = 0     # calls of each kind in the pool now (waiting for a child or in one)
        self.later = 0                  # frames analysed after their batch's answer (liveness_rest)
        self.side_waiting = 0
        self.urgent_waiting = 0         # document photos among them
        self._cond = threading.Condition()

    @contextmanager
    def later_work(self) -> Iterator[None]:
        """A turn for analysing frames after their answer: it lets batches being answered go first (while
        they and other work fill every child, up to AGING_S), then goes anyway; never refused here."""
        with self._cond:
            self._cond.wait_for(lambda: self.side + self.frames + self.later < self.children, self.aging_s)
            self.later += 1
        try:
            yield
        finally:
            with self._cond:
                self.later -= 1
                self._cond.notify_all()

    @contextmanager
    def side_work(self, wait_s: float, *, urgent: bool = False) -> Iterator[None]:
        """A turn for one piece of side work; SERVER_BUSY when none came within `wait_s`.

        Urgent work (a document photo: the person pressed the button and waits for it, once) does not
        give way to liveness batches, which keep the children the side lane leaves them, and goes
        before camera frames waiting for the side lane (those come again every half second)."""
        with self._cond:
            self.side_waiting += 1
            self.urgent_waiting += urgent
            try:
                budget = wait_s
                if not urgent:
                    self._cond.wait_for(lambda: self.side < self.side_limit and self.frames < self.children
                                        and not self.urgent_waiting, min(self.aging_s, wait_s))
                    budget = max(0.0, wait_s - self.aging_s)
                if not self._cond.wait_for(lambda: self.side < self.side_limit and (urgent or not self.urgent_waiting),
                                           budget):
                    raise CaptureRefused("SERVER_BUSY", "The server is busy; please try again in a moment.")
            finally:
                self.side_waiting -= 1
                self.urgent_waiting -= urgent
                self._cond.notify_all()
            self.side += 1
        try:
            yield
        finally:
            with self._cond:
                self.side -= 1
                self._cond.notify_all()

    @contextmanager
    def frame_work(self, calls: int = 1) -> Iterator[None]:
        with self._cond:
            self.frames += calls
        try:
            yield
        finally:
            with self._cond:
                self.frames -= calls
                self._cond.notify_all()

    def halves(self) -> bool:
        """Whether two children are free for a batch's two halves now."""
        with self._cond:
            return self.children >= 2 and self.side + self.frames + self.later + 2 <= self.children


SIDE_WAIT_S = 20.0   # as long as the pool's own wait for a child
_lanes: ImageLanes | None = None
_SPLIT = ThreadPoolExecutor(max_workers=8, thread_name_prefix="frames-half")


def image_lanes() -> ImageLanes:
    global _lanes
    if _lanes is None:
        _lanes = ImageLanes(get_settings().image_workers or os.cpu_count() or 1)
    return _lanes


ANSWER_FRAMES = 2    # frames of a batch analysed before its answer (embedded defaults): the newest


def _answer_first() -> bool:
    """Whether a batch is answered from its newest frames: on the embedded defaults, where the route
    stores it after the answer (store_later). Scaled out the route stores it before answering, so
    the whole batch is analysed at once, in two halves as before."""
    return not get_settings().queue_url


def _analyse_frames(datas: list[bytes]) -> list[dict]:
    """image_work.liveness_answer of a batch (the newest ANSWER_FRAMES analysed, "analysis" None for the
    others), or image_work.liveness_frames in two halves at once when two children are free."""
    def work(part: list[bytes]) -> list[dict]:
        return _image_work(image_work.liveness_frames, part, FRAME_LIMITS, 90, timeout=FRAMES_TIMEOUT_S)

    lanes = image_lanes()
    if _answer_first() and len(datas) > ANSWER_FRAMES:
        with lanes.frame_work():
            return _image_work(image_work.liveness_answer, datas, FRAME_LIMITS, 90, ANSWER_FRAMES,
                               timeout=FRAMES_TIMEOUT_S)
    if len(datas) < 4 or not lanes.halves():
        with lanes.frame_work():
            return work(datas)
    half = (len(datas) + 1) // 2
    with lanes.frame_work(2):
        second = _SPLIT.submit(work, datas[half:])
        try:
            first = work(datas[:half])
        except BaseException:
            futures_wait([second])  # its child is given back before the batch is refused
            raise
        return first + second.result()  # (its refusal, if it had one, raised here)


def frame_quality(data: bytes) -> QualityFeedback:
    """Live feedback on a (downscaled) camera frame of a document."""
    check_image(data, FRAME_LIMITS)
    with image_lanes().side_work(SIDE_WAIT_S):
        q = _image_work(image_work.frame_quality, data, FRAME_LIMITS, timeout=QUALITY_TIMEOUT_S)
    corners = tuple((float(x), float(y)) for x, y in q.get("corners") or ())
    return QualityFeedback(bool(q["ok"]), tuple(str(p) for p in q["problems"]),
                           tuple(str(p) for p in q.get("frame_problems") or ()), corners)


def _check_document_choice(vs: VerificationSession, document_type: str, country: str) -> None:
    d = _config(vs).document_authenticity
    if document_type not in d.accepted_types:
        raise CaptureRefused("DOCUMENT_TYPE_NOT_ACCEPTED", "This type of document is not accepted here.")
    if d.country_mode == "ALLOW_ALL":
        return
    country = (country or "").upper()
    if not re.fullmatch(r"[A-Z]{3}", country):
        raise CaptureRefused("COUNTRY_REQUIRED", "Choose the country that issued the document.")
    listed = country in d.countries
    if (d.country_mode == "ALLOW") != listed:
        raise CaptureRefused("COUNTRY_NOT_ACCEPTED", "Documents from this country are not accepted here.")


def document_photo_count(db: Session, session_id: int) -> int:
    return int(db.exec(select(func.count()).select_from(MediaItem).where(
        MediaItem.session_id == session_id,
        MediaItem.kind.in_((MediaKind.DOCUMENT_FRONT, MediaKind.DOCUMENT_BACK)))).one())  # type: ignore[attr-defined]


def require_document_upload(db: Session, token: str) -> VerificationSession:
    """The session of a link that may take another document photo: open, consented, under MAX_DOCUMENT_PHOTOS."""
    vs = require_open(db, token)
    _require_consent(vs)
    assert vs.id is not None
    if document_photo_count(db, vs.id) >= MAX_DOCUMENT_PHOTOS:
        raise CaptureRefused("TOO_MANY_PHOTOS", "Too many photos of the document were sent with this link.")
    return vs


def store_document_image(db: Session, store: MediaStore, *, token: str, data: bytes, side: str = "FRONT",
                         document_type: str = "PASSPORT", country: str = "", ip: str = "") -> StoredDocument:
    """Check, clean and store a document photo (camera frame or upload).

    A front starts a new document resource (a re-capture is a new attempt);
    a back joins the latest front. Photos that fail the quality check are
    refused with the reason, so the user can fix it before the checks run.
    Everything that needs no pixels is checked first; the image work runs in the pool.
    """
    vs = require_document_upload(db, token)
    if side not in ("FRONT", "BACK"):
        raise CaptureRefused("BAD_REQUEST", "Unknown document side.")
    assert vs.id is not None
    if side == "FRONT":
        _check_document_choice(vs, document_type, country)
    limits = document_limits()
    check_image(data, limits)
    with image_lanes().side_work(SIDE_WAIT_S, urgent=True):
        photo = _image_work(image_work.document_photo, data, limits, JPEG_QUALITY, timeout=DOCUMENT_TIMEOUT_S)
    if not photo["ok"]:
        raise CaptureRefused(str(photo["problems"][0]), str(photo["hints"][0]))
    if side == "FRONT":
        count = db.exec(select(func.count()).select_from(Resource).where(
            Resource.session_id == vs.id, Resource.kind == ResourceKind.ID_DOCUMENT)).one()
        resource = Resource(session_id=vs.id, kind=ResourceKind.ID_DOCUMENT, attempt=int(count) + 1,
                            document_type=document_type, issuing_country=(country or "").upper()[:3])
        db.add(resource)
        db.flush()
    else:
        resource = db.exec(select(Resource).where(Resource.session_id == vs.id,
                                                  Resource.kind == ResourceKind.ID_DOCUMENT)
                           .order_by(Resource.attempt.desc())).first()  # type: ignore[attr-defined]
        if resource is None:
            raise CaptureRefused("FRONT_FIRST", "Photograph the front of the document first.")
    assert resource.id is not None
    item = store_session_media(db, store, session_id=vs.id, resource_id=resource.id,
                               kind=MediaKind.DOCUMENT_FRONT if side == "FRONT" else MediaKind.DOCUMENT_BACK,
                               data=bytes(photo["jpeg"]), content_type="image/jpeg", width=int(photo["width"]),
                               height=int(photo["height"]))
    audit.record(db, AuditAction.DOCUMENT_STORED, application_id=vs.application_id, session_id=vs.id, ip=ip,
                 target=f"media:{item.id}", side=side)
    assert item.id is not None
    events.resource_updated(db, vs, resource_id=resource.id, resource_type=ResourceKind.ID_DOCUMENT.value)
    # Read while the user goes on, so the checks after the last capture reuse the reading: best effort,
    # one reading per session queued or running (it reads the newest photo; see worker.enqueue_document_reading).
    jobs.later(db, Job(JobKind.DOCUMENT_READING, resource.id, vs.id))
    return StoredDocument(resource.id, item.id, side, side == "FRONT" and resource.document_type in DOCUMENTS_WITH_BACK,
                          vs.id)


# ----------------------------------------------------------------- liveness


CHALLENGES_PER_ATTEMPT = 2   # every attempt alike: one expression and one head turn (random_challenges)


def _challenge_count() -> int:
    """How many challenges an attempt draws: the same for every attempt of every session (a second attempt
    with fewer challenges than the first was neither fair nor explainable on the page)."""
    return CHALLENGES_PER_ATTEMPT


def seconds_per_challenge() -> float:
    """The time a person has for each challenge, counted from the previous one's answer: the liveness
    check's own limit, which the page counts down."""
    from identity_app.checks.liveness import LivenessThresholds

    return LivenessThresholds().max_response_s


def choose_challenges() -> tuple[str, ...]:
    from identity_app.checks.liveness import Challenge, random_challenges

    fixed = test_hooks.liveness_challenges()  # tests only, and only with IDV_TEST_HOOKS=true
    if fixed:
        return tuple(Challenge(c).value for c in fixed)
    return tuple(c.value for c in random_challenges(_challenge_count()))


def start_liveness_attempt(db: Session, *, token: str, ip: str = "") -> LivenessAttempt:
    vs = require_open(db, token)
    _require_consent(vs)
    assert vs.id is not None
    attempts = _attempts(db, vs.id)
    if _liveness_passed(db, vs.id):
        raise CaptureRefused("LIVENESS_DONE", "The liveness check is already passed.")
    if len(attempts) >= _config(vs).liveness.max_retries:
        raise CaptureRefused("NO_ATTEMPTS_LEFT", "No liveness attempts are left.")
    pending = [r for r in attempts if not _attempt_finished(db, r)]
    for r in pending:  # an abandoned attempt (page reloaded) counts as used
        _finish_attempt_row(db, vs, r)
    resource = Resource(session_id=vs.id, kind=ResourceKind.LIVENESS, attempt=len(attempts) + 1,
                        challenge=list(choose_challenges()))
    db.add(resource)
    db.flush()
    assert resource.id is not None
    audit.record(db, AuditAction.LIVENESS_STARTED, application_id=vs.application_id, session_id=vs.id, ip=ip,
                 attempt=resource.attempt)
    return LivenessAttempt(resource.id, resource.attempt, tuple(resource.challenge))


def _attempt(db: Session, vs: VerificationSession, resource_id: int) -> Resource:
    r = db.get(Resource, resource_id)
    if r is None or r.session_id != vs.id or r.kind != ResourceKind.LIVENESS:
        raise CaptureRefused("BAD_REQUEST", "Unknown liveness attempt.")
    return r


def attempt_challenges(db: Session, *, token: str, resource_id: int) -> tuple[str, ...]:
    """The challenges of a liveness attempt of an open link, in order."""
    return tuple(_attempt(db, require_open(db, token), resource_id).challenge)


def _attempt_finished(db: Session, r: Resource) -> bool:
    return db.exec(select(Check.id).where(Check.resource_id == r.id)).first() is not None


def frame_count(db: Session, resource_id: int) -> int:
    return int(db.exec(select(func.count()).select_from(MediaItem).where(MediaItem.resource_id == resource_id)).one())


@dataclass(frozen=True)
class AnalysedFrames:
    """A batch checked and cleaned, not yet stored: (ms, cleaned JPEG, width, height, analysis) per frame
    analysed so far, in time order, and the frames whose analysis comes after the answer ("later":
    (ms, the bytes as sent, cleaned JPEG, width, height), sent before every analysed one; `complete`)."""
    session_id: int
    resource_id: int
    frames: tuple[tuple[int, bytes, int, int, "FrameAnalysis"], ...]
    later: tuple[tuple[int, bytes, bytes, int, int], ...] = ()

    @property
    def analyses(self) -> list[FrameAnalysis]:
        return [f[4] for f in self.frames]

    @property
    def size(self) -> int:
        return len(self.frames) + len(self.later)


class PendingFrames:
    """Batches answered but not yet stored, per attempt (this process): the live feedback is answered
    once a batch is analysed and its frames are stored right after, off the answer's path (issue 13:
    8 encrypted files with an fsync each and 8 rows were a fifth of a batch's answer under load).
    An attempt finishes only once none of its frames is pending, and a batch whose storing failed
    is stored by the finish itself: no frame is lost."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._count: dict[int, int] = {}
        self._failed: dict[int, list[AnalysedFrames]] = {}
        self._since: dict[int, float] = {}  # id(batch) -> when it was answered (monotonic)

    def begin(self, batch: AnalysedFrames) -> None:
        with self._cond:
            self._count[batch.resource_id] = self._count.get(batch.resource_id, 0) + batch.size
            self._since[id(batch)] = time.monotonic()

    def oldest_s(self, now: float | None = None) -> float:
        """How long the oldest batch answered and not yet stored has waited (0 when none has)."""
        with self._cond:
            if not self._since:
                return 0.0
            return max(0.0, (time.monotonic() if now is None else now) - min(self._since.values()))

    def end(self, batch: AnalysedFrames, stored: bool, whole: AnalysedFrames | None = None) -> None:
        """`batch` as begun; `whole`: the same with its later frames analysed, kept if it was not stored."""
        with self._cond:
            self._since.pop(id(batch), None)
            left = self._count.get(batch.resource_id, 0) - batch.size
            if left > 0:
                self._count[batch.resource_id] = left
            else:
                self._count.pop(batch.resource_id, None)
            if not stored:
                self._failed.setdefault(batch.resource_id, []).append(whole or batch)
            self._cond.notify_all()

    def count(self, resource_id: int) -> int:
        """Frames of the attempt not yet stored (the frame limit counts them)."""
        with self._cond:
            return self._count.get(resource_id, 0) + sum(b.size for b in self._failed.get(resource_id, ()))

    def settle(self, resource_id: int, timeout: float) -> list[AnalysedFrames]:
        """Wait until no batch of the attempt is being stored; the batches whose storing failed (taken)."""
        with self._cond:
            if not self._cond.wait_for(lambda: resource_id not in self._count, timeout):
                raise CaptureRefused("SERVER_BUSY", "The server is busy; please try again in a moment.")
            return self._failed.pop(resource_id, [])

    def put_back(self, batches: list[AnalysedFrames]) -> None:
        """Batches taken by settle() that were not stored after all: kept for the next try."""
        with self._cond:
            for b in batches:
                self._failed.setdefault(b.resource_id, []).append(b)


PENDING = PendingFrames()
# A batch's frames left for after its answer wait up to ImageLanes' aging (2 s) for a child, then take
# about 0.1 s: stored later than this, the pool is behind and the admitted people are too many.
STORING_LAG_BUDGET_S = 3.0


def storing_lag_ms() -> float:
    """How far the storing of answered batches is behind its budget (0 when in time), in ms: added to a
    batch's answer time for admission, which otherwise sees only the answers (issue 13)."""
    return max(0.0, PENDING.oldest_s() - STORING_LAG_BUDGET_S) * 1000.0
STORE_RETRIES = 3
FINISH_WAIT_S = 60.0             # how long a finish waits for its attempt's frames being stored
_STORE_THREADS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="frames-store")


def analyse_liveness_frames(db: Session, *, token: str, resource_id: int,
                            frames: list[tuple[int, bytes]]) -> AnalysedFrames:
    """Check and analyse a batch of (ms since the first challenge, JPEG) frames; nothing is written.

    Each frame is analysed once, as it arrives (MediaPipe landmarks, a few ms,
    in the image pool with its decoding and re-encoding): the analysis gives the
    live feedback and is stored with the frame (store_liveness_frames), so the
    worker's decision does not analyse the attempt again.

    On the embedded defaults only the ANSWER_FRAMES newest frames are analysed
    before the answer (every frame is still decoded and re-encoded, so a bad one
    refuses the batch); the others are in `later`, analysed by `complete` before
    the batch is stored (store_liveness_frames), after the answer.
    """
    from identity_app.checks.liveness import NO_FACE, FrameAnalysis

    vs = require_open(db, token)
    _require_consent(vs)
    r = _attempt(db, vs, resource_id)
    if _attempt_finished(db, r):
        raise CaptureRefused("ATTEMPT_FINISHED", "This attempt is over.")
    if frame_count(db, resource_id) + PENDING.count(resource_id) + len(frames) > MAX_FRAMES_PER_ATTEMPT:
        raise CaptureRefused("TOO_MANY_FRAMES", "This attempt took too long.")
    assert vs.id is not None and r.id is not None
    for _, data in frames:
        check_image(data, FRAME_LIMITS)
    cleaned = _analyse_frames([data for _, data in frames]) if frames else []
    done, later = [], []
    for (ms, data), frame in zip(frames, cleaned):
        jpeg, width, height = bytes(frame["jpeg"]), int(frame["width"]), int(frame["height"])
        if frame["analysis"] is None:
            later.append((int(ms), data, jpeg, width, height))
        else:
            done.append((int(ms), jpeg, width, height, FrameAnalysis.from_dict(frame["analysis"]) or NO_FACE))
    return AnalysedFrames(vs.id, r.id, tuple(done), tuple(later))


def complete(batch: AnalysedFrames) -> AnalysedFrames:
    """The batch with its `later` frames analysed too (in the image pool, after the answers waiting for a
    child: ImageLanes.later_work), every frame in time order; their analyses join the live feedback.
    The same bytes, decoder and FaceMesh as before the answer: the same analyses as one call gives."""
    from identity_app.checks.liveness import NO_FACE, FrameAnalysis
    from identity_app.services.capture import liveness_feedback

    if not batch.later:
        return batch
    with image_lanes().later_work():
        raw = _image_work(image_work.liveness_rest, [f[1] for f in batch.later], FRAME_LIMITS,
                          timeout=FRAMES_TIMEOUT_S)
    added = [(ms, jpeg, width, height, FrameAnalysis.from_dict(a) or NO_FACE)
             for (ms, _, jpeg, width, height), a in zip(batch.later, raw)]
    liveness_feedback.record(batch.resource_id, [(f[0], f[4]) for f in added])
    return AnalysedFrames(batch.session_id, batch.resource_id, tuple(added) + batch.frames)  # as sent


def store_liveness_frames(db: Session, store: MediaStore, batch: AnalysedFrames) -> None:
    """Store an analysed batch: each frame encrypted, with its analysis, as a row of its attempt
    (the frames left for after the answer are analysed first: `complete`)."""
    batch = complete(batch)
    # As store_session_media, with one flush for the batch instead of one per frame (issue 13).
    for ms, jpeg, width, height, analysis in batch.frames:
        key = new_media_key(f"sessions/{batch.session_id}")
        store.put(key, jpeg)
        db.add(MediaItem(session_id=batch.session_id, resource_id=batch.resource_id, kind=MediaKind.LIVENESS_FRAME,
                         storage_key=key, content_type="image/jpeg", size=len(jpeg), width=width, height=height,
                         captured_ms=ms, analysis=analysis.to_dict()))
    db.flush()


def store_pending(run_unit, batch: AnalysedFrames) -> None:
    """Store a batch answered already (PENDING.begin'd), in units of work `run_unit(use_case)` gives,
    tried STORE_RETRIES times; a batch still not stored is left to the attempt's finish."""
    import logging

    stored = False
    whole = batch  # PENDING knows the batch it was given (begin), not the completed copy
    try:
        for attempt in range(STORE_RETRIES):
            try:
                whole = complete(whole)  # outside the unit of work: no database session held meanwhile
                run_unit(lambda w: store_liveness_frames(w.db, w.store, whole))
                stored = True
                break
            except Exception as exc:  # noqa: BLE001 - the finish stores it instead; never lost
                logging.getLogger(__name__).warning("storing %d liveness frames of attempt %d failed (%s), try %d",
                                                    batch.size, batch.resource_id, type(exc).__name__,
                                                    attempt + 1)
    finally:
        PENDING.end(batch, stored, whole)


def store_later(run_unit, batch: AnalysedFrames) -> None:
    """The batch is stored on this module's threads from now on, while its answer goes out; the
    attempt's finish waits for it (PENDING). Threads of their own, not the response's background,
    which a browser gone before the answer's end would skip."""
    PENDING.begin(batch)
    try:
        _STORE_THREADS.submit(store_pending, run_unit, batch)
    except BaseException:
        PENDING.end(batch, False)  # (only at shutdown) left to the finish
        raise


def add_liveness_frames(db: Session, store: MediaStore, *, token: str, resource_id: int,
                        frames: list[tuple[int, bytes]]) -> list[FrameAnalysis]:
    """Analyse and store a batch in one unit of work (analyse_liveness_frames, store_liveness_frames).
    Returns the analyses."""
    batch = complete(analyse_liveness_frames(db, token=token, resource_id=resource_id, frames=frames))
    store_liveness_frames(db, store, batch)
    return batch.analyses


def _finish_attempt_row(db: Session, vs: VerificationSession, r: Resource) -> None:
    db.add(Check(session_id=vs.id, resource_id=r.id, type=CheckType.LIVENESS, state=CheckState.PENDING,
                 attempt=r.attempt))


def finish_liveness_attempt(db: Session, *, token: str, resource_id: int, ip: str = "",
                            store: MediaStore | None = None, settle_s: float = 0.0) -> int:
    """Close an attempt: its LIVENESS check is created PENDING and the worker decides it once this commits.
    First its frames still being stored are waited for (up to `settle_s`, else SERVER_BUSY), and a batch
    whose storing failed is stored here, in this unit of work (`store`)."""
    leftovers = PENDING.settle(resource_id, settle_s)
    try:
        for batch in leftovers:
            if store is None:
                raise CaptureRefused("SERVER_BUSY", "The server is busy; please try again in a moment.")
            store_liveness_frames(db, store, batch)
        return _finish_attempt(db, token=token, resource_id=resource_id, ip=ip)
    except BaseException:
        PENDING.put_back(leftovers)
        raise


def _finish_attempt(db: Session, *, token: str, resource_id: int, ip: str) -> int:
    vs = require_open(db, token)
    r = _attempt(db, vs, resource_id)
    if not _attempt_finished(db, r):
        _finish_attempt_row(db, vs, r)
        audit.record(db, AuditAction.LIVENESS_FINISHED, application_id=vs.application_id, session_id=vs.id, ip=ip,
                     attempt=r.attempt, frames=frame_count(db, resource_id))
        db.flush()
        assert r.id is not None
        events.resource_updated(db, vs, resource_id=r.id, resource_type=ResourceKind.LIVENESS.value)
    db.flush()
    assert r.id is not None
    jobs.later(db, Job(JobKind.LIVENESS_DECISION, r.id))
    assert vs.id is not None
    if len(_attempts(db, vs.id)) >= _config(vs).liveness.max_retries and vs.capture_finished_at is None:
        # The last attempt is used up: nothing is left to capture, so the capture ends here, on the
        # server; a page closed at "No attempts left" must not leave the session waiting for its link.
        try:
            _close_capture(db, vs, ip)
        except CaptureRefused:
            pass  # the document is still missing: the link stays open for it
    return r.id


def liveness_result(db: Session, *, token: str, resource_id: int) -> LivenessResult:
    vs = _session(db, token)
    if vs is None:
        raise CaptureRefused("LINK_CLOSED", "This link is not valid any more.")
    r = _attempt(db, vs, resource_id)
    check = db.exec(select(Check).where(Check.resource_id == r.id, Check.type == CheckType.LIVENESS)).first()
    assert vs.id is not None
    used = len(_attempts(db, vs.id))
    left = max(0, _config(vs).liveness.max_retries - used)
    if check is None or check.state != CheckState.DONE:
        return LivenessResult(False, attempts_used=used, attempts_left=left)
    return LivenessResult(True, check.recommendation == Recommendation.APPROVE, check.reason, used, left)


# ----------------------------------------------------------------- finish


def finish_capture(db: Session, *, token: str, ip: str = "") -> int:
    """Everything is captured: create the session's checks (PENDING) and close capture; the worker
    runs them once this commits. Returns the session id. Asked again once closed (the server closes
    it itself after the last liveness attempt), it only returns the id."""
    vs = _session(db, token)
    if vs is not None and vs.state == SessionState.ONGOING and vs.capture_finished_at is not None:
        assert vs.id is not None
        return vs.id
    vs = require_open(db, token)
    _require_consent(vs)
    return _close_capture(db, vs, ip)


def _close_capture(db: Session, vs: VerificationSession, ip: str) -> int:
    cfg = _config(vs)
    assert vs.id is not None
    front = _front(db, vs.id)
    if cfg.document_authenticity.enabled and front is None:
        raise CaptureRefused("DOCUMENT_MISSING", "Photograph your document first.")
    attempts = _attempts(db, vs.id)
    if cfg.liveness.enabled:
        if not attempts:
            raise CaptureRefused("LIVENESS_MISSING", "Take the liveness check first.")
        if not _liveness_passed(db, vs.id) and len(attempts) < cfg.liveness.max_retries:
            open_or_pending = [r for r in attempts if not _attempt_finished(db, r)]
            if open_or_pending:
                raise CaptureRefused("LIVENESS_MISSING", "Finish the liveness check first.")
    for r in attempts:
        if not _attempt_finished(db, r):
            _finish_attempt_row(db, vs, r)
    doc_resource = front.resource_id if front else None

    def pending(check_type: CheckType) -> None:
        db.add(Check(session_id=vs.id, resource_id=doc_resource, type=check_type, state=CheckState.PENDING))

    if front is not None:
        if cfg.document_authenticity.enabled:
            pending(CheckType.ID_DOCUMENT_AUTHENTICITY)
        if cfg.text_extraction.enabled:
            text_task = TaskType.ID_DOCUMENT_TEXT_DATA_EXTRACTION
            read_early = db.exec(select(Task).where(Task.session_id == vs.id, Task.type == text_task,
                                                    Task.resource_id == doc_resource)).first()
            if read_early is None:  # else the document was read while the user went on (see verification)
                db.add(Task(session_id=vs.id, resource_id=doc_resource, type=text_task, state=TaskState.PENDING))
            pending(CheckType.ID_DOCUMENT_TEXT_DATA_CHECK)
        if cfg.face_match.enabled and cfg.liveness.enabled:
            pending(CheckType.ID_DOCUMENT_FACE_MATCH)
    vs.capture_finished_at = utcnow()
    db.add(vs)
    audit.record(db, AuditAction.CAPTURE_FINISHED, application_id=vs.application_id, session_id=vs.id, ip=ip)
    db.flush()
    jobs.later(db, Job(JobKind.SESSION_CHECKS, vs.id))
    return vs.id
