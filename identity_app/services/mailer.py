"""Outgoing email: SMTP when configured, else an outbox folder plus a log line."""
from __future__ import annotations

import logging
import re
import smtplib
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from identity_app.private_files import make_private_dir, write_private_file
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


TAG_PATTERN = re.compile(r"^[a-z0-9-]{1,40}$")


def _outbox_dir() -> Path:
    s = get_settings()
    return Path(s.outbox_dir or s.data_dir / "outbox")


def send_email(to: str, subject: str, body: str, *, tag: str = "") -> SentEmail:
    """Send (or write to the outbox). `tag` names what the email is about, such as
    `session-12`, so deleting that session can delete its outbox copies too."""
    if tag and not TAG_PATTERN.match(tag):
        raise ValueError(f"invalid email tag {tag!r}")
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
    outbox = make_private_dir(_outbox_dir())
    path = write_private_file(outbox / f"{tag + '-' if tag else ''}{uuid.uuid4().hex}.eml", bytes(msg))
    # The log names the file, not the recipient or the link (they are personal data / capabilities).
    log.info("email written to outbox %s: %s", path, subject)
    return SentEmail(to, subject, "outbox", str(path))


def delete_outbox(tag: str) -> int:
    """Delete the outbox copies of the emails sent with `tag`; returns how many."""
    if not TAG_PATTERN.match(tag):
        raise ValueError(f"invalid email tag {tag!r}")
    outbox = _outbox_dir()
    if not outbox.is_dir():
        return 0
    count = 0
    for path in outbox.glob(f"{tag}-*.eml"):
        if len(path.name) == len(tag) + 1 + 32 + 4:  # tag-<32 hex>.eml: not session-12 for session-1
            path.unlink(missing_ok=True)
            count += 1
    return count


def session_tag(session_id: int) -> str:
    return f"session-{session_id}"
