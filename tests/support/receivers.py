"""Local stand-ins for where shre sends its traces and error reports: a threaded HTTP
server on a free port that keeps every POST it is sent, and the decoders of what the
two protocols carry (OTLP/HTTP protobuf spans; Sentry envelopes)."""

from __future__ import annotations

import gzip
import json
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue


@dataclass(frozen=True)
class Posted:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes  # as sent, before any Content-Encoding is undone

    def content(self) -> bytes:
        """The body with its Content-Encoding (gzip, deflate, br) undone."""
        encoding = self.headers.get("content-encoding", "identity")
        if encoding == "gzip":
            return gzip.decompress(self.body)
        if encoding == "deflate":
            return zlib.decompress(self.body)
        if encoding == "br":
            import brotli  # type: ignore[import-not-found]  # only if the sender had it

            return bytes(brotli.decompress(self.body))
        assert encoding == "identity", encoding
        return self.body


@dataclass
class Receiver:
    """What was POSTed to `url`, in the order it came."""

    url: str
    posted: list[Posted] = field(default_factory=list)

    def wait_for(self, enough: Callable[[list[Posted]], bool], timeout: float = 20) -> None:
        """Until `enough(posted)` holds (senders batch in the background)."""
        deadline = time.monotonic() + timeout
        while not enough(list(self.posted)):
            if time.monotonic() > deadline:
                raise AssertionError(f"the receiver at {self.url} did not get enough in time")
            time.sleep(0.05)


@contextmanager
def receiver(answer: Callable[[str], bytes] = lambda _: b"") -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 and a free port until the block ends."""
    posted: list[Posted] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            posted.append(Posted(self.path, headers, body))
            reply = answer(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    got = Receiver(f"http://127.0.0.1:{server.server_address[1]}", posted)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- OTLP/HTTP traces ---


@contextmanager
def otlp_receiver() -> Iterator[Receiver]:
    """An OTLP/HTTP collector: its endpoint (for OTEL_EXPORTER_OTLP_ENDPOINT) is `url`."""
    ok = ExportTraceServiceResponse().SerializeToString()
    with receiver(lambda _: ok) as got:
        yield got


@dataclass(frozen=True)
class Span:
    trace_id: str
    span_id: str
    parent_id: str  # "" for a root span
    name: str
    kind: int  # opentelemetry.proto.trace.v1.Span.SpanKind
    scope: str  # the instrumentation's name
    attributes: dict[str, Any]
    resource: dict[str, Any]


def spans(got: Receiver) -> list[Span]:
    """Every span exported to `got`, in the order received."""
    found: list[Span] = []
    for posted in got.posted:
        if posted.path != "/v1/traces":
            continue
        request = ExportTraceServiceRequest.FromString(posted.content())
        for resource_spans in request.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    found.append(
                        Span(
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_id=span.parent_span_id.hex(),
                            name=span.name,
                            kind=span.kind,
                            scope=scope_spans.scope.name,
                            attributes=_attributes(span.attributes),
                            resource=resource,
                        )
                    )
    return found


def _attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    return getattr(value, kind) if kind else None


# --- Sentry envelopes ---


@contextmanager
def sentry_receiver() -> Iterator[Receiver]:
    """A Sentry ingest endpoint: the DSN of project 1 on it is `dsn(got)`."""
    with receiver(lambda _: b"{}") as got:
        yield got


def dsn(got: Receiver) -> str:
    return got.url.replace("http://", "http://public@", 1) + "/1"


@dataclass(frozen=True)
class Envelope:
    raw: bytes  # decoded of its Content-Encoding: what a scan for a value must search
    headers: dict[str, Any]
    items: list[tuple[dict[str, Any], bytes]]

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for header, body in self.items if header.get("type") == "event"]


def envelopes(got: Receiver) -> list[Envelope]:
    """Every envelope POSTed to `got`'s project 1."""
    return [parse_envelope(p.content()) for p in got.posted if p.path == "/api/1/envelope/"]


def parse_envelope(raw: bytes) -> Envelope:
    """The envelope format: a JSON header line, then items, each a JSON header line and a
    payload of `length` bytes (or up to the next newline when there is no length)."""
    first, _, rest = raw.partition(b"\n")
    items: list[tuple[dict[str, Any], bytes]] = []
    while rest.strip():
        line, _, rest = rest.partition(b"\n")
        header = json.loads(line)
        if "length" in header:
            payload, rest = rest[: header["length"]], rest[header["length"] :]
            rest = rest.removeprefix(b"\n")
        else:
            payload, _, rest = rest.partition(b"\n")
        items.append((header, payload))
    return Envelope(raw, json.loads(first), items)
