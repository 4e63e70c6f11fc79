"""The OpenTelemetry SDK behind a traced run: provider, exporter, batch processor.

Imported only when a run is traced; a missing ``otel`` extra is a one-line error.
"""

from __future__ import annotations

import os
from importlib.metadata import version
from typing import TYPE_CHECKING

from smolwf.errors import UsageError
from smolwf.tracing.settings import EXTRA_HINT, TraceSettings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

    from smolwf.tracing.spans import TraceSink

GRPC_EXPORTER = "opentelemetry-exporter-otlp-proto-grpc"
QUEUE_SIZE = 65_536
"""Spans waiting for export. The SDK's default (2,048) drops spans of a wide fan-out
that ends faster than one export; a span waiting costs well under a kilobyte."""


def open_trace_sink(settings: TraceSettings) -> TraceSink:
    """A ``TraceSink`` exporting to the OTLP endpoint the environment names."""
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        from smolwf.tracing.ids import AttemptIds
        from smolwf.tracing.spans import TraceSink
    except ImportError:
        raise UsageError(f"OpenTelemetry traces need the otel extra: {EXTRA_HINT}") from None
    ids = AttemptIds()
    __version__ = version("smolwf")
    resource = Resource.create({"service.name": "smol-wf", "service.version": __version__})
    provider = TracerProvider(resource=resource, id_generator=ids, shutdown_on_exit=False)
    queue = int(os.environ.get("OTEL_BSP_MAX_QUEUE_SIZE") or QUEUE_SIZE)
    provider.add_span_processor(BatchSpanProcessor(_exporter(settings), max_queue_size=queue))
    return TraceSink(provider.get_tracer("smolwf", __version__), ids, provider.shutdown)


def _exporter(settings: TraceSettings) -> SpanExporter:
    if settings.protocol == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
                OTLPSpanExporter,
            )
        except ImportError:
            raise UsageError(
                f"OTLP over gRPC needs its exporter: pip install {GRPC_EXPORTER}"
                " (or set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf)"
            ) from None
        exporter: SpanExporter = OTLPSpanExporter()
        return exporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HttpExporter,
    )

    return HttpExporter()
