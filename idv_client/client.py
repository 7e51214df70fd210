"""A small typed client for the identity verification REST API (/api/v1), on httpx."""
from __future__ import annotations

from typing import Any, Iterator, Optional

import httpx

from idv_client.models import CreatedSession, Decision, Session, SessionPage, SessionSummary, _time


class ApiError(Exception):
    """The API refused: `status`, and the RFC 9457 problem's `title` and `detail`."""

    def __init__(self, status: int, title: str, detail: str, retry_after: Optional[int] = None) -> None:
        self.status, self.title, self.detail, self.retry_after = status, title, detail, retry_after
        super().__init__(f"{status} {title}: {detail}")


class Client:
    """    with Client("https://idv.example.com", api_key="idv_...") as idv:
            made = idv.create_session(user_name="Ada", user_email="ada@example.com", reference="crm-42")
    """

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0,
                 http: Optional[httpx.Client] = None) -> None:
        """`http`: an httpx.Client of your own (proxies, TLS settings, an in-process test client);
        the API's base is `base_url` + /api/v1 either way."""
        self._base = base_url.rstrip("/") + "/api/v1"
        self._headers = {"Authorization": f"Bearer {api_key}", "User-Agent": "idv-client/1"}
        self._http = http or httpx.Client(timeout=timeout)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self._headers, **kwargs.pop("headers", {})}
        response = self._http.request(method, self._base + path, headers=headers, **kwargs)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {}
            retry = response.headers.get("retry-after")
            raise ApiError(response.status_code, problem.get("title", response.reason_phrase),
                           problem.get("detail", response.text[:200]), int(retry) if retry and retry.isdigit() else None)
        return response

    # --- sessions ---

    def create_session(self, *, user_name: str, user_email: str, reference: str = "",
                       checks: Optional[dict[str, Any]] = None, preferences: Optional[dict[str, Any]] = None,
                       success_url: Optional[str] = None, error_url: Optional[str] = None,
                       idempotency_key: Optional[str] = None) -> CreatedSession:
        """`checks` may turn off checks or ask for more review ({"liveness": False,
        "face_match_manual_check": "ALWAYS"}); `preferences` may narrow documents, lifetime, retries.
        With an `idempotency_key`, a retried call returns the first call's session."""
        body: dict[str, Any] = {"user_name": user_name, "user_email": user_email, "reference": reference}
        for name, value in (("checks", checks), ("preferences", preferences), ("success_url", success_url),
                            ("error_url", error_url)):
            if value is not None:
                body[name] = value
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        r = self._send("POST", "/sessions", json=body, headers=headers)
        return CreatedSession.from_json(r.json(), r.headers.get("idempotent-replayed") == "true")

    def get_session(self, session_id: int) -> Session:
        return Session.from_json(self._send("GET", f"/sessions/{session_id}").json())

    def list_sessions(self, *, q: str = "", state: Optional[str] = None, decision: Optional[str] = None,
                      limit: int = 25, cursor: Optional[str] = None) -> SessionPage:
        params: dict[str, Any] = {"limit": limit}
        for name, value in (("q", q), ("state", state), ("decision", decision), ("cursor", cursor)):
            if value:
                params[name] = value
        return SessionPage.from_json(self._send("GET", "/sessions", params=params).json())

    def iter_sessions(self, **filters: Any) -> Iterator[SessionSummary]:
        """Every matching session, newest first, page after page."""
        cursor = None
        while True:
            page = self.list_sessions(cursor=cursor, **filters)
            yield from page.sessions
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def email_link(self, session_id: int) -> str:
        """Email the capture link to the person; returns the transport (smtp or outbox)."""
        return str(self._send("POST", f"/sessions/{session_id}/email").json()["transport"])

    def decide(self, session_id: int, value: str, note: str) -> Decision:
        d = self._send("POST", f"/sessions/{session_id}/decisions", json={"value": value, "note": note}).json()
        return Decision(d["id"], d["value"], d["decided_by"], _time(d["decided_at"]))  # type: ignore[arg-type]

    def delete_session(self, session_id: int) -> None:
        self._send("DELETE", f"/sessions/{session_id}")

    # --- media ---

    def media_content(self, media_id: int) -> bytes:
        return self._send("GET", f"/media/{media_id}/content").content

    def delete_media(self, media_id: int) -> None:
        self._send("DELETE", f"/media/{media_id}")

    def delete_session_media(self, session_id: int) -> int:
        return int(self._send("DELETE", f"/sessions/{session_id}/media").json()["media_items"])
