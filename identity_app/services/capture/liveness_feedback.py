"""Live feedback while a liveness attempt streams: which challenge is next.

Each frame is analysed once as it arrives (capture.add_liveness_frames,
which also stores the analysis with the frame) and the analyses are kept in
a small in-process cache per attempt; the challenges answered so far come
from the same pure `evaluate_challenges` the final report uses. The
decision itself is made later by the worker from the stored frames and
analyses, so a cache lost to a restart or another web worker only costs
feedback.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from identity_app.checks.liveness import FrameAnalysis

MAX_ATTEMPTS_CACHED = 64
_lock = threading.Lock()
_cache: "OrderedDict[int, list[tuple[float, object]]]" = OrderedDict()


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


def forget(resource_id: int) -> None:
    with _lock:
        _cache.pop(resource_id, None)
