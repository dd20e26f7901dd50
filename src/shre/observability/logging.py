"""structlog configured once: JSON lines with ECS-style field names, or console output."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger

from shre.settings import Settings

# Never let these reach a log line, whatever a caller passes.
_REDACT = frozenset(
    {
        "password",
        "password_hash",
        "access_token",
        "refresh_token",
        "token",
        "authorization",
        "salary",
        "ssn",
        "bank_account",
        "date_of_birth",
        "home_address",
        "encryption_key",
        "jwt_secret",
    }
)


def _redact(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    for key in _REDACT.intersection(event):
        event[key] = "[redacted]"
    return event


def _ecs(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    event["@timestamp"] = event.pop("timestamp", None)
    event["log.level"] = event.pop("level", "info")
    event["log.logger"] = event.pop("logger", None)
    event["message"] = event.pop("event", "")
    event.setdefault("service.name", "shre")
    return event


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    if settings.log_format == "json":
        renderer: list[Any] = [
            structlog.processors.format_exc_info,
            _ecs,
            structlog.processors.JSONRenderer(),
        ]
    else:
        renderer = [structlog.dev.ConsoleRenderer()]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's own access log duplicates ours (which has the request id).
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
