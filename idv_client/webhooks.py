"""Checking a webhook before trusting it: the Standard Webhooks signature (HMAC-SHA256 over
`webhook-id.webhook-timestamp.body` with the endpoint's `whsec_` secret), made by the
`standardwebhooks` package, which also refuses a timestamp more than 5 minutes off."""
from __future__ import annotations

from typing import Mapping

from standardwebhooks import Webhook, WebhookVerificationError

from idv_client.models import WebhookEvent, _time

__all__ = ["WebhookVerificationError", "verify_webhook"]


def verify_webhook(secret: str, body: bytes | str, headers: Mapping[str, str]) -> WebhookEvent:
    """The event, if the signature is right (WebhookVerificationError otherwise). Pass the raw body
    as received, before any JSON parsing, and the request's headers."""
    lower = {k.lower(): v for k, v in headers.items()}
    payload = Webhook(secret).verify(body if isinstance(body, str) else body.decode(), lower)
    return WebhookEvent(lower["webhook-id"], payload["type"], _time(payload["timestamp"]),  # type: ignore[arg-type]
                        payload.get("data", {}))
