"""Notifications by e-mail: a plain-text message through the standard library's SMTP
client (in a worker thread), over STARTTLS (default), implicit TLS or, for a relay on
the same host, plain SMTP. Without SMTP_HOST nothing is sent and the callers know it
(`Notifier.enabled`)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import structlog
from anyio import to_thread

from shre.settings import Settings

log = structlog.get_logger("shre.notify")


@dataclass(frozen=True, slots=True)
class Message:
    to: str
    subject: str
    text: str


class NotifyError(Exception):
    """The message could not be handed to the mail server (the caller retries later)."""


class Notifier(Protocol):
    @property
    def enabled(self) -> bool: ...

    async def send(self, message: Message) -> None: ...


class DisabledNotifier:
    """No mail server configured: nothing is sent."""

    enabled = False

    async def send(self, message: Message) -> None:
        return None


class SmtpNotifier:
    enabled = True

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.security = security
        self.username = username
        self.password = password
        self.timeout = timeout

    async def send(self, message: Message) -> None:
        await to_thread.run_sync(self._send, message)

    def _send(self, message: Message) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Message-ID"] = make_msgid(domain="shre")
        mail.set_content(message.text)
        context = ssl.create_default_context()
        try:
            if self.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.security == "starttls":
                    client.starttls(context=context)
                if self.username:
                    client.login(self.username, self.password or "")
                client.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            # The address is a recipient's: not logged; the error's type says enough.
            log.warning("notify.send_failed", error_type=type(exc).__name__)
            raise NotifyError(f"the mail server refused or could not be reached: {exc}") from exc


def build_notifier(settings: Settings) -> Notifier:
    if not settings.smtp_host:
        return DisabledNotifier()
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpNotifier(
        settings.smtp_host,
        settings.smtp_port,
        settings.notify_from,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=password,
    )
