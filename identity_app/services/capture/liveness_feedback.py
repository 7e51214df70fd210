"""Live feedback while a liveness attempt streams: which challenge is next.

Each frame is analysed once as it arrives (capture.add_liveness_frames,
which also stores the analysis with the frame) and the analyses are kept in
a small cache per attempt; the challenges answered so far come from the
same pure `evaluate_challenges` the final report uses. A batch is answered
from its newest frames; its older ones are analysed after the answer and join
the cache then (`record`), so they count from the next answer on (issue 13).
The decision itself
is made later by the worker from the stored frames and analyses, so a cache
lost to a restart only costs feedback.

The cache is in this process on the embedded defaults; with the queue on
Redis it is in Redis (`RedisFeedback`), so any web process answers any frame
batch of an attempt and the proxy need not keep a link on one of them. There
each batch's analyses are one list entry, AES-GCM under a key derived from the
secret key (the analyses describe a face), and the attempt's list expires
ATTEMPT_TTL_S after its last batch.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from identity_app.checks.liveness import FrameAnalysis

log = logging.getLogger(__name__)
MAX_ATTEMPTS_CACHED = 64
ATTEMPT_TTL_S = 600       # an attempt streams for seconds; its list goes this long after its last batch
REDIS_PREFIX = "idv.feedback"
_lock = threading.Lock()
_cache: "OrderedDict[int, list[tuple[float, object]]]" = OrderedDict()
_AD = b"idv-live-feedback/v1"


class RedisFeedback:
    """The attempts' analyses so far in Redis, shared by every web process (see the module docstring)."""

    def __init__(self, url: str, secret: str, prefix: str = REDIS_PREFIX) -> None:
        import redis

        from identity_app import crypto

        self.conn = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.key = crypto.derive_key(secret, "live-feedback")
        self.prefix = prefix

    def add(self, resource_id: int, analysed: list[tuple[float, "FrameAnalysis"]]) -> list[tuple[float, "FrameAnalysis"]]:
        """Append a batch; every batch of the attempt so far (this one included), in time order."""
        import pickle

        from identity_app import crypto
        from identity_app.checks.liveness import NO_FACE, FrameAnalysis
        from identity_app.image_pool import loads_plain

        key = f"{self.prefix}.{int(resource_id)}"
        pipe = self.conn.pipeline(transaction=True)
        if analysed:
            plain = pickle.dumps([(t, a.to_dict()) for t, a in analysed], protocol=pickle.HIGHEST_PROTOCOL)
            pipe.rpush(key, crypto.encrypt(self.key, plain, _AD + key.encode()))
        pipe.expire(key, ATTEMPT_TTL_S)
        pipe.lrange(key, 0, -1)
        entries = pipe.execute()[-1]
        seen: list[tuple[float, FrameAnalysis]] = []
        for blob in entries:
            try:
                batch = loads_plain(crypto.decrypt(self.key, blob, _AD + key.encode()))
                seen.extend((float(t), FrameAnalysis.from_dict(raw) or NO_FACE) for t, raw in batch)
            except (crypto.DecryptionError, ValueError, TypeError, EOFError, pickle.UnpicklingError):
                continue  # altered, or made under an older key: that batch gives no feedback
        seen.sort(key=lambda item: item[0])
        return seen

    def forget(self, resource_id: int) -> None:
        self.conn.delete(f"{self.prefix}.{int(resource_id)}")


_shared: RedisFeedback | None = None
_shared_checked = False


def _redis_store() -> RedisFeedback | None:
    """The Redis cache when the queue is on Redis (scaled out), else None (this process's cache)."""
    global _shared, _shared_checked
    with _lock:
        if not _shared_checked:
            from identity_app.settings import get_settings

            s = get_settings()
            url = (s.queue_url or "").strip()
            if url.startswith(("redis://", "rediss://", "unix://")):
                _shared = RedisFeedback(url, s.secret_key.get_secret_value())
            _shared_checked = True
        return _shared


@dataclass(frozen=True)
class Progress:
    answered: int          # challenges answered, in order, so far
    total: int
    face: str              # "ok", "none" or "many" in the latest frame
    hint: str = ""         # "turn_more": the pending turn was begun but not far enough (liveness.turn_hint)
    answered_at_ms: int = 0  # when the last answered challenge was answered (the attempt's clock; 0: none yet):
    #                          the pending challenge's time runs from there, as the check counts it

    @property
    def done(self) -> bool:
        return self.answered >= self.total


def add_frames(resource_id: int, challenges: list[str], frames: list[tuple[int, FrameAnalysis]]) -> Progress:
    """Record a batch of (ms since the first challenge, analysis); the attempt's progress so far."""
    from identity_app.checks.liveness import Challenge, evaluate_challenges, turn_hint

    analysed = [(ms / 1000.0, analysis) for ms, analysis in frames]
    shared, snapshot = _redis_store(), None
    if shared is not None:
        try:
            snapshot = shared.add(resource_id, analysed)
        except Exception as exc:  # noqa: BLE001 - Redis away: this process's cache, feedback only
            log.warning("live feedback cache in Redis unavailable: %s", type(exc).__name__)
    if snapshot is None:
        with _lock:
            seen = _cache.setdefault(resource_id, [])
            _cache.move_to_end(resource_id)
            seen.extend(analysed)
            seen.sort(key=lambda item: item[0])
            while len(_cache) > MAX_ATTEMPTS_CACHED:
                _cache.popitem(last=False)
            snapshot = list(seen)
    times, analyses = [t for t, _ in snapshot], [a for _, a in snapshot]
    outcomes = evaluate_challenges(analyses, times, [Challenge(c) for c in challenges])
    answered, answered_at = 0, times[0] if times else 0.0
    for o in outcomes:
        if not o.completed:
            break
        answered += 1
        if o.frame_index is not None:
            answered_at = times[o.frame_index]
    last = analysed[-1][1] if analysed else None
    face = "none" if last is None or not last.has_face else ("many" if last.face_count > 1 else "ok")
    return Progress(answered, len(challenges), face, turn_hint(outcomes), int(round(answered_at * 1000)))


def record(resource_id: int, frames: list[tuple[int, FrameAnalysis]]) -> None:
    """Add analyses of an attempt's frames made after their batch's answer (capture.complete): the next
    answer counts them. Only where the attempt is being followed (a batch was answered here or in Redis)."""
    if not frames:
        return
    analysed = [(ms / 1000.0, analysis) for ms, analysis in frames]
    shared = _redis_store()
    if shared is not None:
        try:
            shared.add(resource_id, analysed)
            return
        except Exception as exc:  # noqa: BLE001 - Redis away: this process's cache, feedback only
            log.warning("live feedback cache in Redis unavailable: %s", type(exc).__name__)
    with _lock:
        seen = _cache.get(resource_id)
        if seen is not None:
            seen.extend(analysed)
            seen.sort(key=lambda item: item[0])


def forget(resource_id: int) -> None:
    shared = _redis_store()
    if shared is not None:
        try:
            shared.forget(resource_id)
        except Exception as exc:  # noqa: BLE001 - it expires by itself
            log.warning("live feedback cache in Redis unavailable: %s", type(exc).__name__)
    with _lock:
        _cache.pop(resource_id, None)
