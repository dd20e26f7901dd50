"""Error tracking with sentry-sdk, on only when SENTRY_DSN is set: a request's unhandled
error, and the log lines at ERROR and above, become Sentry events, with what led to
them (the earlier log lines at INFO and above) as breadcrumbs.

An event must not carry the record's values or a caller's credentials, so it is built
without them and scrubbed before it leaves: no default PII (cookies, the client's
address, the user), no frame's local variables (they may hold decrypted values), no
request body (never even read: `max_request_body_size="never"`); and `scrub_event` /
`scrub_breadcrumb` replace credential headers, the query string's values and every
sensitive key's value at any depth (`shre.observability.sensitive`). No performance
tracing: traces are OpenTelemetry's (`shre.observability.tracing`).

sentry-sdk is set up for the whole process (its client, its patches of logging and
Starlette), so `configure_error_tracking` does it at most once.
"""

from __future__ import annotations

import logging
from importlib import metadata
from typing import TYPE_CHECKING, Any, cast

from shre.observability.scrub import hide_query_values, hide_url_query, is_secret_header, scrub
from shre.observability.sensitive import REDACTED, SENSITIVE_KEYS
from shre.settings import Settings

if TYPE_CHECKING:
    from sentry_sdk.types import Breadcrumb, BreadcrumbHint, Event, Hint

# Logged by the app's handler of unhandled errors (shre.kit.problems) for the error the
# ASGI integration reports with its stack: one event per error, not two.
_REPORTED_BY_ASGI = ("shre.errors", "request.unhandled_error")
# Where a log line's event dict says who called (log lines keep it; reports do not).
_CALLER_KEYS = frozenset({"client.ip", "client_ip", "user.id", "user_id"})

_configured = False


def configure_error_tracking(settings: Settings) -> bool:
    """Report errors to Sentry when SENTRY_DSN is set (once per process: a later call
    keeps the first set-up). Whether it is on."""
    global _configured
    if settings.sentry_dsn is None:
        return False
    if _configured:
        return True
    import sentry_sdk
    from sentry_sdk.integrations.fastapi import FastApiIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.integrations.starlette import StarletteIntegration
    from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.shre_env,
        release=_release(),
        # send_default_pii stays at its default: off (cookies, the client's address, the
        # user). Passing it is deprecated in favour of `data_collection`, which the
        # oldest sentry-sdk this project allows does not have.
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=None,
        # No sentry-trace/baggage headers on the app's own calls (S3).
        trace_propagation_targets=[],
        # Only the integrations named here (the defaults: logging, dedupe, excepthook,
        # ...); the auto-enabled ones (SQLAlchemy, Redis, boto3, httpx) would add
        # breadcrumbs of every statement and call.
        auto_enabling_integrations=False,
        integrations=[
            StarletteIntegration(transaction_style="url"),
            FastApiIntegration(transaction_style="url"),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        event_scrubber=EventScrubber(
            denylist=[*DEFAULT_DENYLIST, *sorted(SENSITIVE_KEYS)], recursive=True
        ),
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
    )
    _configured = True
    return True


def stop_error_tracking() -> None:
    """Send what is queued and close the client; error tracking is off until the next
    `configure_error_tracking`."""
    global _configured
    if not _configured:
        return
    import sentry_sdk

    client = sentry_sdk.get_client()
    client.flush(timeout=5)
    client.close()
    sentry_sdk.get_global_scope().set_client(None)
    _configured = False


def scrub_event(event: Event, hint: Hint) -> Event | None:
    """Sentry's `before_send`: the event without request bodies, cookies, credentials,
    query values or sensitive keys' values; None for the log line of an error that is
    reported on its own."""
    data = cast(dict[str, Any], event)
    record = hint.get("log_record")
    if isinstance(record, logging.LogRecord):
        if (record.name, _event_name(record)) == _REPORTED_BY_ASGI:
            return None
        _log_line(data, record)
    request = data.get("request")
    if isinstance(request, dict):
        _scrub_request(request)
    for exception in _values(data.get("exception")):
        for frame in _values((exception.get("stacktrace") or {}).get("frames")):
            frame.pop("vars", None)
    return cast("Event", scrub(data))


def scrub_breadcrumb(breadcrumb: Breadcrumb, hint: BreadcrumbHint) -> Breadcrumb | None:
    """Sentry's `before_breadcrumb`: the same rules for what led to an event."""
    crumb = breadcrumb
    record = hint.get("log_record")
    if isinstance(record, logging.LogRecord) and isinstance(record.msg, dict):
        crumb["message"] = _event_name(record)
        crumb["data"] = _fields(record.msg)
    data = crumb.get("data")
    if isinstance(data, dict):
        for key in ("url", "http.url"):
            if isinstance(data.get(key), str):
                data[key] = hide_url_query(data[key])
        if isinstance(data.get("http.query"), str):
            data["http.query"] = hide_query_values(data["http.query"])
    return cast("Breadcrumb", scrub(crumb))


def _scrub_request(request: dict[str, Any]) -> None:
    if "data" in request:
        request["data"] = REDACTED
    request.pop("cookies", None)
    request.pop("env", None)  # the client's address
    headers = request.get("headers")
    if isinstance(headers, dict):
        for name in headers:
            if is_secret_header(name):
                headers[name] = REDACTED
    if isinstance(request.get("url"), str):
        request["url"] = hide_url_query(request["url"])
    query = request.get("query_string")
    if isinstance(query, str) and query:
        request["query_string"] = hide_query_values(query)
    elif query:
        request["query_string"] = REDACTED


def _log_line(event: dict[str, Any], record: logging.LogRecord) -> None:
    """A structlog line's event dict as the event's message (its name) and extra (its
    plain fields): its rendering as one string could not be scrubbed key by key."""
    if not isinstance(record.msg, dict):
        return
    event["logentry"] = {"message": _event_name(record), "params": []}
    extra = event.get("extra")
    event["extra"] = {**(extra if isinstance(extra, dict) else {}), **_fields(record.msg)}


def _event_name(record: logging.LogRecord) -> str:
    if isinstance(record.msg, dict):
        return str(record.msg.get("event") or record.msg.get("message") or "")
    return str(record.msg)


def _fields(line: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in line.items()
        if isinstance(key, str)
        and not key.startswith("_")
        and key not in ("event", "message", "exc_info")
        and key not in _CALLER_KEYS
        and (value is None or isinstance(value, str | int | float | bool))
    }


def _values(container: Any) -> list[dict[str, Any]]:
    if isinstance(container, dict):
        container = container.get("values")
    return [item for item in container or () if isinstance(item, dict)]


def _release() -> str | None:
    try:
        return f"shre@{metadata.version('shre')}"
    except metadata.PackageNotFoundError:  # not installed: SENTRY_RELEASE, if set
        return None
