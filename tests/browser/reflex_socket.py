"""A Reflex websocket client for tests that send events by hand, as an attacker would:
the same socket.io connection the pages open, with any cookies and any event."""
from __future__ import annotations

import threading
import time
import uuid

import socketio

NAMESPACE = "/_event"


class ReflexSocket:
    def __init__(self, url: str, cookies: dict[str, str] | None = None) -> None:
        self.token = str(uuid.uuid4())  # the client token a page keeps in its session storage
        self.messages: list[dict] = []
        self._last = time.monotonic()
        self._lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("event", self._received, namespace=NAMESPACE)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())} if cookies else {}
        self.sio.connect(f"{url}?token={self.token}", namespaces=[NAMESPACE], socketio_path=NAMESPACE,
                         transports=["websocket"], headers=headers, wait_timeout=20)

    def _received(self, data: dict) -> None:
        with self._lock:
            self.messages.append(data)
            self._last = time.monotonic()

    def send(self, full_name: str, payload: dict | None = None, *, path: str = "/",
             params: dict[str, str] | None = None) -> None:
        """One event as the page sends it (`params`: the route's parameters, e.g. app_id)."""
        self._last = time.monotonic()
        self.sio.emit("event", {"name": full_name, "payload": payload or {},
                                "router_data": {"pathname": path, "asPath": path, "query": params or {}}},
                      namespace=NAMESPACE)

    def settle(self, quiet_s: float = 1.5, limit_s: float = 90) -> None:
        """Wait until the server has been quiet for `quiet_s` (every event answered)."""
        start = time.monotonic()
        while time.monotonic() - start < limit_s:
            with self._lock:
                if time.monotonic() - self._last >= quiet_s:
                    return
            time.sleep(0.1)

    def redirects(self) -> list[str]:
        return [e["payload"].get("path", "") for m in self.messages for e in m.get("events", [])
                if e.get("name") == "_redirect"]

    def close(self) -> None:
        self.sio.disconnect()
