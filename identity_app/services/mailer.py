"""Outgoing email: SMTP when configured, else an outbox folder plus a log line."""
from __future__ import annotations

import logging
import smtplib
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from identity_app.settings import get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SentEmail:
    to: str
    subject: str
    transport: str  # "smtp" or "outbox"
    outbox_path: str = ""


class EmailError(Exception):
    pass


def send_email(to: str, subject: str, body: str) -> SentEmail:
    s = get_settings()
    msg = EmailMessage()
    msg["From"] = s.smtp_from
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    if s.smtp_host:
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=10) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_username:
                    smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise EmailError(f"The email could not be sent ({exc.__class__.__name__}). Check the SMTP settings.") from exc
        log.info("email sent by SMTP: %s", subject)
        return SentEmail(to, subject, "smtp")
    outbox = Path(s.outbox_dir or s.data_dir / "outbox")
    outbox.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = outbox / f"{uuid.uuid4().hex}.eml"
    path.write_bytes(bytes(msg))
    # The log names the file, not the recipient or the link (they are personal data / capabilities).
    log.info("email written to outbox %s: %s", path, subject)
    return SentEmail(to, subject, "outbox", str(path))
