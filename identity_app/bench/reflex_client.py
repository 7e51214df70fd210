"""The pages' websocket as a browser tab speaks it (socket.io on /_event), for the benchmark:
send an event as a page does and wait for the update it causes."""
from __future__ import annotations

import threading
import time
import uuid
from typing import Any, Callable

import socketio

NAMESPACE = "/_event"


class NoAnswer(Exception):
    """The server sent nothing matching within the wait."""


class Tab:
    def __init__(self, url: str, cookies: dict[str, str] | None = None, timeout: float = 20.0) -> None:
        self.token = str(uuid.uuid4())  # the client token a page keeps in its session storage
        self._cond = threading.Condition()
        self._messages: list[dict] = []
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("event", self._received, namespace=NAMESPACE)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        self.sio.connect(f"{url}?token={self.token}", namespaces=[NAMESPACE], socketio_path=NAMESPACE,
                         transports=["websocket"], headers=headers, wait_timeout=timeout)

    def _received(self, data: dict) -> None:
        with self._cond:
            self._messages.append(data)
            self._cond.notify_all()

    def ask(self, full_name: str, payload: dict | None, answered: Callable[[dict], Any], *, path: str = "/",
            params: dict[str, str] | None = None, timeout: float = 20.0) -> Any:
        """Send one event; the first truthy `answered(update)` among the updates it causes, or NoAnswer."""
        with self._cond:
            self._messages.clear()
        self.sio.emit("event", {"name": full_name, "payload": payload or {},
                                "router_data": {"pathname": path, "asPath": path, "query": params or {}}},
                      namespace=NAMESPACE)
        deadline = time.monotonic() + timeout
        with self._cond:
            seen = 0
            while True:
                while seen < len(self._messages):
                    found = answered(self._messages[seen])
                    seen += 1
                    if found:
                        return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise NoAnswer(full_name.rsplit(".", 1)[-1])
                self._cond.wait(remaining)

    def close(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:  # already gone: nothing to close
            pass


def delta_var(update: dict, state_suffix: str, var: str) -> Any:
    """The value of `var` in the update's delta for the state whose full name ends with `state_suffix`."""
    for state, values in (update.get("delta") or {}).items():
        if state.endswith(state_suffix):
            for key, value in values.items():
                if key == var or key.startswith(var + "_rx_state"):
                    return (value,)
    return None


def scripts(update: dict) -> list[str]:
    """The JavaScript the update asks the page to run (rx.call_script)."""
    return [str((e.get("payload") or {}).get("javascript_code", "")) for e in update.get("events") or []
            if e.get("name") == "_call_script"]
