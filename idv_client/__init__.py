"""Python client for the identity verification REST API: typed, on httpx.

    from idv_client import Client, verify_webhook
"""
from idv_client.client import ApiError, Client
from idv_client.models import (Check, CreatedSession, Decision, Media, Report, Session, SessionPage, SessionSummary,
                               SubCheck, WebhookEvent)
from idv_client.webhooks import WebhookVerificationError, verify_webhook

__all__ = ["ApiError", "Check", "Client", "CreatedSession", "Decision", "Media", "Report", "Session", "SessionPage",
           "SessionSummary", "SubCheck", "WebhookEvent", "WebhookVerificationError", "verify_webhook"]
