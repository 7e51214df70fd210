"""The one way into the services, for every edge: Reflex states, HTTP routes, the CLI, the worker.

`run(use_case, caller)` authenticates the caller once, opens one unit of work (a
database session and the media store), runs the use case, commits, and only then
sends the jobs the use case asked for (identity_app/jobs.py). A domain error rolls
everything back and reaches the edge as it is: its message is fit to show. Edges
on the event loop use `run_async`, which does the same in a worker thread.

    view = doorway.run(lambda w: decisions.decide(w.db, actor=w.operator, ...), caller)
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Callable, TypeVar

from sqlmodel import Session

from identity_app.db import session_scope
from identity_app.services.access import auth
from identity_app.services.access.auth import ApiKeyActor, OperatorView
from identity_app.services.api import keys
from identity_app.services.errors import NotSignedIn
from identity_app.settings import get_settings
from identity_app.storage import MediaStore, get_media_store

T = TypeVar("T")


@dataclass(frozen=True)
class Caller:
    """Who asks. `sign_in` is the hash of the console's sign-in cookie (what the edges hold);
    `api_key` the bearer token a team's backend sends to the REST API; both empty for the capture
    flow (its link is its credential), the CLI and the worker."""

    sign_in: str = ""
    ip: str = ""
    user_agent: str = ""
    api_key: str = ""


SYSTEM = Caller()


@dataclass(frozen=True)
class Work:
    """One unit of work: what a use case gets."""

    db: Session
    store: MediaStore
    operator: OperatorView | None
    caller: Caller

    @property
    def ip(self) -> str:
        return self.caller.ip


def run(use_case: Callable[[Work], T], caller: Caller = SYSTEM, *, signed_in: bool = False) -> T:
    """Run one use case in one unit of work. `signed_in`: refuse (NotSignedIn) unless the caller's
    sign-in is live, before anything else happens."""
    with session_scope() as db:
        if caller.api_key:
            operator: OperatorView | None = keys.authenticate_key(db, caller.api_key)
        else:
            operator = auth.authenticate_hash(db, caller.sign_in) if caller.sign_in else None
        if signed_in and operator is None:
            raise NotSignedIn()
        return use_case(Work(db, get_media_store(), operator, caller))


async def run_async(use_case: Callable[[Work], T], caller: Caller = SYSTEM, *, signed_in: bool = False) -> T:
    """`run` off the event loop: database, storage and image work never block it."""
    return await asyncio.to_thread(run, use_case, caller, signed_in=signed_in)


def admit_api_key(caller: Caller, *, method: str, path: str) -> ApiKeyActor:
    """An API request's key, admitted in its own unit of work before the request's use case runs:
    refused (NotSignedIn) unless live, refused (RateLimited) beyond the per-minute limit, and
    audited, so a request that fails later is still counted and on the record."""
    def admit(w: Work) -> ApiKeyActor:
        actor = keys.authenticate_key(w.db, caller.api_key)
        if actor is None:
            raise NotSignedIn()
        keys.check_rate(w.db, actor, get_settings().api_requests_per_minute)
        keys.record_use(w.db, actor, method=method, path=path, ip=caller.ip)
        return actor

    return run(admit)


def operator(work: Work) -> OperatorView:
    """The signed-in operator of a unit of work run with signed_in=True."""
    if work.operator is None:
        raise NotSignedIn()
    return work.operator
