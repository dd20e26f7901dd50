"""Sending people messages: the Notifier protocol, SMTP (when SMTP_HOST is set), and a
notifier that sends nothing (the embedded default)."""

from shre.notify.core import (
    DisabledNotifier,
    Message,
    Notifier,
    NotifyError,
    SmtpNotifier,
    build_notifier,
)

__all__ = [
    "DisabledNotifier",
    "Message",
    "Notifier",
    "NotifyError",
    "SmtpNotifier",
    "build_notifier",
]
