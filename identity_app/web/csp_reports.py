"""Where browsers report what the Content-Security-Policy blocked (`report-uri`).

A report is logged as one warning line, so an operator (and the browser tests,
which read the app's log) sees a page the policy breaks. Only the directive and
the blocked source's scheme and host are logged: a capture page's own URL holds
its link token, which never goes to a log. Reports are small and few: at most
MAX_PER_MINUTE lines a minute are written, the rest counted.
"""
from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

log = logging.getLogger("identity_app.csp")
REPORT_PATH = "/api/csp-report"
MAX_BODY = 16 * 1024
MAX_PER_MINUTE = 30

_window = {"start": 0.0, "count": 0}


def _source(uri: str) -> str:
    if not uri or "://" not in uri:
        return uri[:20]  # 'inline', 'eval', 'data', ...
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def summary(report: dict) -> str:
    body = report.get("csp-report", report)
    directive = str(body.get("effective-directive") or body.get("violated-directive") or "?")[:60]
    page = urlsplit(str(body.get("document-uri", ""))).path.split("/")[1:2]
    return f"CSP violation: {directive} blocked {_source(str(body.get('blocked-uri', '')))} on /{''.join(page)}"


async def csp_report(request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_BODY:
        return Response(status_code=413)
    now = time.monotonic()
    if now - _window["start"] > 60:
        _window["start"], _window["count"] = now, 0
    _window["count"] += 1
    if _window["count"] <= MAX_PER_MINUTE:
        try:
            log.warning(summary(json.loads(body)))
        except (ValueError, AttributeError):
            log.warning("CSP violation: an unreadable report")
    return Response(status_code=204)


ROUTES = [Route(REPORT_PATH, csp_report, methods=["POST"])]
