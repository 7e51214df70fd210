"""/metrics (Prometheus text format) and /api/ready (database, queue and storage answer).

/metrics answers a request from a loopback address that no proxy forwarded (a scraper on the same
machine or in the same container), or one carrying `Authorization: Bearer <IDV_METRICS_TOKEN>`;
anyone else gets 403. /api/ready is open, like /api/health, and says only ready or not and each
probe's time: 200 when everything answers, 503 otherwise.

Capture refusals are counted here, per web process, as the capture API sends them (the
`code` of its JSON refusals): RefusalCounter wraps the API routes and only watches.
"""
from __future__ import annotations

import ipaddress
import json
import threading
from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from identity_app.crypto import same
from identity_app.services import doorway
from identity_app.services.operations import metrics as ops_metrics
from identity_app.services.operations import readiness
from identity_app.settings import get_settings
from identity_app.web.callers import NO_STORE, plain

METRICS_PATH = "/metrics"
READY_PATH = "/api/ready"
CAPTURE_PREFIX = "/api/capture/"
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")

_lock = threading.Lock()
_refusals: Counter = Counter()


def count_refusal(code: str) -> None:
    with _lock:
        _refusals[code] += 1


def refusals() -> dict[str, int]:
    with _lock:
        return dict(_refusals)


class RefusalCounter:
    """ASGI middleware: counts the capture API's refusals by their code; changes nothing it passes."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(CAPTURE_PREFIX):
            await self.app(scope, receive, send)
            return
        status, body = 200, bytearray()

        async def watch(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and status >= 400 and len(body) < 4096:
                body.extend(message.get("body", b""))
                if not message.get("more_body"):
                    _count_body(bytes(body))
            await send(message)

        await self.app(scope, receive, watch)


def _count_body(body: bytes) -> None:
    try:
        code = json.loads(body).get("code")
    except (ValueError, AttributeError):
        return
    if isinstance(code, str) and code.isupper() and len(code) <= 40:  # a code, never free text
        count_refusal(code)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def may_read_metrics(request: Request) -> bool:
    token = get_settings().metrics_token.get_secret_value()
    sent = request.headers.get("authorization", "")
    if token and sent.startswith("Bearer ") and same(sent[len("Bearer "):].strip(), token):
        return True
    # A proxy on this machine connects from loopback on behalf of anyone: forwarded requests need the token.
    if any(h in request.headers for h in FORWARDING_HEADERS):
        return False
    return _loopback(request.client.host if request.client else "")


def metrics(request: Request) -> Response:
    # Sync on purpose: Starlette runs it in a thread, so the queries never block the event loop.
    if not may_read_metrics(request):
        return plain("Metrics are served to loopback or with the metrics token.", 403)
    families = doorway.run(lambda w: ops_metrics.collect(w.db))
    families.append(ops_metrics.counted(
        "idv_capture_refusals_total", "counter", "Capture API refusals by code, counted by this web process.",
        {(code,): n for code, n in refusals().items()}, ("code",)))
    families.extend(_admission_families())
    return Response(ops_metrics.render(families), media_type=ops_metrics.CONTENT_TYPE, headers=NO_STORE)


def _admission_families() -> list[ops_metrics.Family]:
    """Live-capture admission as this web process sees it (shared ones: across every process)."""
    from identity_app.web.capture_routes import live_admission  # (capture_routes imports this module)

    admission = live_admission()
    streaming, waiting = admission.counts()
    gauge = lambda name, help, n: ops_metrics.counted(name, "gauge", help, {(): n}, ())  # noqa: E731
    return [gauge("idv_live_capture_places", "People the admission lets capture at once now (earned from 2).",
                  admission.capacity),
            gauge("idv_live_capture_streaming", "People admitted to capture now.", streaming),
            gauge("idv_live_capture_waiting", "People told to wait in line now.", waiting)]


def ready(_: Request) -> Response:
    result = doorway.run(lambda w: readiness.check(w.db, w.store))
    body = {"status": "ready" if result.ready else "not ready",
            "checks": {p.name: {"ok": p.ok, "ms": p.ms} for p in result.probes}}
    return JSONResponse(body, status_code=200 if result.ready else 503, headers=NO_STORE)


ROUTES = [Route(METRICS_PATH, metrics), Route(READY_PATH, ready)]
