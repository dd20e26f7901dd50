"""structlog configured once: one JSON line per event in the Elastic Common Schema (ECS),
rendered by Elastic's own `ecs-logging` formatter, or coloured lines for humans
(`LOG_FORMAT=console`).

A call names its event and passes plain keywords (`log.info("auth.login", user_id=…)`);
this module turns them into ECS before the formatter renders them:

- the event's name is the ECS `message`, and the `event.action` of shre's own lines;
- the keywords the whole code base shares have an ECS field: `request_id` is
  `http.request.id`, `client_ip` `client.ip`, `error_type` `error.type`, `error`
  `error.message`, `by` (whoever acted) `user.id`, and `user_id` too unless someone
  else acted (then it is the `user.target.id`);
- a keyword already in ECS' dotted form (`http.request.method`, `url.path`,
  `event.duration`…) is kept as it is;
- any other keyword is shre's own and goes under `shre.` (`shre.employee_id`), where it
  cannot collide with an ECS field;
- the active trace's `trace.id` and `span.id`, when tracing is on.

Sensitive keys (`shre.observability.sensitive`) are redacted first, whatever the format."""

from __future__ import annotations

import logging
import sys
from typing import Any, Final

import ecs_logging
import orjson
import structlog
from structlog.typing import EventDict, WrappedLogger

from shre.observability.sensitive import REDACTED, SENSITIVE_KEYS
from shre.observability.tracing import current_span_ids
from shre.settings import Settings

SERVICE: Final = "shre"

# The keywords of shre's log calls that ECS has a field for.
_ECS_NAMES: Final = {
    "request_id": "http.request.id",
    "client_ip": "client.ip",
    "error_type": "error.type",
    "error": "error.message",
    "by": "user.id",
    "logger": "log.logger",
    "level": "log.level",
}
# Kept as they are: the formatter's own, and structlog's for exceptions.
_PASSED: Final = frozenset({"event", "exception", "exc_info", "stack"})


def _redact(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    for key in SENSITIVE_KEYS.intersection(event):
        event[key] = REDACTED
    return event


def _trace(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """The active span's ids (tracing on), so Kibana links a line to its trace."""
    ids = current_span_ids()
    if ids is not None:
        event["trace.id"], event["span.id"] = ids
    return event


def _to_ecs(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """The keywords of a call as ECS fields (see the module's docstring), nested as the
    formatter writes them: nesting them here costs a third of what its own generic
    de-dotting does. (`event.*` stay dotted: `event` itself is the message until the
    formatter takes it.)"""
    flat: EventDict = {}
    user_id = event.pop("user_id", None)
    for key, value in event.items():
        if key in _PASSED or "." in key or key.startswith("@"):
            flat[key] = value
        elif key in _ECS_NAMES:
            flat[_ECS_NAMES[key]] = value
        else:
            flat[f"shre.{key}"] = value
    if user_id is not None:
        flat["user.target.id" if "user.id" in flat else "user.id"] = user_id
    if str(flat.get("log.logger", "")).startswith(SERVICE):
        flat.setdefault("event.action", str(flat.get("event", "")))  # not uvicorn's lines
    flat.setdefault("service.name", SERVICE)
    out: EventDict = {}
    for key, value in flat.items():
        if "." not in key or key.startswith("event."):
            out[key] = value
            continue
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def _unknown(value: Any) -> Any:
    """What orjson cannot write itself: as structlog's and ecs-logging's fallback do."""
    method = getattr(value, "__structlog__", None)
    return method() if callable(method) else repr(value)


class _Formatter(ecs_logging.StructlogFormatter):
    """Elastic's formatter, its finished document written by orjson rather than the
    standard json module: the same line (ECS logging's three leading fields, then the
    rest with its keys sorted) in a fraction of the time the dump took."""

    def _json_dumps(self, value: dict[str, Any]) -> str:
        first: dict[str, Any] = {}
        if "@timestamp" in value:
            first["@timestamp"] = value.pop("@timestamp")
        log = value.get("log")
        if isinstance(log, dict) and "level" in log:
            first["log.level"] = log.pop("level")
            if not log:
                del value["log"]
        elif "log.level" in value:
            first["log.level"] = value.pop("log.level")
        if "message" in value:
            first["message"] = value.pop("message")
        rest = orjson.dumps(value, default=_unknown, option=_SORTED)
        if not first:
            return rest.decode()
        head = orjson.dumps(first, default=_unknown)
        return (head[:-1] + (b"," + rest[1:] if value else b"}")).decode()


_SORTED: Final = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def ecs_processors() -> list[Any]:
    """What turns an event into its ECS JSON line (after the shared processors)."""
    return [
        _trace,
        _to_ecs,
        structlog.processors.format_exc_info,
        _Formatter(ensure_ascii=False),
    ]


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,  # `exception` is logged as an error
        _redact,
    ]
    if settings.log_format == "json":
        renderer: list[Any] = [
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="@timestamp"),
            *ecs_processors(),
        ]
    else:
        renderer = [
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _trace,
            structlog.dev.ConsoleRenderer(),
        ]
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
    # The job queue's own lines at info (a line per job's start and end, per periodic
    # task registered) repeat shre's `job.*` lines; its warnings and errors stay.
    logging.getLogger("procrastinate").setLevel(max(level, logging.WARNING))
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
