"""What a console state asks the browser to do beyond showing vars: take a fresh sign-in
token as an HttpOnly cookie, or load a page in full (web/auth_routes.py sets the cookies)."""
from __future__ import annotations

import json

import reflex as rx

from identity_app import routes


def go_with_cookie(kind: str, token: str, next_path: str) -> rx.event.EventSpec:
    """Hand a fresh sign-in token to the browser as an HttpOnly cookie, then load `next_path`
    in full (the new websocket connects with the cookie). The token travels once, as this
    event's payload; it is never a state var."""
    js = ("fetch({url},{{method:'POST',credentials:'same-origin',headers:{{'Content-Type':'application/json'}},"
          "body:JSON.stringify({{kind:{kind},token:{token}}})}})"
          ".then((r)=>window.location.assign(r.ok?{next}:{signin}))"
          ".catch(()=>window.location.assign({signin}))").format(
        url=json.dumps(routes.API_AUTH_COOKIE), kind=json.dumps(kind), token=json.dumps(token),
        next=json.dumps(next_path), signin=json.dumps(routes.SIGN_IN))
    return rx.call_script(js)


def load_in_full(path: str) -> rx.event.EventSpec:
    """A full page load (an HTTP route, or a page that must connect with new cookies)."""
    return rx.call_script(f"window.location.assign({json.dumps(path)})")
