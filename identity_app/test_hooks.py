"""Switches for the tests only, kept apart from the product's typed settings (settings.py).

Both are read from the process environment when they are used, never from `.env`, and
both are documented in README.md's settings table:

- IDV_TEST_HOOKS=true turns the hooks on; without it every hook is off, whatever else is set.
- IDV_TEST_LIVENESS_CHALLENGES (e.g. TURN_LEFT,BLINK): fixed liveness challenges, so a
  recorded fake-camera video can answer them (the browser tests).
- IDV_TEST_LOOPBACK_WEBHOOKS=true: webhook endpoints on plain http and loopback addresses are
  accepted in a production configuration, so the browser tests' receiver can take events.

Never set them in a real deployment: random challenges are what defeats a replayed video.
"""
from __future__ import annotations

import os

HOOKS = "IDV_TEST_HOOKS"
LIVENESS_CHALLENGES = "IDV_TEST_LIVENESS_CHALLENGES"
LOOPBACK_WEBHOOKS = "IDV_TEST_LOOPBACK_WEBHOOKS"
VARIABLES = (HOOKS, LIVENESS_CHALLENGES, LOOPBACK_WEBHOOKS)

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})  # what the settings' booleans accept as true


def enabled() -> bool:
    return os.environ.get(HOOKS, "").strip().lower() in _TRUE


def liveness_challenges() -> tuple[str, ...]:
    """The fixed challenges, upper-cased, in order; () unless the hooks are on."""
    if not enabled():
        return ()
    return tuple(c.strip().upper() for c in os.environ.get(LIVENESS_CHALLENGES, "").split(",") if c.strip())


def loopback_webhooks() -> bool:
    """Webhooks to http and loopback receivers allowed (the tests' own receiver); off unless the hooks are on."""
    return enabled() and os.environ.get(LOOPBACK_WEBHOOKS, "").strip().lower() in _TRUE
