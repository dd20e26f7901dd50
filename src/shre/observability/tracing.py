"""OpenTelemetry traces, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set: a span for each
request, named by its route's template, with the SQL statements, Redis commands and S3
calls it made inside it, sent by OTLP/HTTP (protobuf) to `<endpoint>/v1/traces`.

The tracer provider is the process's (OpenTelemetry lets it be set once) and the Redis
and botocore instrumentations patch their libraries for the whole process, so
`configure_tracing` does that at most once; the app and each engine are instrumented on
their own (`instrument_app`, `trace_engine`). What would record values stays off: SQL
spans hold the statement with its placeholders, never its parameters (no sqlcommenter);
Redis spans the command's name with `?` for its arguments; a request's query string its
parameters' names, not their values; no header is captured.

The endpoint and service name are passed to the exporter from the settings (which read
`.env` too); the SDK's other OTEL_* variables (headers, sampler, resource attributes)
are read by the SDK from the process's environment, as usual.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from importlib import metadata
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shre.observability.scrub import hide_query_values, hide_url_query
from shre.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from sqlalchemy.ext.asyncio import AsyncEngine

# This process's provider, once tracing is on (the SDK is imported only then).
_provider: TracerProvider | None = None


def configure_tracing(settings: Settings) -> bool:
    """Turn tracing on for this process when OTEL_EXPORTER_OTLP_ENDPOINT is set (once:
    a later call, whatever its settings, keeps the first provider). Whether it is on."""
    global _provider
    endpoint = settings.otel_exporter_otlp_endpoint
    if endpoint is None:
        return False
    if _provider is not None:
        return True
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes = {
        "service.name": settings.otel_service_name,
        "deployment.environment.name": settings.shre_env,
    }
    with suppress(metadata.PackageNotFoundError):  # run from a tree that is not installed
        attributes["service.version"] = metadata.version("shre")
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"))
    )
    trace.set_tracer_provider(provider)
    RedisInstrumentor().instrument(tracer_provider=provider)
    BotocoreInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    _provider = provider
    return True


def instrument_app(app: FastAPI) -> None:
    """A server span around each request of `app` (when tracing is on), outside every
    middleware of the app's: the span is the current one while `RequestMiddleware` writes
    its access log line. Call before the app serves its first request."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=_provider,
        server_request_hook=_hide_query,
        # A span for every ASGI message read or sent says nothing the request's does not.
        exclude_spans=["receive", "send"],
        # None would read OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_*: headers hold tokens.
        http_capture_headers_server_request=[],
        http_capture_headers_server_response=[],
    )


def trace_engine(engine: AsyncEngine) -> None:
    """A span for each statement `engine` sends (when tracing is on): its text with
    placeholders, never the parameters."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.instrumentation.sqlalchemy.version import __version__ as version
    from opentelemetry.metrics import NoOpMeter

    # The instrumentor's own entry point instruments once per process, and would patch
    # create_engine everywhere: its engine tracer is attached to this engine only. The
    # pool-usage counter it keeps goes nowhere (the Prometheus metrics have the pool).
    usage = NoOpMeter("shre").create_up_down_counter("db.client.connections.usage")
    tracer = _provider.get_tracer("opentelemetry.instrumentation.sqlalchemy", version)
    EngineTracer(tracer, engine.sync_engine, usage, enable_commenter=False)  # type: ignore[no-untyped-call]


# The scope of the spans of statements sent on a driver's connection directly.
DRIVER_SCOPE = "shre.db"


@contextmanager
def statement_span(engine: AsyncEngine, statement: str) -> Iterator[None]:
    """A span around a statement sent on `engine`'s driver connection directly, which no
    engine event traces (when tracing is on): named and described as `trace_engine`'s
    are, its text with placeholders, never its parameters; a failure sets its status,
    with the error's type only (a database's message can quote values)."""
    if _provider is None:
        yield
        return
    from opentelemetry.trace import SpanKind, Status, StatusCode

    database = engine.url.database or ""
    words = statement.split(None, 1)
    name = " ".join(part for part in (words[0] if words else "", database) if part)
    attributes = {"db.system": engine.dialect.name, "db.statement": statement}
    if database:
        attributes["db.name"] = database
    with _provider.get_tracer(DRIVER_SCOPE).start_as_current_span(
        name or engine.dialect.name,
        kind=SpanKind.CLIENT,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield
        except BaseException as exc:
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise


def stop_tracing(*, process_ends: bool) -> None:
    """Send the spans still buffered; shut the exporter down when the process ends with
    the app (another app of this process would trace nothing after that)."""
    if _provider is None:
        return
    if process_ends:
        _provider.shutdown()
    else:
        _provider.force_flush()


def current_span_ids() -> tuple[str, str] | None:
    """The active span's trace id (32 hex digits) and span id (16), as logs and other
    tools write them; None outside any traced work."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def current_traceparent() -> str | None:
    """The active span as a W3C `traceparent` (for a job's arguments: the job's span is
    then a child of the request's); None outside any traced work."""
    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def job_span(name: str, traceparent: str | None) -> Iterator[None]:
    """A span for a job's run, the child of the request that deferred it when its
    `traceparent` came along (nothing is recorded while tracing is off)."""
    parent = (
        TraceContextTextMapPropagator().extract({"traceparent": traceparent})
        if traceparent
        else None
    )
    tracer = trace.get_tracer("shre.jobs")
    with tracer.start_as_current_span(name, context=parent, kind=trace.SpanKind.CONSUMER):
        yield


def _hide_query(span: Any, scope: dict[str, Any]) -> None:
    """The request's attributes keep its query's parameter names, not their values."""
    query = scope.get("query_string")
    attributes = getattr(span, "attributes", None)
    if not query or not attributes or not span.is_recording():
        return
    for key in ("http.url", "url.full"):
        if isinstance(attributes.get(key), str):
            span.set_attribute(key, hide_url_query(attributes[key]))
    if "url.query" in attributes:
        span.set_attribute("url.query", hide_query_values(query.decode("latin-1")))
